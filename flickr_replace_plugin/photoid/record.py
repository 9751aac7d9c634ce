"""This tool's own sidecar, NAME.EXT.flickr.yaml: written once a file's photo is known, so the next
export of a file replaced with an explicit ``--photo-id`` needs none (the sidecar source reads it)."""
from __future__ import annotations

import os

from ..fsutil import atomic_write
from .patterns import is_photo_id

OWN_SUFFIXES = (".flickr.yaml", ".flickr.json")


def record_photo_id(path: str | os.PathLike, photo_id: str) -> str:
    """Write NAME.EXT.flickr.yaml next to `path` (atomically; the image is never touched).

    :returns: the sidecar's path. Raises ValueError for a photo id that is not digits and
        OSError when the folder is not writable.
    """
    photo_id = str(photo_id).strip()
    if not is_photo_id(photo_id):
        raise ValueError(f"not a Flickr photo id: {photo_id!r}")
    sidecar = os.fspath(path) + OWN_SUFFIXES[0]
    atomic_write(sidecar, f'photo_id: "{photo_id}"\n', mode=0o644)
    return sidecar
