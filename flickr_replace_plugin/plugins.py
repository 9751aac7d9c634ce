"""The plugin manager: built-in sources registered like any plugin, third-party ones discovered."""
from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import pluggy

from . import hookspecs
from .errors import ConfigError, PluginError

# Every built-in photo-id source, in the contract's order (the order only matters for listing:
# the resolver ranks candidates by their source, not by call order).
DEFAULT_PLUGINS: tuple[str, ...] = (
    "flickr_replace_plugin.sources.caller",
    "flickr_replace_plugin.sources.sidecar",
    "flickr_replace_plugin.sources.xmp",
    "flickr_replace_plugin.sources.exif",
    "flickr_replace_plugin.sources.iptc",
    "flickr_replace_plugin.sources.filename",
)
ENV_PLUGINS = "FLICKR_REPLACE_PLUGINS"


@dataclass(frozen=True)
class LoadedPlugin:
    name: str
    origin: str  # "builtin", "entry point <dist>", "FLICKR_REPLACE_PLUGINS", "--plugin"
    hooks: tuple[str, ...]

    @property
    def builtin(self) -> bool:
        return self.origin == "builtin"


class Plugins:
    """A loaded plugin manager plus the origin of every plugin, and a typed way to call hooks."""

    def __init__(self, extra_modules: Iterable[str] = (), env: dict[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._origins: dict[str, str] = {}
        for name in DEFAULT_PLUGINS:
            self._register(importlib.import_module(name), "builtin", name.rsplit(".", 1)[-1])
        for dist, ep_name, plugin in _entry_point_plugins():
            self._register(plugin, f"entry point {dist}", ep_name)
        env_modules = [m.strip() for m in env.get(ENV_PLUGINS, "").split(",") if m.strip()]
        for origin, modules in ((ENV_PLUGINS, env_modules), ("--plugin", list(extra_modules))):
            for module in modules:
                try:
                    plugin = importlib.import_module(module)
                except Exception as exc:  # a host's broken plugin is a configuration error
                    raise ConfigError(f"cannot import plugin module {module!r} ({origin}): {exc}") from None
                self._register(plugin, origin, module)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise ConfigError(f"plugin error: {exc}") from None

    def _register(self, plugin: Any, origin: str, name: str) -> None:
        if self.pm.is_registered(plugin) or self.pm.has_plugin(name):
            return
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise ConfigError(f"plugin {name!r} ({origin}) is invalid: {exc}") from None
        self._origins[name] = origin

    def listing(self) -> list[LoadedPlugin]:
        out = []
        for name, origin in self._origins.items():
            plugin = self.pm.get_plugin(name)
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or ()))
            out.append(LoadedPlugin(name, origin, hooks))
        return out

    def is_builtin(self, name: str) -> bool:
        return self._origins.get(name) == "builtin"

    def call_each(self, hook: str, **kwargs: Any) -> Iterator[tuple[str, Any]]:
        """Call every implementation of `hook` (first-registered first), yielding (plugin name, result).

        Unlike ``pm.hook.X(...)`` this knows which plugin answered, and a plugin that raises
        becomes a PluginError naming it instead of ending the whole call.
        """
        caller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):  # pluggy keeps LIFO order
            args = [kwargs[a] for a in impl.argnames]
            try:
                value = impl.function(*args)
            except Exception as exc:
                raise PluginError(f"plugin {impl.plugin_name!r} failed in {hook}: {type(exc).__name__}: {exc}") from exc
            if value is not None:
                yield impl.plugin_name, value

    def first(self, hook: str, **kwargs: Any) -> Any:
        for _, value in self.call_each(hook, **kwargs):
            return value
        return None


def _entry_point_plugins() -> Iterator[tuple[str, str, Any]]:
    from importlib.metadata import entry_points

    for ep in entry_points(group=hookspecs.PROJECT):
        try:
            plugin = ep.load()
        except Exception as exc:
            raise ConfigError(f"cannot load plugin entry point {ep.name!r}: {exc}") from None
        dist = getattr(getattr(ep, "dist", None), "name", None) or ep.value
        yield dist, ep.name, plugin


_lock = threading.Lock()
_cache: dict[tuple[str, ...], Plugins] = {}


def get_plugins(extra_modules: Iterable[str] = ()) -> Plugins:
    """Load plugins once per distinct set of extra modules (lazy: nothing loads at import time)."""
    key = (os.environ.get(ENV_PLUGINS, ""), *extra_modules)
    with _lock:
        if key not in _cache:
            _cache[key] = Plugins(extra_modules)
        return _cache[key]
