"""EXIF text fields: ImageDescription, UserComment and Windows' XPKeywords (Photini writes there)."""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from ..photoid.candidates import Candidate
from ..hookspecs import hookimpl
from ..photoid.fields import Field, from_embedded, guarded
from ..formats.containers import IMAGE_DESCRIPTION, USER_COMMENT, XP_KEYWORDS
from ..formats.scope import note
from ..formats.tiff import TiffTags

# UserComment starts with an 8-byte character code (EXIF 2.3, 4.6.5).
_COMMENT_CODES = {b"ASCII\x00\x00\x00": "utf-8", b"JIS\x00\x00\x00\x00\x00": "shift_jis", b"\x00" * 8: "utf-8"}
_UNICODE = b"UNICODE\x00"


def exif_fields(tags: TiffTags | None, path: str = "") -> Iterator[Field]:
    """The text of each field whose end can be trusted.

    ImageDescription (ASCII) and XPKeywords (UTF-16LE) end with a NUL; one without it was cut
    short by a damaged count, and a cut-short id names another photo. UserComment must start
    with its character code, or the value is not where the entry points.
    """
    if tags is None:
        return
    values = tags.values
    for tag, name, kind, codec, nul in _TERMINATED:
        if tag in values:
            text, ended, _ = values[tag].decode(codec, "replace").partition(nul)
            if ended:
                yield name, kind, text
            else:
                note(f"{path}: EXIF {name} has no terminating NUL (cut short?), not read")
    if USER_COMMENT in values:
        text = _user_comment(values[USER_COMMENT], tags.byteorder)
        if text is None:
            note(f"{path}: EXIF UserComment has no valid character code, not read")
        else:
            yield "UserComment", "text", text


_TERMINATED = (
    (IMAGE_DESCRIPTION, "ImageDescription", "text", "utf-8", "\x00"),
    (XP_KEYWORDS, "XPKeywords", "keyword", "utf-16-le", "\x00"),  # UTF-16LE whatever the byte order
)


def _user_comment(raw: bytes, byteorder: str) -> str | None:
    prefix, text = raw[:8], raw[8:]
    if prefix == _UNICODE:
        codec = "utf-16" if text[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-16-le" if byteorder == "<" else "utf-16-be"
    elif prefix in _COMMENT_CODES:
        codec = _COMMENT_CODES[prefix]
    else:
        return None
    return text.decode(codec, "replace").rstrip("\x00 ")


@hookimpl
@guarded("exif")
def find_photo_id(path: str, metadata: Mapping[str, Any]) -> list[Candidate] | None:
    return from_embedded("exif", path, metadata, lambda blocks, file: exif_fields(blocks.exif, file))
