"""The caller's id: ``--photo-id`` or ``photo_id`` in the host's metadata mapping.

The resolver asks this source first and, when it answers, asks no other: the caller wins
outright. It is a plugin like the others so that ``resolve -v`` and the plugin listing show it.
"""
from __future__ import annotations

from typing import Any, Mapping

from .candidates import Candidate
from ..hookspecs import hookimpl
from .fields import guarded


def caller_candidate(metadata: Mapping[str, Any] | None) -> Candidate | None:
    """The id the caller named, unvalidated (the resolver refuses one that is not digits)."""
    value = metadata.get("photo_id") if metadata else None
    if value is None or value == "":
        return None
    source = "argument" if metadata.get("photo_id_source") == "argument" else "metadata"
    return Candidate(str(value).strip(), source, "--photo-id" if source == "argument" else "photo_id")


@hookimpl
@guarded("caller")
def find_photo_id(path: str, metadata: Mapping[str, Any]) -> Candidate | None:
    return caller_candidate(metadata)
