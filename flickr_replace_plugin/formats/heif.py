"""HEIF, HEIC and AVIF (ISO base media files): find the Exif and XMP items.

The meta box's iinf names the items (an ``Exif`` item; a ``mime`` item of type
application/rdf+xml is XMP), iloc says where their bytes are: at file offsets (construction
method 0) or inside the meta box's idat (method 1).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import BinaryIO


@dataclass
class Items:
    exif: list[bytes] = field(default_factory=list)  # TIFF structures
    xmp: list[bytes] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


MAX_BOXES = 1 << 12  # top-level boxes walked before the meta box; real files have a handful


def read_items(fh: BinaryIO, cap: int, budget: int) -> Items:
    """The Exif and XMP items of a HEIF file; reads the top-level box headers, the meta box and
    each item (at most `cap` bytes each, `budget` in all), never the image data."""
    items = Items()
    fh.seek(0)
    for _ in range(MAX_BOXES):
        box = _box_header(fh)
        if box is None:
            break
        kind, size = box
        if kind == b"meta":
            if not 4 <= size <= cap:
                items.problems.append(f"HEIF meta box of {size} bytes is too large")
            else:
                payload = fh.read(size)
                if len(payload) != size:
                    raise ValueError("the meta box is cut short")
                _meta(fh, memoryview(payload)[4:], items, cap, budget - size)  # skip version/flags
            break
        if size < 0:
            break
        fh.seek(size, 1)
    return items


def _box_header(fh: BinaryIO) -> tuple[bytes, int] | None:
    """(type, payload size) of the next box; size -1 means "to the end of the file"."""
    header = fh.read(8)
    if len(header) < 8:
        return None
    size, kind = struct.unpack(">I4s", header)
    if size == 1:
        (size,) = struct.unpack(">Q", fh.read(8))  # struct.error if cut short
        return kind, size - 16
    if size == 0:
        return kind, -1
    if size < 8:
        raise ValueError(f"box {kind!r} claims {size} bytes")
    return kind, size - 8


def _children(payload: memoryview) -> dict[bytes, memoryview]:
    boxes = {}
    pos = 0
    while pos + 8 <= len(payload):
        size, kind = struct.unpack_from(">I4s", payload, pos)
        if size < 8:
            break
        boxes.setdefault(bytes(kind), payload[pos + 8 : pos + size])
        pos += size
    return boxes


def _meta(fh: BinaryIO, meta: memoryview, items: Items, cap: int, budget: int) -> None:
    boxes = _children(meta)
    exif_items, xmp_items = _item_ids(boxes.get(b"iinf"))
    if not exif_items and not xmp_items:
        return
    locations = _locations(boxes.get(b"iloc"), max_items=1 << 16)
    idat = boxes.get(b"idat", memoryview(b""))
    for item in exif_items + xmp_items:
        data = _item_data(fh, locations.get(item), idat, min(cap, budget))
        budget -= len(data or b"")
        if data is None:
            items.problems.append(f"HEIF item {item} cannot be located")
        elif item in xmp_items:
            items.xmp.append(data)
        elif len(data) >= 4:  # a 32-bit offset to the TIFF header comes first
            (tiff_offset,) = struct.unpack_from(">I", data)
            items.exif.append(data[4 + tiff_offset :])


def _item_ids(iinf: memoryview | None) -> tuple[list[int], list[int]]:
    """The ids of the Exif items and of the XMP (mime application/rdf+xml) items."""
    exif_items: list[int] = []
    xmp_items: list[int] = []
    if iinf is None or len(iinf) < 6:
        return exif_items, xmp_items
    pos = 6 if iinf[0] == 0 else 8  # version/flags, then a 16- or 32-bit entry count
    while pos + 8 <= len(iinf):
        size, kind = struct.unpack_from(">I4s", iinf, pos)
        if size < 8:
            break
        infe = bytes(iinf[pos + 8 : pos + size])
        pos += size
        if kind != b"infe" or len(infe) < 8:
            continue
        version = infe[0]
        if version < 2:  # item_ID, protection, name, content_type
            (item,) = struct.unpack_from(">H", infe, 4)
            item_type, strings = b"mime", infe[8:].split(b"\x00")[1:2]
        else:
            id_format = ">H" if version == 2 else ">I"
            (item,) = struct.unpack_from(id_format, infe, 4)
            at = 4 + struct.calcsize(id_format) + 2
            item_type, strings = infe[at : at + 4], infe[at + 4 :].split(b"\x00")[1:2]
        if item_type == b"Exif":
            exif_items.append(item)
        elif item_type == b"mime" and strings and strings[0].strip().lower() == b"application/rdf+xml":
            xmp_items.append(item)
    return exif_items, xmp_items


_Extents = tuple[int, list[tuple[int, int]]]  # construction method, [(offset, length)]


def _locations(iloc: memoryview | None, max_items: int) -> dict[int, _Extents]:
    if iloc is None or len(iloc) < 8:
        return {}
    data = bytes(iloc)
    version = data[0]
    offset_size, length_size = data[4] >> 4, data[4] & 15
    base_size, index_size = data[5] >> 4, (data[5] & 15 if version in (1, 2) else 0)
    pos = 6
    count, pos = _uint(data, pos, 4 if version == 2 else 2)
    locations: dict[int, _Extents] = {}
    for _ in range(min(count, max_items)):
        item, pos = _uint(data, pos, 4 if version == 2 else 2)
        method = 0
        if version in (1, 2):
            method, pos = _uint(data, pos, 2)
            method &= 15
        pos += 2  # data_reference_index
        base, pos = _uint(data, pos, base_size)
        extent_count, pos = _uint(data, pos, 2)
        extents = []
        for _ in range(extent_count):
            pos += index_size
            offset, pos = _uint(data, pos, offset_size)
            length, pos = _uint(data, pos, length_size)
            extents.append((base + offset, length))
        locations[item] = (method, extents)
    return locations


def _uint(data: bytes, pos: int, size: int) -> tuple[int, int]:
    if size not in (0, 2, 4, 8) or pos + size > len(data):
        raise ValueError("iloc box is truncated or has an invalid field size")
    return (int.from_bytes(data[pos : pos + size], "big") if size else 0), pos + size


def _item_data(fh: BinaryIO, location: _Extents | None, idat: memoryview, cap: int) -> bytes | None:
    """Join an item's extents: file offsets (method 0) or offsets into idat (method 1)."""
    if location is None or location[0] not in (0, 1):
        return None
    method, extents = location
    if not extents or sum(length for _, length in extents) > cap or any(n == 0 for _, n in extents):
        return None
    parts = []
    for offset, length in extents:
        if method == 1:
            part = bytes(idat[offset : offset + length])
        else:
            fh.seek(offset)
            part = fh.read(length)
        if len(part) != length:
            return None
        parts.append(part)
    return b"".join(parts)
