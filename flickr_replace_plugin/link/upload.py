"""Uploading a file that is not on Flickr yet (`--upload-missing`): what the new photo is told, and
the refusal of a file that is probably there already (a second copy would split its history)."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from ..config import PRIVACY, Config
from ..flickr.responses import FlickrFailure
from ..metadata.tags import tags_argument
from ..metadata.read import read_fields
from ..result import ResultError

PHOTO_NOT_FOUND = 1  # getInfo's "Photo not found"


@dataclass
class Described:
    title: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)


def describe(path: str) -> Described:
    """Title, description and keywords as a replace would bring them onto the photo (metadata/read.py)."""
    found = read_fields(path)
    return Described(found.title or "", found.description or "", list(found.tags or []))


def upload_fields(path: str, privacy: str, original: str | None = None) -> dict[str, str]:
    """The signed fields of a new upload: title (falling back to the file name's stem, as Flickr
    does), description, tags (quoted when they hold spaces) and the visibility flags."""
    found = describe(path)
    stem = os.path.splitext(os.path.basename(original or path))[0]
    is_public, is_friend, is_family = PRIVACY[privacy]
    fields = {"title": found.title or stem, "is_public": str(is_public), "is_friend": str(is_friend),
              "is_family": str(is_family)}
    if found.description:
        fields["description"] = found.description
    if found.tags:
        fields["tags"] = tags_argument(found.tags)
    return fields


class DuplicateGuard:
    """One run's photo list, shared by its workers: is this file already one of the user's photos?"""

    def __init__(self, config: Config, plugins: Any, scratch: bool = False) -> None:
        self.config, self.plugins, self.scratch = config, plugins, scratch
        self._linker: Any = None
        self._lock = threading.Lock()

    def refusal(self, path: str) -> ResultError | None:
        """None when no photo of the user matches; otherwise why the file must not be uploaded."""
        with self._lock:
            try:
                match = self._linked().match(path)
                photos = [p for p in match.photos if self._still_there(p.photo_id)]
            except FlickrFailure as exc:  # unknown is not "absent": a duplicate cannot be undone
                return ResultError(f"not uploaded: cannot read your photo list to rule out a duplicate "
                                   f"({exc.error.message}); try again", exc.error.origin, exc.error.code,
                                   exc.error.retryable)
        if not photos:
            return None
        ids = ", ".join(p.photo_id for p in photos)
        which = f"photo {ids}" if len(photos) == 1 else f"one of photos {ids}"
        return ResultError.refusal("probably_on_flickr", (
            f"{path} is probably already on Flickr as {which} (same {', '.join(match.matched_on) or 'metadata'}); "
            f"not uploaded again. Link it with `flickr-replace link --write {path}`, then replace"))

    def _still_there(self, photo_id: str) -> bool:
        """A listed photo deleted on Flickr since (getInfo: not found) is forgotten, not a duplicate:
        the cached list and small image would otherwise keep it matching for ever."""
        try:
            self._linker._retrying(lambda: self._linker.client.photo_info(photo_id))
            return True
        except FlickrFailure as exc:
            if exc.error.code != PHOTO_NOT_FOUND:
                raise
        self._linker.cache.forget(photo_id)
        return False

    def forget(self, photo_id: str) -> None:
        """A photo known deleted on Flickr: out of the cached photo list."""
        with self._lock:
            self._linked().cache.forget(photo_id)

    def _linked(self) -> Any:
        from .run import Linker

        if self._linker is None:
            self._linker = Linker(self.config, self.plugins, scratch=self.scratch)
        return self._linker

    def close(self) -> None:
        if self._linker is not None:
            self._linker.close()
