"""Find the metadata blocks inside an image file by walking its container.

Only segment headers and the metadata segments themselves are read, each under a size cap, so
resolving a 2 GB TIFF or a 40 MB PNG costs kilobytes. One walk serves the XMP, EXIF and IPTC
sources of a resolution (see scope.py).
"""
from __future__ import annotations

import contextlib
import io
import os
import stat
import struct
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Callable

from .heif import read_items
from .scope import opened_file, walks
from .tiff import TiffError, TiffTags, read_tags

MAX_BLOCK = 16 << 20  # the largest metadata block read (XMP with a long edit history fits)
MAX_SEGMENTS = 1 << 16  # headers walked before giving up on a file (PNG IDAT runs are long)
MAX_READ = 4 * MAX_BLOCK  # metadata bytes read from one file, all blocks together
MAX_FILL = 1 << 10  # JPEG fill bytes (0xFF) before a marker; a run of them is not an image

IMAGE_DESCRIPTION, USER_COMMENT, XP_KEYWORDS = 270, 37510, 40094
DATE_TIME_ORIGINAL, SUBSEC_TIME_ORIGINAL = 36867, 37521
EXIF_TEXT_TAGS = (IMAGE_DESCRIPTION, USER_COMMENT, XP_KEYWORDS)
# what is read of EXIF: the text tags and the date taken (with its fraction of a second)
EXIF_TAGS = (*EXIF_TEXT_TAGS, DATE_TIME_ORIGINAL, SUBSEC_TIME_ORIGINAL)
GPS_TAGS = (1, 2, 3, 4)  # GPSLatitudeRef, GPSLatitude, GPSLongitudeRef, GPSLongitude (in TiffTags.gps)
_TIFF_XMP, _TIFF_IPTC = 700, 33723

_JPEG_EXIF = b"Exif\x00\x00"
_JPEG_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_JPEG_XMP_EXT = b"http://ns.adobe.com/xmp/extension/\x00"
_PHOTOSHOP = b"Photoshop 3.0\x00"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Embedded:
    """The metadata blocks one file holds; ``problems`` says what could not be read and why."""

    format: str  # jpeg, tiff, png, webp, heif; "" when not an image container we read
    xmp: tuple[bytes, ...] = ()
    exif: TiffTags | None = None  # EXIF_TAGS, and GPS_TAGS in its ``gps``
    iptc: bytes | None = None  # IPTC IIM datasets
    problems: tuple[str, ...] = ()


@dataclass
class _Found:
    xmp: list[bytes] = field(default_factory=list)
    exif: TiffTags | None = None
    iptc: bytes | None = None
    problems: list[str] = field(default_factory=list)
    budget: int = field(default_factory=lambda: MAX_READ)

    def take(self, fh: BinaryIO, size: int) -> bytes:
        """Read a metadata block; a file that holds more metadata than any image is refused."""
        if size > self.budget:
            raise ValueError(f"more than {MAX_READ} bytes of metadata")
        self.budget -= size
        return _read_exactly(fh, size)

    def add_exif(self, block: bytes) -> None:
        if self.exif is None:
            block = block[len(_JPEG_EXIF):] if block.startswith(_JPEG_EXIF) else block
            self.exif = self.tiff(io.BytesIO(block), EXIF_TAGS, "EXIF")

    def tiff(self, fh: BinaryIO, wanted: tuple[int, ...], label: str) -> TiffTags | None:
        try:
            tags = read_tags(fh, wanted, cap=MAX_BLOCK, gps=GPS_TAGS)
        except TiffError as exc:
            self.problems.append(f"{label}: {exc}")
            return None
        self.problems.extend(f"{label}: {why}" for why in tags.skipped)
        return tags


def read_embedded(path: str | os.PathLike) -> Embedded:
    """The metadata blocks of `path`; never raises (an unreadable file is a problem, not an error)."""
    held = opened_file(path)
    try:
        st = os.fstat(held.fileno()) if held is not None else os.stat(path)
    except (OSError, ValueError) as exc:
        return Embedded("", problems=(f"cannot read: {exc}",))
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block the walk forever
        return Embedded("", problems=("not a regular file",))
    shared = walks()
    key = (os.path.abspath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if shared is not None and key in shared:
        return shared[key]
    embedded = _walk(path, held)
    if shared is not None:
        shared[key] = embedded
    return embedded


def _walk(path: str | os.PathLike, held: BinaryIO | None = None) -> Embedded:
    found = _Found()
    kind = ""
    try:
        with contextlib.nullcontext(held) if held is not None else open(path, "rb") as fh:
            fh.seek(0)
            head = fh.read(16)
            kind, walker = _detect(head)
            if walker:
                walker(fh, found)
    except OSError as exc:
        found.problems.append(f"cannot read: {exc}")
    except (struct.error, ValueError, IndexError, zlib.error) as exc:  # truncated or garbled
        found.problems.append(f"{kind or 'file'} container is damaged: {type(exc).__name__}: {exc}")
    return Embedded(kind, tuple(found.xmp), found.exif, found.iptc, tuple(found.problems))


def _detect(head: bytes) -> tuple[str, Callable[[BinaryIO, _Found], None] | None]:
    if head.startswith(b"\xff\xd8"):
        return "jpeg", _jpeg
    if head[:2] in (b"II", b"MM"):
        return "tiff", _tiff
    if head.startswith(_PNG_SIGNATURE):
        return "png", _png
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp", _webp
    if head[4:8] == b"ftyp":
        return "heif", _heif
    return "", None


def _read_exactly(fh: BinaryIO, size: int) -> bytes:
    data = fh.read(size)
    if len(data) != size:
        raise ValueError(f"truncated: wanted {size} bytes, got {len(data)}")
    return data


# --- JPEG: APP1 (EXIF, XMP, extended XMP) and APP13 (Photoshop IRB holding IPTC) ---------------

def _jpeg(fh: BinaryIO, found: _Found) -> None:
    fh.seek(2)
    extended: dict[bytes, list[tuple[int, int, bytes]]] = {}
    photoshop = bytearray()
    for _ in range(MAX_SEGMENTS):
        prefix = fh.read(2)
        if len(prefix) < 2 or prefix[0] != 0xFF:
            break  # a damaged stream: keep what came before
        marker = prefix[1]
        for _ in range(MAX_FILL):
            if marker != 0xFF:  # 0xFF is a fill byte before the marker
                break
            marker = _read_exactly(fh, 1)[0]
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:
            continue  # markers without a length
        if marker in (0xD9, 0xDA):  # EOI, or SOS: metadata only ever comes before the image data
            break
        (length,) = struct.unpack(">H", _read_exactly(fh, 2))
        if marker not in (0xE1, 0xED) or length < 2:
            fh.seek(max(length - 2, 0), 1)
            continue
        payload = found.take(fh, length - 2)
        if marker == 0xED and payload.startswith(_PHOTOSHOP):
            photoshop += payload[len(_PHOTOSHOP):]
        elif payload.startswith(_JPEG_EXIF):
            found.add_exif(payload)
        elif payload.startswith(_JPEG_XMP):
            found.xmp.append(payload[len(_JPEG_XMP):])
        elif payload.startswith(_JPEG_XMP_EXT) and len(payload) >= len(_JPEG_XMP_EXT) + 40:
            guid, total, offset = struct.unpack_from(">32sII", payload, len(_JPEG_XMP_EXT))
            extended.setdefault(guid, []).append((total, offset, payload[len(_JPEG_XMP_EXT) + 40:]))
    found.xmp.extend(_join_extended(extended, found))
    if photoshop:
        found.iptc = photoshop_iptc(bytes(photoshop))


def _join_extended(extended: dict[bytes, list[tuple[int, int, bytes]]], found: _Found) -> list[bytes]:
    """Extended XMP arrives in chunks tagged with (full length, offset); keep only complete ones."""
    packets = []
    for guid, chunks in extended.items():
        total = chunks[0][0]
        packet = bytearray()
        for chunk_total, offset, data in sorted(chunks, key=lambda c: c[1]):
            if chunk_total == total and offset == len(packet):
                packet += data
        if len(packet) == total and total <= MAX_BLOCK:
            packets.append(bytes(packet))
        else:
            found.problems.append(f"extended XMP {guid[:8].decode('ascii', 'replace')}… is incomplete")
    return packets


def photoshop_iptc(data: bytes) -> bytes | None:
    """The IPTC block (resource 0x0404) among Photoshop's 8BIM image resources."""
    pos = 0
    while pos + 12 <= len(data) and data[pos : pos + 4] == b"8BIM":
        (resource,) = struct.unpack_from(">H", data, pos + 4)
        name_length = data[pos + 6]
        pos += 6 + ((name_length + 2) & ~1)  # Pascal string padded to even, length byte included
        if pos + 4 > len(data):
            break
        (size,) = struct.unpack_from(">I", data, pos)
        pos += 4
        if resource == 0x0404:
            return data[pos : pos + size]
        pos += size + (size & 1)
    return None


# --- TIFF and TIFF-based raws: tags 700 (XMP), 33723 (IPTC), and the EXIF tags --------------

def _tiff(fh: BinaryIO, found: _Found) -> None:
    tags = found.tiff(fh, (_TIFF_XMP, _TIFF_IPTC, *EXIF_TAGS), "TIFF")
    if tags is None:
        return
    if _TIFF_XMP in tags.values:
        found.xmp.append(tags.values.pop(_TIFF_XMP))
    found.iptc = tags.values.pop(_TIFF_IPTC, None)
    found.exif = tags


# --- PNG: eXIf, and iTXt XML:com.adobe.xmp (maybe zlib-compressed) -------------------------------

def _png(fh: BinaryIO, found: _Found) -> None:
    fh.seek(len(_PNG_SIGNATURE))
    for _ in range(MAX_SEGMENTS):
        header = fh.read(8)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IEND":
            break
        if kind in (b"iTXt", b"eXIf") and length <= MAX_BLOCK:
            data = found.take(fh, length)
            if kind == b"eXIf":
                found.add_exif(data)
            else:
                found.xmp.extend(_png_xmp(data, found))
            fh.seek(4, 1)  # CRC
        else:
            fh.seek(length + 4, 1)


def _png_xmp(data: bytes, found: _Found) -> list[bytes]:
    keyword, _, rest = data.partition(b"\x00")
    if keyword != b"XML:com.adobe.xmp" or len(rest) < 2:
        return []
    compressed, text = rest[0], rest[2:]
    text = text.split(b"\x00", 2)[-1]  # skip the language tag and translated keyword
    if not compressed:
        return [text]
    inflater = zlib.decompressobj()
    try:
        packet = inflater.decompress(text, MAX_BLOCK)
    except zlib.error as exc:
        found.problems.append(f"compressed XMP is damaged: {exc}")
        return []
    if inflater.unconsumed_tail:
        found.problems.append(f"compressed XMP inflates past {MAX_BLOCK} bytes")
        return []
    return [packet]


# --- WebP: RIFF chunks EXIF and "XMP " -----------------------------------------------------------

def _webp(fh: BinaryIO, found: _Found) -> None:
    fh.seek(12)
    for _ in range(MAX_SEGMENTS):
        header = fh.read(8)
        if len(header) < 8:
            break
        kind, length = struct.unpack("<4sI", header)
        if kind in (b"EXIF", b"XMP ") and length <= MAX_BLOCK:
            data = found.take(fh, length)
            if kind == b"EXIF":
                found.add_exif(data)
            else:
                found.xmp.append(data)
            fh.seek(length & 1, 1)
        else:
            fh.seek(length + (length & 1), 1)


# --- HEIF/HEIC/AVIF: see heif.py -----------------------------------------------------------------

def _heif(fh: BinaryIO, found: _Found) -> None:
    items = read_items(fh, MAX_BLOCK, MAX_READ)
    found.xmp.extend(items.xmp)
    for block in items.exif:
        found.add_exif(block)
    found.problems.extend(items.problems)
