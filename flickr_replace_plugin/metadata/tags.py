"""Tags as Flickr sees them: which keywords are never sent, and when two tags are the same tag."""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

# Flickr's machine tags keep their namespace:predicate=value shape when normalised.
_MACHINE_TAG = re.compile(r"^[A-Za-z_]\w*:[A-Za-z_]\w*=.+$")
# Ids this project (and Photini) write into keywords: sending them would tag the photo with itself.
_ID_TAG = re.compile(r"^\s*flickr(?::(?:photo_)?id\s*=|\|(?:photo_)?id\|)", re.IGNORECASE)
_DARKTABLE = re.compile(r"^\s*darktable\|", re.IGNORECASE)  # darktable's own bookkeeping tags


def tag_key(raw: str) -> str:
    """Flickr's normalised form of a tag (its `_content`): lower case, without spaces and
    punctuation; machine tags lower-cased whole. Composed first, so a macOS-decomposed "ú" is "ú"."""
    raw = unicodedata.normalize("NFC", raw).strip()
    if _MACHINE_TAG.match(raw):
        return raw.lower()
    return "".join(ch for ch in raw.lower() if ch.isalnum())


def is_sendable(raw: str) -> bool:
    """Whether a keyword of the file may become a tag: not an id, not darktable's, not empty."""
    return bool(tag_key(raw)) and not _ID_TAG.match(raw) and not _DARKTABLE.match(raw)


def tags_argument(tags: Iterable[str]) -> str:
    """Flickr's `tags` argument: space-separated, a tag holding spaces in double quotes (which
    cannot themselves be sent, so they are dropped)."""
    cleaned = (t.replace('"', "").strip() for t in tags)
    return " ".join(f'"{t}"' if " " in t else t for t in cleaned if t)
