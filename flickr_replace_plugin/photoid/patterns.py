"""The shapes a Flickr photo id takes inside metadata text.

Three kinds of field, because a bare number means nothing on its own: keywords carry machine
tags (``flickr:photo_id=N``, ``flickr:id=N``), hierarchical keywords carry ``flickr|photo_id|N``,
and free text (descriptions, sources, identifiers) carries photo page or flic.kr URLs.
"""
from __future__ import annotations

import re
from typing import Iterable

from ..formats.xmp import Kind

# Flickr's base58: no 0, O, I or l; lower case sorts before upper case, unlike Bitcoin's.
BASE58_ALPHABET = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_B58_INDEX = {ch: i for i, ch in enumerate(BASE58_ALPHABET)}

MAX_ID_DIGITS = 20  # Flickr ids are 64-bit; anything longer is noise, not an id
PHOTO_ID = re.compile(rf"[0-9]{{1,{MAX_ID_DIGITS}}}")

_MACHINE_TAG = re.compile(r"""\s*flickr:(?:photo_)?id\s*=\s*(["']?)([0-9]+)\1\s*""", re.IGNORECASE)
_HIERARCHICAL = re.compile(r"\s*flickr\|(?:photo_)?id\|([0-9]+)\s*", re.IGNORECASE)
# A photo page is /photos/USER/N; the lookahead keeps /photos/USER/123abc and sets/albums out.
_PAGE_URL = re.compile(
    r"(?<![\w.-])(?:https?://)?(?:www\.|secure\.|m\.)?flickr\.com/photos/([^/\s?#]+)/([0-9]+)(?![\w-])",
    re.IGNORECASE,
)
_SHORT_URL = re.compile(r"(?<![\w.-])(?:https?://)?(?:www\.)?flic\.kr/p/([1-9a-km-zA-HJ-NP-Z]{1,12})(?![\w-])")
# /photos/tags/N lists tagged photos, not a photo whose owner is called "tags".
_NOT_USERS = {"tags", "friends", "organize", "upload"}


def is_photo_id(value: str) -> bool:
    return PHOTO_ID.fullmatch(value) is not None


def canonical_photo_id(photo_id: str) -> str:
    """The id as Flickr reads it, a number: `0105` names photo 105 (anything not digits is left)."""
    return (photo_id.lstrip("0") or "0") if is_photo_id(photo_id) else photo_id


def leading_zeros(photo_id: str) -> str | None:
    """Why an id given by the caller is refused when it has leading zeros; None when it has none.

    No Flickr id has them and Flickr would answer for the number, but a padded id is more likely
    a counter or a typo than that photo, so the caller is asked to say which photo it means."""
    canonical = canonical_photo_id(photo_id)
    if canonical == photo_id:
        return None
    return (f"{photo_id!r} has leading zeros, which no Flickr photo id has: give the id without leading zeros "
            f"({canonical}) if that is the photo you mean")


def base58_decode(text: str) -> int:
    number = 0
    for ch in text:
        number = number * 58 + _B58_INDEX[ch]
    return number


def base58_encode(number: int) -> str:
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = BASE58_ALPHABET[digit] + out
    return out or BASE58_ALPHABET[0]


def ids_in(value: str, kind: Kind, cut: bool = False) -> list[str]:
    """Every photo id `value` carries, read as a field of `kind`; ids too long to be real are dropped.

    :param cut: the value may continue past its end (a damaged count, no terminator): an id that
        reaches the end may be the start of a longer one, which is another photo, so it is not taken.
    """
    if kind == "keyword" or (kind == "hierarchical" and cut):
        keywords = value.split(";")
        found = [m.group(2) for m in map(_MACHINE_TAG.fullmatch, keywords[:-1] if cut else keywords) if m]
    elif kind == "hierarchical":
        match = _HIERARCHICAL.fullmatch(value)
        found = [match.group(1)] if match else ids_in(value, "keyword")
    else:
        end = len(value) if cut else len(value) + 1
        found = [m.group(2) for m in _PAGE_URL.finditer(value) if m.group(1).lower() not in _NOT_USERS and m.end() < end]
        found += [str(base58_decode(m.group(1))) for m in _SHORT_URL.finditer(value) if m.end() < end]
    return [canonical_photo_id(photo_id) for photo_id in found if is_photo_id(photo_id)]


def ids_in_all(values: Iterable[str], kind: Kind) -> list[str]:
    return [photo_id for value in values for photo_id in ids_in(value, kind)]
