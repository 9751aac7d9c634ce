"""Replace photos already on Flickr with a newly exported file.

Names are imported lazily so that `flickr-replace --help` and hosts importing the package stay fast.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .hookspecs import hookimpl

from .version import __version__
__all__ = ["replace", "replace_many", "finish_saved_tickets", "undo", "undo_many", "resolve_photo_id", "ReplaceResult", "Resolution", "Candidate", "hookimpl",
           "link_photos", "LinkResult", "ConfigError",
           "__version__"]

_LAZY = {
    "replace": "core", "replace_many": "core", "undo": "undoing", "undo_many": "undoing",
    "finish_saved_tickets": "core", "resolve_photo_id": "plugins",
    "ReplaceResult": "result", "Resolution": "photoid.candidates", "Candidate": "photoid.candidates",
    "link_photos": "link.run", "LinkResult": "link.result",
}

if TYPE_CHECKING:
    from .photoid.candidates import Candidate, Resolution
    from .core import finish_saved_tickets, replace, replace_many
    from .undoing import undo, undo_many
    from .plugins import resolve_photo_id
    from .result import ReplaceResult
    from .link.result import LinkResult
    from .link.run import link_photos


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flickr_replace_plugin' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)
