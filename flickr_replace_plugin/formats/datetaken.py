"""When a picture was taken, from EXIF DateTimeOriginal: what Flickr shows as a photo's date taken."""
from __future__ import annotations

import os
import re

from .containers import DATE_TIME_ORIGINAL, read_embedded

# EXIF 2.3 4.6.5: "YYYY:MM:DD HH:MM:SS" and a NUL; some writers use '-' in the date.
_STAMP = re.compile(rb"^(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)")
# XMP dates are ISO 8601: "2024-05-01T14:22:05.12+02:00", seconds and zone optional.
_XMP_STAMP = re.compile(r"^\s*(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?")


def read_date_taken(path: str | os.PathLike) -> str | None:
    """DateTimeOriginal as Flickr writes dates taken, 'YYYY-MM-DD HH:MM:SS'; None when absent or blank."""
    tags = read_embedded(path).exif
    return exif_date(tags.values.get(DATE_TIME_ORIGINAL) if tags is not None else None)


def exif_date(raw: bytes | None) -> str | None:
    """An EXIF date's raw bytes as 'YYYY-MM-DD HH:MM:SS'; None when absent, blank or impossible."""
    match = _STAMP.match(raw or b"")
    return _flickr_date(*(int(v) for v in match.groups())) if match else None


def xmp_date(text: str) -> str | None:
    """An XMP date as 'YYYY-MM-DD HH:MM:SS' in the local time it was written in (the zone is
    dropped, as Flickr's date taken has none); None for a date without a time of day, which
    does not say when in the day the picture was taken."""
    match = _XMP_STAMP.match(text)
    return _flickr_date(*(int(v or 0) for v in match.groups())) if match else None


def _flickr_date(year: int, month: int, day: int, hour: int, minute: int, second: int) -> str | None:
    if year == 0 or not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return None  # "0000:00:00 00:00:00" is how cameras write "unknown"
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
