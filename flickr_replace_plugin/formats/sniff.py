"""Name a file's container by its first bytes: Flickr judges content, and so does every reader here."""
from __future__ import annotations

from typing import BinaryIO

from .raw import raw_signature, tiff_raw

SNIFF_BYTES = 64


def sniff_format(head: bytes) -> str | None:
    """Name the container by its magic bytes; Flickr judges content, and so do we, not the name.

    "raw" is a camera raw told by its signature; a TIFF-based raw with no signature of its own
    (DNG, NEF, ARW...) is "tiff" here, and only `sniff_file`, which walks the IFDs, tells it apart.
    """
    if raw_signature(head):
        return "raw"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"):
            return "heif"
        return "video"  # mp4, mov (qt), m4v, 3gp ...
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    if head[:4] == b"\x1aE\xdf\xa3":  # Matroska / WebM
        return "video"
    return None


def sniff_file(fh: BinaryIO) -> str | None:
    """`sniff_format` of an open file, with TIFF-based raws told apart from TIFFs by their IFDs."""
    fh.seek(0)
    kind = sniff_format(fh.read(SNIFF_BYTES))
    if kind == "tiff" and tiff_raw(fh):
        return "raw"
    return kind


CONTENT_TYPES = {
    "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "tiff": "image/tiff",
    "webp": "image/webp", "heif": "image/heic",
}
