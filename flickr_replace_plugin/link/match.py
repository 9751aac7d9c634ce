"""Which listed photos a file is: at least two of title, date taken and aspect ratio agree, and
the picture is the same.

Title, date and aspect only choose the candidates (cheap, from the cached list); the picture
decides, so a renamed upload or a re-used file name never links on metadata alone. Near-identical
frames of a burst share all four, and then the answer is "ambiguous", never the first of them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

from .cache import Listed, PhotoCache

ASPECT_TOLERANCE = 0.01  # a resize's rounding
MAX_COMPARE = 12  # more candidates than this agree on metadata alone: ambiguous without fetching them all


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


def find_matches(facts: FileFacts, cache: PhotoCache, fetch: Callable[[str], bytes]) -> Match:
    """The photos this file is. `fetch` downloads a small image (raising for a network failure)."""
    agreeing = []
    for photo in cache.by_title_or_taken(facts.stem, facts.taken):
        agree = agreement(facts, photo)
        if len(agree) >= 2:
            agreeing.append((photo, agree))
    if not agreeing:
        return Match()
    if facts.picture is None or len(agreeing) > MAX_COMPARE:
        return Match([p for p, _ in agreeing], _common(a for _, a in agreeing))
    same, unknown = [], []
    for photo, agree in agreeing:
        verdict = _same_picture(facts.picture, photo, cache, fetch)
        if verdict is None:
            unknown.append((photo, agree))
        elif verdict:
            same.append((photo, agree))
    if unknown and not same:  # could not see those pictures: possible, not sure
        return Match([p for p, _ in unknown], _common(a for _, a in unknown))
    chosen = same + unknown
    return Match([p for p, _ in chosen], _common(a for _, a in chosen) + (["picture"] if same else []), bool(same))


def _same_picture(picture: Any, photo: Listed, cache: PhotoCache, fetch: Callable[[str], bytes]) -> bool | None:
    """True / False, or None when the photo's picture is not to be had (no small size, undecodable)."""
    from ..flickr.responses import FlickrFailure
    from ..safety.picture import compare, picture_of

    if not photo.url:
        return None
    try:
        data = cache.thumb(photo, fetch)
    except FlickrFailure as exc:
        if "HTTP 404" in exc.error.message or "HTTP 410" in exc.error.message:  # deleted since listed
            cache.forget(photo.photo_id)
            return False
        raise
    theirs = picture_of(data)
    return None if theirs is None else compare(picture, theirs).similar


def _common(agreements: Any) -> list[str]:
    lists = list(agreements)
    return [name for name in ("title", "date_taken", "aspect") if all(name in a for a in lists)] if lists else []
