"""What a file says about its photo: title, description, tags, date taken and place.

Each field is read from the sources the contract names, first source first (XMP, then IPTC, then
EXIF for text; EXIF, then XMP for the date and the place). A field the file does not carry, or
cannot be read, is None: "the file says nothing" must never become "blank it on Flickr".
"""
from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable, TypeVar

from ..formats.containers import DATE_TIME_ORIGINAL, IMAGE_DESCRIPTION, XP_KEYWORDS, Embedded, read_embedded
from ..formats.datetaken import exif_date, xmp_date
from ..formats.gps import exif_location, xmp_location
from ..formats.xmp import XMPError, xmp_properties
from ..sources.iptc import iim_datasets, iim_text
from ..config import METADATA_FIELDS as FIELDS
from .tags import is_sendable, tag_key

log = logging.getLogger("flickr_replace.metadata")

_DC = "{http://purl.org/dc/elements/1.1/}"
_LR = "{http://ns.adobe.com/lightroom/1.0/}"
_EXIF = "{http://ns.adobe.com/exif/1.0/}"
_PHOTOSHOP = "{http://ns.adobe.com/photoshop/1.0/}"
X_TITLE, X_DESCRIPTION, X_SUBJECT = f"{_DC}title", f"{_DC}description", f"{_DC}subject"
X_HIERARCHICAL = f"{_LR}hierarchicalSubject"
X_DATE_ORIGINAL, X_DATE_CREATED = f"{_EXIF}DateTimeOriginal", f"{_PHOTOSHOP}DateCreated"
X_LATITUDE, X_LONGITUDE = f"{_EXIF}GPSLatitude", f"{_EXIF}GPSLongitude"
_XMP_WANTED = {X_TITLE, X_DESCRIPTION, X_SUBJECT, X_HIERARCHICAL, X_DATE_ORIGINAL, X_DATE_CREATED,
               X_LATITUDE, X_LONGITUDE}
OBJECT_NAME, KEYWORDS, CAPTION = (2, 5), (2, 25), (2, 120)

# A description that is only a link to a Flickr photo is an id another tool left, not a caption.
_ONLY_FLICKR_URL = re.compile(
    r"^\s*(?:flickr\s+url\s*:\s*)?(?:https?://)?(?:[\w-]+\.)?(?:flickr\.com|flic\.kr)/\S*\s*$", re.IGNORECASE)

T = TypeVar("T")


@dataclass
class FileMetadata:
    """The file's own metadata; None where the file does not say."""

    title: str | None = None
    description: str | None = None
    tags: list[str] | None = None  # in file order, one spelling per Flickr tag
    date_taken: str | None = None  # 'YYYY-MM-DD HH:MM:SS', the local time the camera wrote
    location: tuple[float, float] | None = None  # (latitude, longitude), south and west negative

    def says_anything(self) -> bool:
        return any(getattr(self, name) is not None for name in FIELDS)


@dataclass
class _Sources:
    """Every value of the blocks one walk found, by source: XMP by Clark name, IPTC by dataset."""

    blocks: Embedded
    xmp: dict[str, list[str]]
    iptc: dict[tuple[int, int], list[str]]


def read_fields(path: str | os.PathLike) -> FileMetadata:
    """The file's title, description, tags, date taken and location; never raises."""
    blocks = read_embedded(path)
    for problem in blocks.problems:
        log.info("%s: %s", path, problem)
    found = _Sources(blocks, _xmp_values(blocks.xmp, path), _iptc_values(blocks.iptc, path))
    return FileMetadata(**{name: _guarded(path, name, reader, found) for name, reader in _READERS.items()})


def _guarded(path: str | os.PathLike, name: str, reader: Callable[[_Sources], T], found: _Sources) -> T | None:
    try:
        return reader(found)
    except (ValueError, IndexError, KeyError, TypeError, UnicodeError) as exc:  # struct.error is a ValueError
        log.info("%s: %s not read (%s: %s)", path, name, type(exc).__name__, exc)
        return None


def _xmp_values(packets: Iterable[bytes], path: str | os.PathLike) -> dict[str, list[str]]:
    values: dict[str, list[str]] = defaultdict(list)
    for packet in packets:
        try:
            for clark, value in xmp_properties(packet, _XMP_WANTED):
                values[clark].append(value)
        except XMPError as exc:
            log.info("%s: XMP not read (%s)", path, exc)
    return values


def _iptc_values(data: bytes | None, path: str | os.PathLike) -> dict[tuple[int, int], list[str]]:
    values: dict[tuple[int, int], list[str]] = defaultdict(list)
    datasets = iim_datasets(data) if data else []
    if datasets is None:
        log.info("%s: the IPTC block is damaged, not read", path)
    for key, text in iim_text(datasets or []):
        values[key].append(text)
    return values


def _exif_text(found: _Sources, tag: int, codec: str) -> str | None:
    exif = found.blocks.exif
    raw = exif.values.get(tag) if exif is not None else None
    if raw is None:
        return None
    if codec == "ascii":  # EXIF says ASCII; writers put UTF-8, old ones Latin-1
        try:
            return raw.decode("utf-8").split("\x00")[0]
        except UnicodeDecodeError:
            return raw.decode("latin-1").split("\x00")[0]
    return raw.decode(codec, "replace").split("\x00")[0]


def _first_text(values: Iterable[str | None]) -> str | None:
    return next((v.strip() for v in values if v is not None and v.strip()), None)


def _title(found: _Sources) -> str | None:
    return _first_text([*found.xmp[X_TITLE], *found.iptc[OBJECT_NAME]])


def _description(found: _Sources) -> str | None:
    values = [*found.xmp[X_DESCRIPTION], *found.iptc[CAPTION], _exif_text(found, IMAGE_DESCRIPTION, "ascii")]
    return _first_text(v for v in values if v is not None and not _ONLY_FLICKR_URL.match(v))


def _tags(found: _Sources) -> list[str] | None:
    leaves = [value.split("|")[-1] for value in found.xmp[X_HIERARCHICAL] if is_sendable(value)]
    xp = (_exif_text(found, XP_KEYWORDS, "utf-16-le") or "").split(";")
    tags: dict[str, str] = {}
    for raw in (*found.xmp[X_SUBJECT], *leaves, *found.iptc[KEYWORDS], *xp):
        raw = raw.strip()
        if is_sendable(raw):
            tags.setdefault(tag_key(raw), raw)
    return list(tags.values()) or None


def _date_taken(found: _Sources) -> str | None:
    exif = found.blocks.exif
    taken = exif_date(exif.values.get(DATE_TIME_ORIGINAL)) if exif is not None else None
    xmp_dates = (xmp_date(v) for v in (*found.xmp[X_DATE_ORIGINAL], *found.xmp[X_DATE_CREATED]))
    return taken or next((d for d in xmp_dates if d), None)


def _location(found: _Sources) -> tuple[float, float] | None:
    exif = found.blocks.exif
    place = exif_location(exif.gps, exif.byteorder) if exif is not None else None
    latitudes, longitudes = found.xmp[X_LATITUDE], found.xmp[X_LONGITUDE]
    if place is None and latitudes and longitudes:
        place = xmp_location(latitudes[0], longitudes[0])
    return place


_READERS: dict[str, Callable[[_Sources], object]] = {
    "title": _title, "description": _description, "tags": _tags, "date_taken": _date_taken, "location": _location}
