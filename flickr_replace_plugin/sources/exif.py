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
    with its character code, or the value is not where the entry points; it has no terminator,
    so when it ends in text and what follows it in the file goes on with that text, it may have
    been cut, and no id that reaches its end is taken.
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
        comment = _user_comment(values[USER_COMMENT], tags.byteorder)
        if comment is None:
            note(f"{path}: EXIF UserComment has no valid character code, not read")
        else:
            text, codec, halved = comment
            cut = halved or _may_go_on(text, tags.following.get(USER_COMMENT, b""), codec)
            yield Field("UserComment", "text", text.rstrip("\x00 "), cut)


_TERMINATED = (
    (IMAGE_DESCRIPTION, "ImageDescription", "text", "utf-8", "\x00"),
    (XP_KEYWORDS, "XPKeywords", "keyword", "utf-16-le", "\x00"),  # UTF-16LE whatever the byte order
)


def _may_go_on(text: str, following: bytes, codec: str) -> bool:
    """Whether a text with no terminator may have been cut: it ends in a letter or digit, and so do
    the bytes after it. Where the data ends with the value, its count and the container agree,
    and one damaged length cannot make both wrong (a block cut short leaves the value running
    past its end, which is not read at all)."""
    if not text or not text[-1].isalnum():
        return False
    width = 2 if codec.startswith("utf-16") else 1
    return len(following) >= width and following[:width].decode(codec if width == 2 else "latin-1", "replace").isalnum()


def _user_comment(raw: bytes, byteorder: str) -> tuple[str, str, bool] | None:
    """The comment's text (padding kept), its codec, and whether UTF-16 text ends in half a
    character (its count cut it); None without a valid character code."""
    prefix, text = raw[:8], raw[8:]
    if prefix == _UNICODE:
        boms = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
        codec = boms.get(text[:2]) or ("utf-16-le" if byteorder == "<" else "utf-16-be")
        text = text[2:] if text[:2] in boms else text
        if len(text) % 2:
            return text[:-1].decode(codec, "replace"), codec, True
    elif prefix in _COMMENT_CODES:
        codec = _COMMENT_CODES[prefix]
    else:
        return None
    return text.decode(codec, "replace"), codec, False


@hookimpl
@guarded("exif")
def find_photo_id(path: str, metadata: Mapping[str, Any]) -> list[Candidate] | None:
    return from_embedded("exif", path, metadata, lambda blocks, file: exif_fields(blocks.exif, file))
