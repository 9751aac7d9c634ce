"""The project's own faithful local Flickr: the endpoints, signatures, tickets and errors of the
real service on loopback, with its photos in a data dir, and faults to inject on purpose.

`Sandbox` is loaded on first use so that the CLI, which wires `add_arguments`/`run`, starts fast.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cli import add_arguments, main, run

if TYPE_CHECKING:
    from .app import Sandbox

__all__ = ["Sandbox", "add_arguments", "main", "run"]


def __getattr__(name: str) -> Any:
    if name == "Sandbox":
        from .app import Sandbox

        return Sandbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
