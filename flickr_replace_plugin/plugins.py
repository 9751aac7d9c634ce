"""The plugin manager: built-in sources registered like any plugin, third-party ones discovered."""
from __future__ import annotations

import importlib
import os
import threading
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import pluggy

from . import hookspecs
from .errors import ConfigError, PluginError
from .hookcalls import Manager, one_line
from .pluginload import (ARGUMENT, BUILTIN, ENV_PLUGINS, LoadedPlugin, check_pending, entry_point_plugins, hook_names,
                         import_plugin, split_modules)

if TYPE_CHECKING:
    from .photoid.candidates import Candidate, Resolution
    from .result import ReplaceResult

__all__ = ["DEFAULT_PLUGINS", "ENV_PLUGINS", "LoadedPlugin", "Plugins", "get_plugins", "hook_names", "resolve_photo_id"]

# Every built-in photo-id source, in the contract's order (the order only matters for listing:
# the resolver ranks candidates by their source, not by call order). The caller's own id is no
# source: the resolver takes it before asking any.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "flickr_replace_plugin.sources.sidecar",
    "flickr_replace_plugin.sources.xmp",
    "flickr_replace_plugin.sources.exif",
    "flickr_replace_plugin.sources.iptc",
    "flickr_replace_plugin.sources.filename",
)


class Plugins:
    """A loaded plugin manager plus the origin of every plugin, and one typed method per hook.

    Loading order is built-ins, entry points, ``FLICKR_REPLACE_PLUGINS``, ``--plugin``; a module
    reached by two routes is registered once, under its first origin. Any plugin that cannot be
    loaded is a ConfigError (exit 2, nothing sent), so a typo never silently drops a plugin.
    """

    def __init__(self, extra_modules: Iterable[str] = (), env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self._origins: dict[str, str] = {}
        self.pm = Manager(hookspecs.PROJECT, self.is_builtin)
        self.pm.add_hookspecs(hookspecs)
        for module in DEFAULT_PLUGINS:
            self._register(importlib.import_module(module), BUILTIN, module.rsplit(".", 1)[-1])
        for dist, ep_name, plugin in entry_point_plugins():
            self._register(plugin, f"entry point {dist}", ep_name)
        for origin, modules in ((ENV_PLUGINS, split_modules(env.get(ENV_PLUGINS, ""))), (ARGUMENT, extra_modules)):
            for module in modules:
                self._register(import_plugin(module, origin), origin, module)
        check_pending(self.pm, self._origins)

    def _register(self, plugin: Any, origin: str, name: str) -> None:
        if self.pm.is_registered(plugin):
            return
        if self.pm.has_plugin(name):
            raise ConfigError(f"plugin name {name!r} ({origin}) is already taken by a plugin from "
                              f"{self._origins.get(name, 'elsewhere')}")
        self._origins[name] = origin  # before registering: the manager asks whether it is built in
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise ConfigError(f"plugin {name!r} ({origin}) is invalid: {one_line(exc)}") from None

    def listing(self) -> list[LoadedPlugin]:
        """Every loaded plugin in load order: its name, where it came from and the hooks it implements."""
        return [LoadedPlugin(name, origin, tuple(sorted(self.pm.hooks_of(self.pm.get_plugin(name)))))
                for name, origin in self._origins.items() if self.pm.has_plugin(name)]

    def is_builtin(self, name: str) -> bool:
        return self._origins.get(name) == BUILTIN

    # -- one typed method per hook: the core never names a hook by a string ----------------------
    def find_photo_id(self, path: str, metadata: Mapping[str, Any]) -> list[Candidate]:
        """Every plugin's candidates for `path`; a plugin raising is a PluginError naming it."""
        return [c for answer in self.pm.hook.find_photo_id(path=path, metadata=metadata) for c in answer]

    def before_replace(self, path: str, photo_id: str | None, options: Mapping[str, Any]) -> tuple[str, str] | None:
        """The first veto as (plugin name, reason), or None to go on."""
        reason = self.pm.hook.before_replace(path=path, photo_id=photo_id, options=options)
        return None if reason is None else (getattr(reason, "plugin", "?"), str(reason))

    def after_replace(self, result: "ReplaceResult") -> list[PluginError]:
        """Show every plugin the final result; one raising does not keep the others from seeing it."""
        return [e for e in self.pm.hook.after_replace(result=result) if isinstance(e, PluginError)]

    def flickr_credentials(self) -> Mapping[str, Any] | None:
        """A host store's credentials; a plugin raising or answering nonsense is a configuration error."""
        try:
            return self.pm.hook.flickr_credentials()
        except PluginError as exc:
            raise ConfigError(str(exc)) from exc


_lock = threading.Lock()
_cache: dict[tuple[str, ...], Plugins] = {}


def get_plugins(extra_modules: Iterable[str] = (), env: Mapping[str, str] | None = None) -> Plugins:
    """Load plugins once per distinct plugin list (lazy: nothing loads at import time)."""
    env = os.environ if env is None else env
    extra = tuple(extra_modules)
    key = (env.get(ENV_PLUGINS, ""), *extra)
    with _lock:
        if key not in _cache:
            _cache[key] = Plugins(extra, env)
        return _cache[key]


def resolve_photo_id(path: str | os.PathLike, metadata: Mapping[str, Any] | None = None,
                     photo_id: str | int | None = None, plugins: Plugins | None = None, **kwargs: Any) -> "Resolution":
    """The public resolver: `photoid.resolve.resolve_photo_id` asking the installed plugins by default."""
    from .photoid.resolve import resolve_photo_id as resolve

    return resolve(path, metadata, photo_id, plugins=plugins or get_plugins(), **kwargs)
