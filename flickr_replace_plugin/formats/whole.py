"""Is an image file whole, or still being written (or cut off)? Told by its own structure.

A file whose size and time have held still may be a writer that stalled, not one that finished:
sending it would put a broken picture on Flickr (and make it the next backup). Each container
says where it ends: a JPEG's EOI marker after its last scan, a PNG's IEND chunk, a GIF's trailer,
a TIFF's strips and tiles, a WebP's RIFF size, a HEIF's top-level boxes. Only headers are read,
except a JPEG's scans, which are searched for their end marker in chunks.

Kinds these rules do not cover (a camera raw, a video, an unknown file) count as whole: what the
file is, and whether it can be sent, is the replace's own check to say.
"""
from __future__ import annotations

import contextlib
import os
import struct
from typing import BinaryIO, Callable, Iterator

from .heif import _children as heif_children, _locations as heif_locations
from .sniff import sniff_file

CHUNK = 1 << 20  # bytes read at a time while searching a JPEG scan for its end
MAX_PARTS = 1 << 16  # segments, chunks, boxes or IFDs walked before the structure counts as garbage
MAX_IMAGES = 16  # JPEGs one after another in a file (MPF, gain maps) walked for their ends
MIN_BYTES = 16  # less than this is not yet anything


class Cut(Exception):
    """The structure runs past the end of the file (or never ends): why, for the user."""


def is_whole(file: "str | os.PathLike | BinaryIO", kind: str | None = None) -> bool:
    return why_not_whole(file, kind) is None


def why_not_whole(file: "str | os.PathLike | BinaryIO", kind: str | None = None) -> str | None:
    """None when `file` (a path, or a binary file open for reading) is a whole image; else why not.

    :param kind: the container as `sniff_file` names it; sniffed when not given.
    """
    try:
        with _opened(file) as fh:
            size = fh.seek(0, os.SEEK_END)
            if size < MIN_BYTES:
                return f"only {size} bytes so far"
            kind = kind or sniff_file(fh)
            check = _CHECKS.get(kind or "")
            if check is not None:
                check(fh, size)
    except Cut as exc:
        return str(exc)
    except (struct.error, ValueError) as exc:  # a field cut in two
        return f"{kind or 'file'} structure is cut short ({exc})"
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    return None


@contextlib.contextmanager
def _opened(file: "str | os.PathLike | BinaryIO") -> Iterator[BinaryIO]:
    if hasattr(file, "read"):
        yield file  # type: ignore[misc]
    else:
        with open(file, "rb") as fh:  # type: ignore[arg-type]
            yield fh


def _read(fh: BinaryIO, at: int, n: int, size: int, what: str) -> bytes:
    if at + n > size:
        raise Cut(f"{what} runs past the end of the file (byte {at + n} of {size})")
    fh.seek(at)
    data = fh.read(n)
    if len(data) != n:
        raise Cut(f"{what} runs past the end of the file")
    return data


# --- JPEG ------------------------------------------------------------------------------------------

def _jpeg(fh: BinaryIO, size: int) -> None:
    """Every JPEG in the file (a multi-picture file or a gain map appends more) reaches its EOI;
    what follows the last one (padding, a motion photo's video) is not the image's business."""
    at = 0
    for _ in range(MAX_IMAGES):
        at = _jpeg_end(fh, at, size)
        fh.seek(at)
        tail = fh.read(CHUNK)
        following = tail.lstrip(b"\x00")
        if following.startswith(b"\xff\xd8\xff"):
            at += len(tail) - len(following)
            continue
        return
    raise Cut("more JPEG images follow one another than any photo holds")


def _jpeg_end(fh: BinaryIO, at: int, size: int) -> int:
    """The byte after the EOI of the JPEG that starts at `at`."""
    if _read(fh, at, 2, size, "the JPEG start") != b"\xff\xd8":
        raise Cut("not a JPEG")
    at += 2
    for _ in range(MAX_PARTS):
        if _read(fh, at, 1, size, "a JPEG segment") != b"\xff":
            raise Cut(f"the JPEG is damaged at byte {at} (no marker where one belongs)")
        marker = _read(fh, at + 1, 1, size, "a JPEG marker")[0]
        if marker == 0xFF:  # a fill byte before the marker
            at += 1
            continue
        if marker == 0xD9:
            return at + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        (length,) = struct.unpack(">H", _read(fh, at + 2, 2, size, "a JPEG segment"))
        _read(fh, at + 2 + max(length, 2) - 1, 1, size, f"the JPEG segment 0x{marker:02X}")
        at += 2 + length
        if marker == 0xDA:  # a scan: entropy-coded data up to the next marker
            at = _scan_end(fh, at, size)
    raise Cut("the JPEG has more segments than any image")


def _scan_end(fh: BinaryIO, at: int, size: int) -> int:
    """Where the marker after a scan's entropy-coded data starts (0xFF 0x00 is a data byte, RSTn a
    restart inside the scan)."""
    fh.seek(at)
    base, data = at, b""
    while True:
        more = fh.read(CHUNK)
        if not more:
            raise Cut("the JPEG has no end marker (EOI): its image data stops part way")
        data += more
        i = 0
        while True:
            i = data.find(b"\xff", i)
            if i < 0 or i + 1 >= len(data):
                break
            following = data[i + 1]
            if following == 0x00 or following == 0xFF or 0xD0 <= following <= 0xD7:
                i += 1
                continue
            return base + i
        keep = 1 if data.endswith(b"\xff") else 0  # a marker may straddle two chunks
        base += len(data) - keep
        data = data[len(data) - keep:]


# --- PNG, GIF --------------------------------------------------------------------------------------

def _png(fh: BinaryIO, size: int) -> None:
    at = 8
    for _ in range(MAX_PARTS * 16):  # an export writes many small IDAT chunks
        length, kind = struct.unpack(">I4s", _read(fh, at, 8, size, "a PNG chunk header"))
        _read(fh, at + 8 + length + 3, 1, size, f"the PNG chunk {kind.decode('latin-1')!r}")
        if kind == b"IEND":
            return
        at += 12 + length
    raise Cut("the PNG has more chunks than any image")


def _gif(fh: BinaryIO, size: int) -> None:
    flags = _read(fh, 10, 1, size, "the GIF header")[0]
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    for _ in range(MAX_PARTS * 16):
        block = _read(fh, at, 1, size, "a GIF block")[0]
        if block == 0x3B:  # the trailer
            return
        if block == 0x21:  # an extension: label, then sub-blocks
            at = _sub_blocks(fh, at + 2, size)
        elif block == 0x2C:  # an image: descriptor, local colour table, LZW code size, sub-blocks
            local = _read(fh, at + 9, 1, size, "a GIF image descriptor")[0]
            at += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
            at = _sub_blocks(fh, at + 1, size)
        else:
            raise Cut(f"the GIF is damaged at byte {at}")
    raise Cut("the GIF has more blocks than any image")


def _sub_blocks(fh: BinaryIO, at: int, size: int) -> int:
    while True:
        length = _read(fh, at, 1, size, "GIF data")[0]
        at += 1 + length
        if length == 0:
            return at


# --- TIFF ------------------------------------------------------------------------------------------

_STRIPS = ((273, 279), (324, 325))  # (StripOffsets, StripByteCounts), (TileOffsets, TileByteCounts)
_SUB_IFDS, _EXIF_IFD = 330, 34665
_TYPES = {1: "B", 2: "B", 3: "H", 4: "I", 5: "Q", 6: "b", 7: "B", 8: "h", 9: "i", 10: "q", 11: "f", 12: "d",
          13: "I", 16: "Q", 17: "q", 18: "Q"}


def _tiff(fh: BinaryIO, size: int) -> None:
    """Every IFD of the chain (and its SubIFDs) within the file, and every strip or tile it lists."""
    header = _read(fh, 0, 16, size, "the TIFF header")
    order = "<" if header[:2] == b"II" else ">"
    big = struct.unpack(order + "H", header[2:4])[0] == 43
    pointer = struct.unpack(order + ("Q" if big else "I"), header[8:16] if big else header[4:8])[0]
    pending, seen = [pointer], set()
    while pending:
        offset = pending.pop()
        if offset == 0 or offset in seen:
            continue
        if len(seen) >= MAX_PARTS:
            raise Cut("the TIFF has more IFDs than any image")
        seen.add(offset)
        entries, following = _ifd(fh, order, big, offset, size)
        pending.append(following)
        pending += entries.get(_SUB_IFDS, [])
        for offsets, counts in _STRIPS:
            for start, length in zip(entries.get(offsets, []), entries.get(counts, [])):
                _read(fh, start + max(length, 1) - 1, 1, size, "a TIFF strip or tile")


def _ifd(fh: BinaryIO, order: str, big: bool, offset: int, size: int) -> tuple[dict[int, list[int]], int]:
    """The values of the tags that place data (strips, tiles, SubIFDs), and the next IFD's offset."""
    count_format, entry_size, inline, pointer = ("Q", 20, 8, "Q") if big else ("H", 12, 4, "I")
    head = struct.calcsize(count_format)
    (count,) = struct.unpack(order + count_format, _read(fh, offset, head, size, "a TIFF IFD"))
    if count > 4096:
        raise Cut(f"the TIFF is damaged (an IFD of {count} entries)")
    table = _read(fh, offset + head, entry_size * count + inline, size, "a TIFF IFD")
    entries: dict[int, list[int]] = {}
    wanted = {_SUB_IFDS, *(tag for pair in _STRIPS for tag in pair)}
    for start in range(0, entry_size * count, entry_size):
        tag, typ, n = struct.unpack(order + ("HHQ" if big else "HHI"), table[start : start + 4 + inline])
        value = table[start + 4 + inline : start + entry_size]
        item = _TYPES.get(typ)
        length = struct.calcsize(item) * n if item else 0
        if length > inline:  # stored elsewhere: it too must be in the file
            (at,) = struct.unpack(order + pointer, value)
            value = _read(fh, at, length, size, f"the TIFF tag {tag}'s value") if tag in wanted else b""
            if tag not in wanted:
                _read(fh, at + length - 1, 1, size, f"the TIFF tag {tag}'s value")
        if tag in wanted and item in ("H", "I", "Q"):
            entries[tag] = list(struct.unpack(f"{order}{n}{item}", value[:length]))
    (following,) = struct.unpack(order + pointer, table[entry_size * count:])
    return entries, following


# --- WebP, HEIF ------------------------------------------------------------------------------------

def _webp(fh: BinaryIO, size: int) -> None:
    (riff,) = struct.unpack("<I", _read(fh, 4, 4, size, "the RIFF header"))
    if riff + 8 > size:
        raise Cut(f"the WebP runs past the end of the file: its RIFF header says {riff + 8} bytes, the file has {size}")


def _heif(fh: BinaryIO, size: int) -> None:
    """Every top-level box within the file, and every item the meta box places in it (a file cut
    between two boxes has whole boxes, but not its image data)."""
    at, meta = 0, None
    for _ in range(MAX_PARTS):
        if at == size:
            break
        header = 8
        length, kind = struct.unpack(">I4s", _read(fh, at, 8, size, "a HEIF box header"))
        if length == 1:
            (length,), header = struct.unpack(">Q", _read(fh, at + 8, 8, size, "a HEIF box header")), 16
        elif length == 0:  # the last box runs to the end of the file
            length = size - at
        if length < header:
            raise Cut(f"the HEIF is damaged at byte {at}")
        _read(fh, at + length - 1, 1, size, f"the HEIF box {kind.decode('latin-1')!r}")
        if kind == b"meta":  # one too large to read is only checked for fitting
            large = length - header > 16 << 20
            meta = bytes(4) if large else _read(fh, at + header, length - header, size, "the HEIF meta box")
        at += length
    else:
        raise Cut("the HEIF has more boxes than any image")
    if meta is None:
        raise Cut("the HEIF has no meta box (yet): nothing says where its image is")
    iloc = heif_children(memoryview(meta)[4:]).get(b"iloc")  # after the meta box's version and flags
    for item, (method, extents) in heif_locations(iloc, max_items=MAX_PARTS).items():
        for offset, length in extents if method == 0 else ():
            _read(fh, offset + max(length, 1) - 1, 1, size, f"the HEIF item {item}'s data")


_CHECKS: dict[str, Callable[[BinaryIO, int], None]] = {
    "jpeg": _jpeg, "png": _png, "gif": _gif, "tiff": _tiff, "webp": _webp, "heif": _heif,
}
