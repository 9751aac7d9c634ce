"""The plugin manager: built-in sources registered like any plugin, third-party ones discovered."""
from __future__ import annotations

import difflib
import importlib
import inspect
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

import pluggy

from . import hookspecs
from .errors import ConfigError, PluginError

if TYPE_CHECKING:
    from .result import ReplaceResult

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
ENV_PLUGINS = "FLICKR_REPLACE_PLUGINS"
BUILTIN = "builtin"
ARGUMENT = "--plugin"


@dataclass(frozen=True)
class LoadedPlugin:
    name: str
    origin: str  # "builtin", "entry point <dist>", "FLICKR_REPLACE_PLUGINS", "--plugin"
    hooks: tuple[str, ...]

    @property
    def builtin(self) -> bool:
        return self.origin == BUILTIN


class Plugins:
    """A loaded plugin manager plus the origin of every plugin, and a typed way to call hooks.

    Loading order is built-ins, entry points, ``FLICKR_REPLACE_PLUGINS``, ``--plugin``; a module
    reached by two routes is registered once, under its first origin. Any plugin that cannot be
    loaded is a ConfigError (exit 2, nothing sent), so a typo never silently drops a plugin.
    """

    def __init__(self, extra_modules: Iterable[str] = (), env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._origins: dict[str, str] = {}
        for module in DEFAULT_PLUGINS:
            self._register(importlib.import_module(module), BUILTIN, module.rsplit(".", 1)[-1])
        for dist, ep_name, plugin in _entry_point_plugins():
            self._register(plugin, f"entry point {dist}", ep_name)
        for origin, modules in ((ENV_PLUGINS, split_modules(env.get(ENV_PLUGINS, ""))),
                                (ARGUMENT, list(extra_modules))):
            for module in modules:
                self._register(_import(module, origin), origin, module)
        self._check_pending()

    def _register(self, plugin: Any, origin: str, name: str) -> None:
        if self.pm.is_registered(plugin):
            return
        if self.pm.has_plugin(name):
            raise ConfigError(f"plugin name {name!r} ({origin}) is already taken by a plugin from "
                              f"{self._origins.get(name, 'elsewhere')}")
        try:
            self.pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise ConfigError(f"plugin {name!r} ({origin}) is invalid: {_one_line(exc)}") from None
        wrappers = [hook for hook, impl in self._hooks_of(plugin) if impl.wrapper or impl.hookwrapper]
        if wrappers:  # _each calls implementations one by one, which a wrapper cannot follow
            self.pm.unregister(plugin)
            raise ConfigError(f"plugin {name!r} ({origin}): hook wrappers are not supported ({', '.join(wrappers)})")
        self._origins[name] = origin

    def _hooks_of(self, plugin: Any) -> list[tuple[str, pluggy.HookImpl]]:
        """(hook name, implementation) for each hook `plugin` implements, specified or not."""
        return [(caller.name, impl) for caller in self.pm.get_hookcallers(plugin) or ()
                for impl in caller.get_hookimpls() if impl.plugin is plugin]

    def _check_pending(self) -> None:
        """pluggy's check_pending, with a one-line message naming the plugin and the likely hook."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            name = self.pm.get_name(exc.plugin) or repr(exc.plugin)
            known = hook_names()
            unknown = [hook for hook, _ in self._hooks_of(exc.plugin) if hook not in known] or ["?"]
            guess = difflib.get_close_matches(unknown[0], known, n=1)
            hint = f" (did you mean {guess[0]!r}?)" if guess else f"; known hooks: {', '.join(known)}"
            raise ConfigError(f"plugin {name!r} ({self._origins.get(name, '?')}) implements unknown hook "
                              f"{unknown[0]!r}{hint}") from None

    def listing(self) -> list[LoadedPlugin]:
        """Every loaded plugin in load order: its name, where it came from and the hooks it implements."""
        out = []
        for name, origin in self._origins.items():
            hooks = sorted(hook for hook, _ in self._hooks_of(self.pm.get_plugin(name)))
            out.append(LoadedPlugin(name, origin, tuple(hooks)))
        return out

    def is_builtin(self, name: str) -> bool:
        return self._origins.get(name) == BUILTIN

    # -- one typed method per hook: the core never names a hook by a string ----------------------
    def find_photo_id(self, path: str, metadata: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
        """Every plugin's answer for `path`, as (plugin name, non-None answer), in pluggy's order.

        A plugin that raises becomes a PluginError naming it (the file fails, the batch goes on).
        """
        return self._each(self.pm.hook.find_photo_id, {"path": path, "metadata": metadata})

    def before_replace(self, path: str, photo_id: str, options: Mapping[str, Any]) -> tuple[str, str] | None:
        """The first veto as (plugin name, reason), or None to go on."""
        for name, reason in self._each(self.pm.hook.before_replace,
                                       {"path": path, "photo_id": photo_id, "options": options}):
            return name, str(reason)
        return None

    def after_replace(self, result: "ReplaceResult") -> list[PluginError]:
        """Show every plugin the final result; one raising does not keep the others from seeing it."""
        errors: list[PluginError] = []
        for impl in self._call_order(self.pm.hook.after_replace):
            try:
                _call(impl, self.pm.hook.after_replace.name, {"result": result})
            except PluginError as exc:
                errors.append(exc)
        return errors

    def flickr_credentials(self) -> Mapping[str, Any] | None:
        """A host store's credentials: the first non-None answer.

        It runs before any file is looked at, so a plugin raising or answering nonsense is a
        configuration error (exit 2 with its name), not a per-file failure.
        """
        try:
            for name, value in self._each(self.pm.hook.flickr_credentials, {}):
                if not isinstance(value, Mapping):
                    raise ConfigError(f"plugin {name!r} answered flickr_credentials with "
                                      f"{type(value).__name__}, not a mapping")
                return value
        except PluginError as exc:
            raise ConfigError(str(exc)) from exc
        return None

    def _each(self, hook: pluggy.HookCaller, kwargs: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
        """Call every implementation in pluggy's order, yielding (plugin name, non-None result).

        Unlike calling ``pm.hook.X(...)`` this knows which plugin answered, and a plugin that
        raises becomes a PluginError naming it instead of an anonymous traceback.
        """
        for impl in self._call_order(hook):
            value = _call(impl, hook.name, kwargs)
            if value is not None:
                yield impl.plugin_name, value

    @staticmethod
    def _call_order(hook: pluggy.HookCaller) -> list[pluggy.HookImpl]:
        return list(reversed(hook.get_hookimpls()))  # pluggy keeps them reversed


def _call(impl: pluggy.HookImpl, hook: str, kwargs: Mapping[str, Any]) -> Any:
    """One implementation, given only the arguments it asks for (specs may grow)."""
    try:
        return impl.function(*[kwargs[a] for a in impl.argnames])
    except Exception as exc:
        raise PluginError(f"plugin {impl.plugin_name!r} failed in {hook}: {_one_line(exc)}") from exc


def hook_names() -> list[str]:
    """The hooks the spec defines, in the order hookspecs.py lists them."""
    return [name for name, value in vars(hookspecs).items()
            if inspect.isfunction(value) and hasattr(value, f"{hookspecs.PROJECT}_spec")]


def split_modules(value: str) -> list[str]:
    """``FLICKR_REPLACE_PLUGINS``: comma-separated importable module names."""
    return [m.strip() for m in value.split(",") if m.strip()]


def _import(module: str, origin: str) -> Any:
    try:
        return importlib.import_module(module)
    except Exception as exc:  # a host's broken plugin is a configuration error
        raise ConfigError(f"cannot import plugin module {module!r} ({origin}): {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    """`Type: message` on one line: errors end up in one-line results and messages."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _entry_point_plugins() -> Iterator[tuple[str, str, Any]]:
    from importlib.metadata import entry_points

    for ep in entry_points(group=hookspecs.PROJECT):
        try:
            plugin = ep.load()
        except Exception as exc:
            raise ConfigError(f"cannot load plugin entry point {ep.name!r} ({ep.value}): {_one_line(exc)}") from None
        dist = getattr(getattr(ep, "dist", None), "name", None) or ep.value
        yield dist, ep.name, plugin


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
