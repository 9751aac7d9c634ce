"""How pluggy's calls name their plugin: every answer carries it, every failure is a PluginError.

pluggy runs the hooks (order, wrappers, ``firstresult``); it has no per-implementation callback,
so each implementation registered is called through `_named`, which turns the plugin's answer
into the documented shape under its plugin's name, and the one monitoring callback
(`name_failures`) turns whatever else escapes a hook call (a hook wrapper raising) into the
documented per-file error.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Mapping, Sequence

import pluggy

from .photoid.answers import as_candidates
from .errors import PluginError


class Reason(str):
    """A before_replace veto: the reason string, knowing which plugin gave it."""

    plugin: str


class Manager(pluggy.PluginManager):
    """pluggy's manager whose implementations answer under their plugin's name."""

    def __init__(self, project: str, builtin: Callable[[str], bool]) -> None:
        super().__init__(project)
        self.builtin = builtin
        self.add_hookcall_monitoring(lambda *_: None, name_failures)

    def register(self, plugin: object, name: str | None = None) -> str | None:
        registered = super().register(plugin, name)
        # pluggy keeps calling impl.function in its own loop; only what each call answers changes
        for caller in self.get_hookcallers(plugin) or ():
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and not (impl.wrapper or impl.hookwrapper):
                    impl.function = _named(impl.function, impl.plugin_name, caller.name,  # type: ignore[misc]
                                           self.builtin(impl.plugin_name))
        return registered

    def hooks_of(self, plugin: object) -> list[str]:
        """The hooks `plugin` implements, specified or not."""
        return [caller.name for caller in self.get_hookcallers(plugin) or ()
                if any(impl.plugin is plugin for impl in caller.get_hookimpls())]


def _named(function: Callable[..., Any], plugin: str, hook: str, builtin: bool) -> Callable[..., Any]:
    @functools.wraps(function)
    def call(*args: Any) -> Any:
        try:
            answer = function(*args)
            if answer is None:
                return None
            if hook == "find_photo_id":
                return as_candidates(plugin, answer, builtin)
            if hook == "before_replace":
                answer = Reason(answer)
                answer.plugin = plugin
            elif hook == "flickr_credentials" and not isinstance(answer, Mapping):
                raise TypeError(f"answered with {type(answer).__name__}, not a mapping")
            return answer
        except PluginError:
            raise
        except Exception as exc:
            failure = PluginError(f"plugin {plugin!r} failed in {hook}: {one_line(exc)}")
            if hook == "after_replace":  # its answer is otherwise None: the plugins after it still see the result
                return failure
            raise failure from exc
    return call


def name_failures(outcome: pluggy.Result, hook: str, impls: Sequence[pluggy.HookImpl], kwargs: Any) -> None:
    """Monitoring callback: an exception escaping a hook call becomes a PluginError naming its plugin."""
    try:
        outcome.get_result()
    except PluginError:
        pass
    except Exception as exc:
        plugin = _raised_in(exc, impls)
        outcome.force_exception(PluginError(f"plugin {plugin!r} failed in {hook}: {one_line(exc)}"))


def _raised_in(exc: BaseException, impls: Sequence[pluggy.HookImpl]) -> str:
    """The plugin whose code the traceback went through last (a hook wrapper, as implementations name theirs)."""
    codes = {getattr(getattr(impl.function, "__func__", impl.function), "__code__", None): impl.plugin_name
             for impl in impls}
    name, tb = "?", exc.__traceback__
    while tb is not None:
        name = codes.get(tb.tb_frame.f_code, name)
        tb = tb.tb_next
    return name


def one_line(exc: BaseException) -> str:
    """`Type: message` on one line: errors end up in one-line results and messages."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
