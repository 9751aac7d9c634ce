"""Read a few tags from a TIFF structure (a TIFF/DNG/TIFF-based raw file, or an EXIF block).

Only the IFD entries and the values of the wanted tags are read, so a 2 GB TIFF costs a few
kilobytes. Our own reader rather than exifread: exifread drops any value of 1,000+ elements
(a long XPKeywords or UserComment) and skips UserComment unless it also decodes maker notes.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import BinaryIO, Collection

EXIF_IFD = 34665
GPS_IFD = 34853
# Tags that live in the EXIF sub-IFD rather than IFD0.
_EXIF_IFD_TAGS = {37510, 36867, 37521}  # UserComment, DateTimeOriginal, SubSecTimeOriginal
# Magic numbers of classic TIFF and the TIFF-shaped raws (ORF "RO"/"RS", RW2 "U").
_MAGICS = {42, 0x4F52, 0x5352, 0x55}
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
MAX_ENTRIES = 4096  # real IFDs hold dozens; more means garbage


class TiffError(ValueError):
    """Not a TIFF structure, or one too broken to read."""


PEEK = 4  # bytes read past each value, so a text whose end is not marked can be checked for a cut


@dataclass
class TiffTags:
    byteorder: str  # struct prefix: "<" (II, Intel) or ">" (MM, Motorola)
    values: dict[int, bytes] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # wanted tags left out, and why
    # the PEEK bytes that follow each value stored out of line (b"" where the data ends, or where
    # another value or IFD starts): a count damaged to be smaller leaves the rest of the text there
    following: dict[int, bytes] = field(default_factory=dict, compare=False)
    # (start, end, tag) of every IFD table and out-of-line value seen: a count damaged to be
    # larger makes its value run into another one
    spans: list[tuple[int, int, int]] = field(default_factory=list, repr=False, compare=False)
    gps: dict[int, bytes] = field(default_factory=dict)  # the wanted tags of the GPS IFD (their own numbers)


def read_tags(fh: BinaryIO, wanted: Collection[int], base: int = 0, cap: int = 1 << 20,
              gps: Collection[int] = ()) -> TiffTags:
    """Read the raw value bytes of the `wanted` tags of IFD0 and its EXIF sub-IFD.

    :param base: where the TIFF header starts in `fh` (offsets inside are relative to it).
    :param cap: the largest value read; larger ones are listed in ``skipped``.
    :param gps: tags of the GPS sub-IFD to read into ``gps`` (its numbers overlap IFD0's).
    """
    fh.seek(base)
    header = fh.read(8)
    if len(header) < 8 or header[:2] not in (b"II", b"MM"):
        raise TiffError("no TIFF header")
    order = "<" if header[:2] == b"II" else ">"
    magic, ifd0 = struct.unpack(order + "HI", header[2:])
    if magic not in _MAGICS:
        raise TiffError(f"unknown TIFF magic {magic}")
    tags = TiffTags(order)
    _read_ifd(fh, base, ifd0, set(wanted) | {EXIF_IFD, GPS_IFD}, cap, tags)
    pointer = tags.values.pop(EXIF_IFD, None)
    gps_pointer = tags.values.pop(GPS_IFD, None)
    sub_wanted = set(wanted) & _EXIF_IFD_TAGS
    if sub_wanted and pointer is not None and len(pointer) == 4:
        (offset,) = struct.unpack(order + "I", pointer)
        try:
            _read_ifd(fh, base, offset, sub_wanted, cap, tags)
        except TiffError as exc:  # IFD0's values are still good
            tags.skipped.append(f"EXIF IFD: {exc}")
    _drop_overlapping(tags)
    if gps and gps_pointer is not None and len(gps_pointer) == 4:
        tags.gps = _sub_ifd(fh, base, struct.unpack(order + "I", gps_pointer)[0], gps, cap, tags)
    return tags


def _sub_ifd(fh: BinaryIO, base: int, offset: int, wanted: Collection[int], cap: int,
             tags: TiffTags) -> dict[int, bytes]:
    """The wanted values of a sub-IFD whose tag numbers are its own; a damaged one gives none."""
    sub = TiffTags(tags.byteorder)
    try:
        _read_ifd(fh, base, offset, set(wanted), cap, sub)
    except TiffError as exc:
        tags.skipped.append(f"GPS IFD: {exc}")
        return {}
    tags.skipped.extend(f"GPS IFD: {why}" for why in sub.skipped)
    return sub.values


def _drop_overlapping(tags: TiffTags) -> None:
    """A wanted value that overlaps another value or an IFD has a damaged count: it is left out,
    since the bytes past its real end are someone else's and may extend an id. One that ends
    where another starts has its end confirmed by the layout: nothing follows it that is its own."""
    for start, end, tag in [span for span in tags.spans if span[2] in tags.values]:
        others = [(s, e) for s, e, t in tags.spans if (s, e, t) != (start, end, tag)]
        if any(s < end and start < e for s, e in others):
            del tags.values[tag]
            tags.following.pop(tag, None)
            tags.skipped.append(f"tag {tag} overlaps other data (a damaged count?)")
        elif any(s == end for s, _ in others):
            tags.following[tag] = b""


def _read_ifd(fh: BinaryIO, base: int, offset: int, wanted: set[int], cap: int, tags: TiffTags) -> None:
    order = tags.byteorder
    fh.seek(base + offset)
    raw = fh.read(2)
    if len(raw) < 2:
        raise TiffError(f"IFD offset {offset} is past the end")
    (count,) = struct.unpack(order + "H", raw)
    if count > MAX_ENTRIES:
        raise TiffError(f"IFD claims {count} entries")
    entries = fh.read(12 * count)
    tags.spans.append((offset, offset + 2 + 12 * count + 4, -1))
    for start in range(0, len(entries) - 11, 12):
        tag, typ, n, inline = struct.unpack(order + "HHI4s", entries[start : start + 12])
        size = _TYPE_SIZES.get(typ, 0) * n
        if size > 4:
            at = struct.unpack(order + "I", inline)[0]
            tags.spans.append((at, at + size, tag))
        if tag not in wanted or typ not in _TYPE_SIZES:
            continue
        if size <= 4:
            tags.values[tag] = inline[:size]
        elif size > cap:
            tags.skipped.append(f"tag {tag} holds {size} bytes (more than {cap})")
        else:
            fh.seek(base + at)
            value = fh.read(size + PEEK)
            if len(value) >= size:
                tags.values[tag], tags.following[tag] = value[:size], value[size:]
            else:
                tags.skipped.append(f"tag {tag} runs past the end")
