"""What Flickr learns from an uploaded file itself: its pixel size and its EXIF date taken."""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..formats.datetaken import read_date_taken


@dataclass(frozen=True)
class Probe:
    width: int = 0
    height: int = 0
    taken: str = ""  # '' when the file carries no usable DateTimeOriginal


def probe(path: str | os.PathLike, fmt: str | None) -> Probe:
    """Read only the headers (Pillow opens lazily); a file Pillow cannot read is 0 x 0, not an error."""
    if fmt in (None, "video"):
        return Probe()
    width = height = 0
    try:
        from PIL import Image

        with Image.open(path) as image:
            width, height = image.size
    except Exception:  # Pillow missing, a format it lacks a plugin for (HEIC), or a broken file
        pass
    return Probe(width, height, read_date_taken(path) or "")
