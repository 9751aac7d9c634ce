"""The file name: a Flickr download or a file from Flickr's account data export.

Only these two shapes count. Camera names (IMG_20240101_123456.jpg, DSC_0026.jpg) are all digits
and underscores too, so a bare number is never taken for an id.
"""
from __future__ import annotations

import os
import re
from typing import Any, Mapping

from ..photoid.candidates import Candidate
from ..hookspecs import hookimpl
from ..photoid.fields import guarded, subjects

_SIZES = "s|q|t|m|n|w|z|c|b|h|k|3k|4k|f|5k|6k|o"
# {id}_{secret}[_{size}][_d].{ext}; the secret is 10 hex digits.
_DOWNLOAD = re.compile(rf"([1-9][0-9]{{0,19}})_[0-9a-f]{{10}}(?:_(?:{_SIZES}))?(?:_d)?\.[a-z0-9]+", re.IGNORECASE)
# {title}_{id}_o.{ext}; the title is sanitised free text, so only the tail is matched.
_EXPORT = re.compile(r"(?:.*_)?([1-9][0-9]{0,19})_o\.[a-z0-9]+", re.IGNORECASE)


def id_from_name(name: str) -> str | None:
    match = _DOWNLOAD.fullmatch(name) or _EXPORT.fullmatch(name)
    return match.group(1) if match else None


@hookimpl
@guarded("filename")
def find_photo_id(path: str, metadata: Mapping[str, Any]) -> list[Candidate] | None:
    found = []
    for file, where in subjects(path, metadata):
        name = os.path.basename(file)
        photo_id = id_from_name(name)
        if photo_id:
            found.append(Candidate(photo_id, "filename", f"original {name}" if where else name))
    return found or None
