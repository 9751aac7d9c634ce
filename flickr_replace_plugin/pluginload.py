"""Finding plugins to load: entry points, ``FLICKR_REPLACE_PLUGINS``, ``--plugin``; and what a
plugin that cannot load is told (one line, exit 2)."""
from __future__ import annotations

import difflib
import importlib
import inspect
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

import pluggy

from . import hookspecs
from .errors import ConfigError
from .hookcalls import Manager, one_line

ENV_PLUGINS = "FLICKR_REPLACE_PLUGINS"
ARGUMENT = "--plugin"
BUILTIN = "builtin"


@dataclass(frozen=True)
class LoadedPlugin:
    name: str
    origin: str  # "builtin", "entry point <dist>", "FLICKR_REPLACE_PLUGINS", "--plugin"
    hooks: tuple[str, ...]

    @property
    def builtin(self) -> bool:
        return self.origin == BUILTIN


def hook_names() -> list[str]:
    """The hooks the spec defines, in the order hookspecs.py lists them."""
    return [name for name, value in vars(hookspecs).items()
            if inspect.isfunction(value) and hasattr(value, f"{hookspecs.PROJECT}_spec")]


def split_modules(value: str) -> list[str]:
    """``FLICKR_REPLACE_PLUGINS``: comma-separated importable module names."""
    return [m.strip() for m in value.split(",") if m.strip()]


def import_plugin(module: str, origin: str) -> Any:
    try:
        return importlib.import_module(module)
    except Exception as exc:  # a host's broken plugin is a configuration error
        raise ConfigError(f"cannot import plugin module {module!r} ({origin}): {one_line(exc)}") from None


def entry_point_plugins() -> Iterator[tuple[str, str, Any]]:
    """(distribution, entry point name, plugin) for every installed ``flickr_replace`` entry point."""
    from importlib.metadata import entry_points

    for ep in entry_points(group=hookspecs.PROJECT):
        try:
            plugin = ep.load()
        except Exception as exc:
            raise ConfigError(f"cannot load plugin entry point {ep.name!r} ({ep.value}): {one_line(exc)}") from None
        dist = getattr(getattr(ep, "dist", None), "name", None) or ep.value
        yield dist, ep.name, plugin


def check_pending(pm: Manager, origins: Mapping[str, str]) -> None:
    """pluggy's check_pending, as one line naming the plugin and the hook it likely meant."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or repr(exc.plugin)
        known = hook_names()
        hook = ([hook for hook in pm.hooks_of(exc.plugin) if hook not in known] or ["?"])[0]
        guess = difflib.get_close_matches(hook, known, n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else f"; known hooks: {', '.join(known)}"
        raise ConfigError(f"plugin {name!r} ({origins.get(name, '?')}) implements unknown hook {hook!r}{hint}") from None
