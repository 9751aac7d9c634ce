"""Which listed photos a file is: at least two of title, date taken and aspect ratio agree, and
the picture is the same.

Title, date and aspect only choose the candidates (cheap, from the cached list); the picture
decides, so a renamed upload or a re-used file name never links on metadata alone. Every
candidate is compared, however many share a date and aspect: each small image is fetched once
(the cache keeps its bytes) and decoded once per run. Near-identical frames of a burst share all
four, and then the answer is "ambiguous", never the first of them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

from .cache import Listed, PhotoCache

ASPECT_TOLERANCE = 0.01  # a resize's rounding


@dataclass
class Match:
    """The photos a file may be; `photos` holds the confirmed ones (or, if none could be
    compared, the metadata candidates)."""

    photos: list[Listed] = field(default_factory=list)
    matched_on: list[str] = field(default_factory=list)
    confirmed: bool = False  # the picture was compared (False: it could not be, so nothing is sure)


@dataclass(frozen=True)
class FileFacts:
    stem: str
    taken: str | None
    picture: Any  # a safety.picture.Picture, or None when the file cannot be decoded

    @classmethod
    def of(cls, path: str) -> "FileFacts":
        from ..formats.datetaken import read_date_taken
        from ..safety.picture import picture_of

        return cls(os.path.splitext(os.path.basename(path))[0], read_date_taken(path), picture_of(path))

    @property
    def aspect(self) -> float | None:
        return self.picture.aspect if self.picture is not None and self.picture.aspect else None


def agreement(facts: FileFacts, photo: Listed) -> list[str]:
    """The names of the metadata that agree, in the contract's order."""
    agree = []
    if photo.title.casefold() == facts.stem.casefold():
        agree.append("title")
    if facts.taken and photo.taken == facts.taken:
        agree.append("date_taken")
    if facts.aspect and photo.aspect and abs(photo.aspect / facts.aspect - 1) <= ASPECT_TOLERANCE:
        agree.append("aspect")
    return agree


GONE = object()  # a listed photo whose small image Flickr no longer has: deleted since


class SmallPictures:
    """The listed photos' small images as pictures: fetched once (kept in the cache), decoded once a run."""

    def __init__(self, cache: PhotoCache, fetch: Callable[[str], bytes]) -> None:
        self.cache, self.fetch = cache, fetch  # `fetch` downloads an image, raising FlickrFailure
        self._decoded: dict[tuple[str, str], Any] = {}

    def of(self, photo: Listed) -> Any:
        """The photo's Picture; None when it has no small size or it cannot be decoded; GONE when
        Flickr no longer has it (deleted since the list was read)."""
        from ..flickr.responses import FlickrFailure
        from ..safety.picture import picture_of

        key = (photo.photo_id, photo.secret)
        if key not in self._decoded:
            try:
                self._decoded[key] = picture_of(self.cache.thumb(photo, self.fetch)) if photo.url else None
            except FlickrFailure as exc:
                if "HTTP 404" not in exc.error.message and "HTTP 410" not in exc.error.message:
                    raise
                self.cache.forget(photo.photo_id)
                self._decoded[key] = GONE
        return self._decoded[key]


def find_matches(facts: FileFacts, cache: PhotoCache, pictures: SmallPictures) -> Match:
    """The photos this file is (raising FlickrFailure when a small image cannot be had)."""
    agreeing = []
    for photo in cache.by_title_or_taken(facts.stem, facts.taken):
        agree = agreement(facts, photo)
        if len(agree) >= 2:
            agreeing.append((photo, agree))
    if not agreeing:
        return Match()
    if facts.picture is None:
        return Match([p for p, _ in agreeing], _common(a for _, a in agreeing))
    same, unknown = [], []
    for photo, agree in agreeing:
        verdict = _same_picture(facts.picture, pictures.of(photo))
        if verdict is None:
            unknown.append((photo, agree))
        elif verdict:
            same.append((photo, agree))
    if unknown and not same:  # could not see those pictures: possible, not sure
        return Match([p for p, _ in unknown], _common(a for _, a in unknown))
    chosen = same + unknown
    return Match([p for p, _ in chosen], _common(a for _, a in chosen) + (["picture"] if same else []), bool(same))


def _same_picture(picture: Any, theirs: Any) -> bool | None:
    """True / False, or None when the photo's picture is not to be had (no small size, undecodable)."""
    from ..safety.picture import compare

    if theirs is GONE:
        return False
    return None if theirs is None else compare(picture, theirs).similar


def _common(agreements: Any) -> list[str]:
    lists = list(agreements)
    return [name for name in ("title", "date_taken", "aspect") if all(name in a for a in lists)] if lists else []
