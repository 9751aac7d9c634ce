"""Camera RAW files, told by their content: Flickr cannot show them, so they are never sent.

Two kinds. Those with a signature of their own in the first bytes (CR2's "CR" after a TIFF
header, ORF, RW2, RAF, CR3, CRW, MRW, X3F, IIQ) are named by `raw_signature`. The others are
plain TIFF structures (DNG, NEF, NRW, ARW, SR2, SRF, PEF, SRW, 3FR, FFF, ERF, MEF, MOS, DCR, KDC,
RWL and the DNGs of phones): `tiff_raw` walks their IFDs, never the image data, and looks for
what only a raw holds — the DNGVersion tag, a colour filter array or linear raw photometric, or
a vendor's raw compression. A TIFF exported from a raw (even one that copied the camera's EXIF)
has none of these, and stays "tiff".
"""
from __future__ import annotations

import struct
from typing import BinaryIO

_DNG_VERSION = 50706
_COMPRESSION, _PHOTOMETRIC, _SUB_IFDS = 259, 262, 330
_CFA, _LINEAR_RAW = 32803, 34892  # photometric interpretations only raws use
# Compression codes of raw sensor data (exiftool's list): Sony ARW 32767, Epson ERF / Panasonic
# 32769, Samsung SRW 32770 and 32772, Panasonic RW2 34316, Nikon NEF 34713, Kodak 65000,
# Pentax PEF 65535. 32773 is PackBits, an ordinary TIFF compression, and is not among them.
_RAW_COMPRESSIONS = {32767, 32769, 32770, 32772, 34316, 34713, 65000, 65535}
_MAX_IFDS = 32  # IFDs walked (IFD0's chain and SubIFDs); real raws have a handful
_MAX_ENTRIES = 4096
# The names cameras and raw converters give raw files: a folder watcher looks at these too, so
# that each gets a result saying it cannot be sent rather than silence.
RAW_SUFFIXES = frozenset({
    ".3fr", ".ari", ".arw", ".bay", ".cr2", ".cr3", ".crw", ".dcr", ".dng", ".erf", ".fff", ".iiq", ".k25",
    ".kdc", ".mef", ".mos", ".mrw", ".nef", ".nrw", ".orf", ".pef", ".raf", ".raw", ".rw2", ".rwl", ".sr2",
    ".srf", ".srw", ".x3f",
})


def raw_signature(head: bytes) -> str | None:
    """The raw format named by the first 64 bytes alone, or None."""
    if head[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return "orf"
    if head[:4] == b"IIU\x00":
        return "rw2"  # Panasonic RW2 and Leica RWL
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return "raf"
    if head[4:12] == b"ftypcrx ":
        return "cr3"
    if head[:4] == b"\x00MRM":
        return "mrw"
    if head[:4] == b"FOVb":
        return "x3f"
    if head[:2] == b"II" and head[6:14] == b"HEAPCCDR":
        return "crw"
    if head[:4] in (b"II*\x00", b"MM\x00*") and head[8:10] == b"CR":
        return "cr2"
    for marker, raw in ((b"IIII", b"waR"), (b"MMMM", b"Raw")):  # Phase One: "IIII", then "Raw"
        at = head.find(marker, 0, 32)
        if at >= 0 and raw in head[at + 4 : at + 8]:
            return "iiq"
    return None


def raw_format(fh: BinaryIO) -> str | None:
    """The raw format of the open file `fh` ("cr2", "dng", "tiff-based raw"...), or None."""
    fh.seek(0)
    head = fh.read(64)
    named = raw_signature(head)
    if named or head[:4] not in (b"II*\x00", b"MM\x00*"):
        return named
    return tiff_raw(fh)


def tiff_raw(fh: BinaryIO) -> str | None:
    """"dng" or "tiff-based raw" when the TIFF structure in `fh` is a raw; None for a TIFF (and for
    a structure too damaged to walk, which is then no raw either)."""
    try:
        fh.seek(0)
        header = fh.read(8)
        if header[:2] not in (b"II", b"MM") or len(header) < 8:
            return None
        order = "<" if header[:2] == b"II" else ">"
        pending, seen = [struct.unpack(order + "I", header[4:])[0]], set()
        while pending and len(seen) < _MAX_IFDS:
            offset = pending.pop()
            if offset in seen or offset == 0:
                continue
            seen.add(offset)
            entries, following = _ifd(fh, order, offset)
            if _DNG_VERSION in entries:
                return "dng"
            if entries.get(_PHOTOMETRIC) in (_CFA, _LINEAR_RAW) or entries.get(_COMPRESSION) in _RAW_COMPRESSIONS:
                return "tiff-based raw"
            pending += [following, *_offsets(fh, order, entries, _SUB_IFDS)]
    except (OSError, struct.error, ValueError):
        return None
    return None


def _ifd(fh: BinaryIO, order: str, offset: int) -> tuple[dict[int, int], int]:
    """{tag: first value (or the offset of the values)} of one IFD, and the next IFD's offset."""
    fh.seek(offset)
    (count,) = struct.unpack(order + "H", fh.read(2))
    if count > _MAX_ENTRIES:
        raise ValueError("not an IFD")
    data = fh.read(12 * count + 4)
    entries: dict[int, int] = {}
    for start in range(0, 12 * count, 12):
        tag, typ, n, inline = struct.unpack(order + "HHI4s", data[start : start + 12])
        if typ == 3 and n <= 2:  # SHORT values sit in the first two bytes
            entries[tag] = struct.unpack(order + "H", inline[:2])[0]
        else:
            entries[tag] = struct.unpack(order + "I", inline)[0]
        entries[-tag] = n  # the count, for SubIFDs' offset arrays
    (following,) = struct.unpack(order + "I", data[12 * count : 12 * count + 4])
    return entries, following


def _offsets(fh: BinaryIO, order: str, entries: dict[int, int], tag: int) -> list[int]:
    """The IFD offsets a pointer tag holds: one inline, or an array elsewhere (SubIFDs)."""
    if tag not in entries:
        return []
    count = min(entries[-tag], _MAX_IFDS)
    if count <= 1:
        return [entries[tag]]
    fh.seek(entries[tag])
    return list(struct.unpack(f"{order}{count}I", fh.read(4 * count)))
