"""When a picture was taken, from EXIF DateTimeOriginal: what Flickr shows as a photo's date taken."""
from __future__ import annotations

import os
import re

from .containers import DATE_TIME_ORIGINAL, read_embedded

# EXIF 2.3 4.6.5: "YYYY:MM:DD HH:MM:SS" and a NUL; some writers use '-' in the date.
_STAMP = re.compile(rb"^(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)")


def read_date_taken(path: str | os.PathLike) -> str | None:
    """DateTimeOriginal as Flickr writes dates taken, 'YYYY-MM-DD HH:MM:SS'; None when absent or blank."""
    tags = read_embedded(path).exif
    raw = tags.values.get(DATE_TIME_ORIGINAL) if tags is not None else None
    match = _STAMP.match(raw or b"")
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(v) for v in match.groups())
    if year == 0 or not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return None  # "0000:00:00 00:00:00" is how cameras write "unknown"
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
