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

    def __init__(self, config: Config, plugins: Any) -> None:
        self.config, self.plugins = config, plugins
        self._linker: Any = None
        self._lock = threading.Lock()

    def refusal(self, path: str) -> ResultError | None:
        """None when no photo of the user matches; otherwise why the file must not be uploaded."""
        from .run import Linker

        with self._lock:
            try:
                if self._linker is None:
                    self._linker = Linker(self.config, self.plugins)
                match = self._linker.match(path)
            except FlickrFailure as exc:  # unknown is not "absent": a duplicate cannot be undone
                return ResultError(f"not uploaded: cannot read your photo list to rule out a duplicate "
                                   f"({exc.error.message}); try again", exc.error.origin, exc.error.code,
                                   exc.error.retryable)
        if not match.photos:
            return None
        ids = ", ".join(p.photo_id for p in match.photos)
        which = f"photo {ids}" if len(match.photos) == 1 else f"one of photos {ids}"
        return ResultError.refusal("probably_on_flickr", (
            f"{path} is probably already on Flickr as {which} (same {', '.join(match.matched_on) or 'metadata'}); "
            f"not uploaded again. Link it with `flickr-replace link --write {path}`, then replace"))

    def close(self) -> None:
        if self._linker is not None:
            self._linker.close()
