"""Two shots of a burst look the same to any pixel measure; their capture times tell them apart.

Why: the neighbouring frame of a burst is another photograph, a split second later, and replacing
one with the other destroys a shot. Cameras write DateTimeOriginal to the second and
SubSecTimeOriginal for the fraction. Same second, different fraction: another shot. A time moved
by whole minutes or hours (a camera clock corrected, a time zone fixed) is the same shot. Without
the fraction on either side nothing can be told (None).
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import datetime

Capture = tuple[str | None, str | None]  # (DateTimeOriginal, SubSecTimeOriginal) as written in EXIF
_STAMP = re.compile(r"^\s*(\d{4})[:-](\d\d)[:-](\d\d)[ T](\d\d):(\d\d):(\d\d)")


def other_shot(file_time: Capture, photo_time: Capture) -> str | None:
    """A message when the two capture times say these are two shots; None when they are one shot
    or when it cannot be told."""
    ours, theirs = _instant(file_time), _instant(photo_time)
    if ours is None or theirs is None:
        return None
    (stamp_a, frac_a), (stamp_b, frac_b) = ours, theirs
    seconds = round((stamp_a - stamp_b).total_seconds())
    if seconds % 60 != 0 or frac_a == frac_b:
        return None  # the same instant, or a shift that is not a clock correction (unrelated times)
    return (f"the file was taken at {file_time[0]}.{file_time[1]}, photo's original at {photo_time[0]}."
            f"{photo_time[1]}: two shots of one burst, not one picture")


def has_fraction(time: Capture) -> bool:
    """Whether a capture time holds the fraction of a second that tells burst frames apart."""
    return _instant(time) is not None


def from_exif(tags: Mapping[str, str]) -> Capture:
    """The capture time from EXIF values by tag name (flickr.photos.getExif's answer)."""
    return tags.get("DateTimeOriginal") or None, tags.get("SubSecTimeOriginal") or None


def _instant(time: Capture) -> tuple[datetime, str] | None:
    stamp, fraction = time
    match = _STAMP.match(stamp or "")
    digits = (fraction or "").strip().rstrip("\x00").strip()
    if match is None or not digits.isdigit():
        return None
    try:
        return datetime(*(int(v) for v in match.groups())), digits.ljust(3, "0")[:6].rstrip("0") or "0"
    except ValueError:  # "0000:00:00 00:00:00" and other impossible dates: unknown
        return None


def capture_time(path: str | os.PathLike[str]) -> Capture:
    """The file's (DateTimeOriginal, SubSecTimeOriginal), each None when absent."""
    from ..formats.containers import DATE_TIME_ORIGINAL, SUBSEC_TIME_ORIGINAL, read_embedded

    tags = read_embedded(path).exif
    values = tags.values if tags is not None else {}
    return _text(values.get(DATE_TIME_ORIGINAL)), _text(values.get(SUBSEC_TIME_ORIGINAL))


def _text(raw: bytes | None) -> str | None:
    text = (raw or b"").split(b"\x00")[0].decode("ascii", "replace").strip()
    return text or None
