"""What the sandbox's account holds, as plain records: photos, async tickets, tags.

Kept apart from the store so the REST method families can read a photo's fields without
depending on how the store persists or locks them.
"""
from __future__ import annotations

import dataclasses
import re
import secrets
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

EXTENSIONS = {"jpeg": "jpg", "png": "png", "gif": "gif", "tiff": "tif", "webp": "webp", "heif": "heic", "video": "mp4"}
SERVER = "65535"  # what live.staticflickr.com photos of the last years carry
FARM = 66


def new_secret() -> str:
    """Flickr's secrets: 10 hex digits, new after every replace."""
    return secrets.token_hex(5)


def flickr_time(stamp: float) -> str:
    """A Unix time as Flickr writes dates taken: 'YYYY-MM-DD HH:MM:SS' (UTC here)."""
    return datetime.fromtimestamp(stamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Photo:
    id: str
    filename: str
    file: str  # relative to the store's root
    secret: str
    originalsecret: str
    size: int
    sha256: str
    format: str | None  # sniffed from the bytes: jpeg, png, ..., video; None when unknown
    title: str = ""
    uploaded: int = 0
    lastupdate: int = 0
    replacements: int = 0
    owner: str = ""  # nsid; "" is the sandbox's own user (records from before owners existed)
    media: str = ""  # "photo" or "video"; "" means: judge by the format
    description: str = ""
    tags: list[str] = field(default_factory=list)  # as the user typed them (Flickr's "raw")
    is_public: int = 1
    is_friend: int = 0
    is_family: int = 0
    taken: str = ""  # 'YYYY-MM-DD HH:MM:SS'; "" = unknown, Flickr then shows the upload time
    width: int = 0  # of the original, 0 when it could not be decoded
    height: int = 0
    server: str = SERVER
    # Who added each tag of `tags` (same order) and its number in the tag's id; shorter than `tags`
    # for records from before authors existed (those tags are the owner's, numbered by position).
    tag_info: list[dict[str, Any]] = field(default_factory=list)
    next_tag: int = 0
    views: int = 0
    comments: int = 0
    location: dict[str, Any] | None = None  # {"latitude", "longitude", "accuracy", "context"}
    data_path: Path = field(default=Path(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.media:
            self.media = "video" if self.format == "video" else "photo"

    @property
    def originalformat(self) -> str:
        return EXTENSIONS.get(self.format or "", "jpg")

    @property
    def date_taken(self) -> str:
        return self.taken or flickr_time(self.uploaded)


@dataclass
class Ticket:
    id: str
    kind: str  # "replace" or "upload"
    due: float  # wall-clock time at which it completes
    outcome: str  # "ok" or "fail": decided at upload time, by a fault or not
    photo_id: str | None  # the photo replaced; for an upload, the one created at completion
    file: str | None  # pending/ID until completion
    filename: str = ""
    title: str = ""
    size: int = 0
    sha256: str = ""
    format: str | None = None
    complete: int = 0  # 0 pending, 1 done, 2 failed
    imported: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # an upload's description, tags, privacy


def tag_entries(photo: Photo) -> list[dict[str, Any]]:
    """Each tag as {"raw", "author", "n"}; an author "" is the photo's owner."""
    entries = []
    for i, raw in enumerate(photo.tags):
        info = photo.tag_info[i] if i < len(photo.tag_info) else {"n": i + 1, "author": ""}
        entries.append({"raw": raw, "author": info.get("author") or photo.owner, "n": int(info["n"])})
    return entries


def tag_id(photo: Photo, entry: dict[str, Any]) -> str:
    """Flickr's tag id: the author's number, the photo and the tag's number (`12037949-5169665786-1231`)."""
    return f"{entry['author'].split('@')[0] or '0'}-{photo.id}-{entry['n']}"


def set_tags(photo: Photo, entries: list[dict[str, Any]]) -> None:
    photo.tags = [e["raw"] for e in entries]
    photo.tag_info = [{"n": e["n"], "author": e["author"]} for e in entries]
    photo.next_tag = max([photo.next_tag, *(e["n"] for e in entries)])


def add_tags(photo: Photo, raws: list[str], author: str) -> list[dict[str, Any]]:
    """Append tags by `author`, as addTags does: a tag the photo has already (by its clean form) is
    not added twice. Returns the tags added."""
    entries = tag_entries(photo)
    have = {clean_tag(e["raw"]) for e in entries}
    added = []
    for raw in raws:
        if clean_tag(raw) in have or not clean_tag(raw):
            continue
        have.add(clean_tag(raw))
        photo.next_tag = max(photo.next_tag, len(entries)) + 1
        added.append({"raw": raw, "author": author, "n": photo.next_tag})
        entries.append(added[-1])
    set_tags(photo, entries)
    return added


def record(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name != "data_path"}


def photo_from(data: dict[str, Any], root: Path) -> Photo:
    known = {f.name for f in dataclasses.fields(Photo)}
    return Photo(**{k: v for k, v in data.items() if k in known}, data_path=root / data["file"])


# -- tags --------------------------------------------------------------------------------------------
_MACHINE_TAG = re.compile(r"^[A-Za-z_][\w]*:[A-Za-z_][\w]*=.+$")


def split_tags(text: str) -> list[str]:
    """Flickr's `tags` argument: space-separated, a tag with spaces in double quotes."""
    try:
        return [t for t in shlex.split(text) if t]
    except ValueError:  # an unbalanced quote: take the words as they are
        return [t.strip('"') for t in text.split() if t.strip('"')]


def is_machine_tag(raw: str) -> bool:
    return bool(_MACHINE_TAG.match(raw))


def clean_tag(raw: str) -> str:
    """Flickr's normalised tag (`_content`): lower case, without spaces and punctuation.

    Machine tags keep their `namespace:predicate=value` shape, lower-cased.
    """
    if is_machine_tag(raw):
        return raw.lower()
    return "".join(ch for ch in raw.lower() if ch.isalnum())
