"""flickr-replace plugin: photo ids from a SQLite catalog (path -> photo id), results recorded back.

Registered through the entry-point group ``flickr_replace`` (see pyproject.toml); the module also
works through ``FLICKR_REPLACE_PLUGINS=flickr_replace_catalog`` or ``--plugin flickr_replace_catalog``.
"""
from __future__ import annotations

from typing import Any, Mapping

from flickr_replace_plugin import Candidate, hookimpl

from .catalog import Catalog


@hookimpl
def find_photo_id(path: str, metadata: Mapping[str, Any]) -> list[Candidate] | None:
    """The id catalogued for the file, or for the original it was exported from."""
    with Catalog.open() as catalog:
        for candidate in (path, metadata.get("original")):
            photo_id = catalog.photo_id(candidate) if candidate else None
            if photo_id:
                return [Candidate(photo_id, "catalog")]
    return None


@hookimpl
def after_replace(result: Any) -> None:
    """Every final result, replaced or not, goes into the history."""
    with Catalog.open() as catalog:
        catalog.record(result.to_dict())
