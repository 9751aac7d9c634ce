"""One resolution's scope: the notes sources leave, and the container walks they share.

A source that meets a damaged file returns None and calls ``note()``; the resolver collects the
notes of one resolution into ``Resolution.notes`` for ``resolve -v``. Third-party plugins may
call ``note()`` too. The XMP, EXIF and IPTC sources read the same file one after the other, so
the first walk of a file is kept for the rest of the resolution — and no longer, so a file
rewritten between two resolutions is always read afresh. The caller may hand in the file it
already holds open (the replace core has checked and will send it), so the walk reads that one
rather than opening the file again. Outside a resolution ``note()`` does nothing and nothing is
kept, so sources can be called on their own.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterator


@dataclass
class Scope:
    notes: list[str] = field(default_factory=list)
    walks: dict[Any, Any] = field(default_factory=dict)
    opened: dict[str, BinaryIO] = field(default_factory=dict)  # by absolute path


_current: ContextVar[Scope | None] = ContextVar("flickr_replace_resolution", default=None)


def note(message: str) -> None:
    scope = _current.get()
    message = " ".join(message.split())  # one line each: parsers' messages span several
    if scope is not None and message not in scope.notes:  # three sources may meet one problem
        scope.notes.append(message)


def walks() -> dict[Any, Any] | None:
    """The current resolution's container walks by file version, or None outside a resolution."""
    scope = _current.get()
    return scope.walks if scope is not None else None


def opened_file(path: str | os.PathLike) -> BinaryIO | None:
    """The caller's open file for `path` in the current resolution, if it handed one in."""
    scope = _current.get()
    return scope.opened.get(os.path.abspath(path)) if scope is not None else None


@contextmanager
def resolution_scope(opened: dict[str, BinaryIO] | None = None) -> Iterator[Scope]:
    """Open a scope for one resolution (per thread and per task: a ContextVar).

    :param opened: files the caller holds open, by path: read, never closed, by the walks.
    """
    scope = Scope(opened={os.path.abspath(k): v for k, v in (opened or {}).items()})
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
