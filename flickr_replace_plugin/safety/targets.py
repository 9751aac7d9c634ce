"""Is this the photo to overwrite? One file per photo in a run; the photo exists, is the user's, is a photo.

One `flickr.photos.getInfo` answer per photo feeds every check after it: the verdict here, the
`previous` secrets, the backup's address and the small image the picture check fetches.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..result import ResultError

# Flickr's own image host; with a base URL (the sandbox), static files are served from it too.
STATIC_HOST = "https://live.staticflickr.com"
NOT_FOUND_CODES = (1, 2)  # getInfo: "Photo not found"; "Permission denied" (a private photo of someone else)


def duplicate_targets(ids: Mapping[str, str | None]) -> dict[str, ResultError]:
    """For each path whose photo id another path of the run shares: its `duplicate_target` refusal."""
    by_id: dict[str, list[str]] = {}
    for path, photo_id in ids.items():
        if photo_id:
            by_id.setdefault(photo_id, []).append(path)
    refused = {}
    for photo_id, paths in by_id.items():
        if len(paths) < 2:
            continue
        for path in paths:
            others = ", ".join(p for p in paths if p != path)
            refused[path] = ResultError.refusal(
                "duplicate_target", f"{path} and {others} all name photo {photo_id}: none of them was sent; "
                "replace the photo with one file (fix the id of the others)")
    return refused


@dataclass(frozen=True)
class PhotoInfo:
    """getInfo's answer for one photo, and what the checks read from it."""

    photo_id: str
    answer: dict[str, Any]

    def text(self, key: str) -> str | None:
        value = self.answer.get(key)
        return None if value in (None, "") else str(value)

    @property
    def owner(self) -> str | None:
        owner = self.answer.get("owner")
        return str(owner.get("nsid")) if isinstance(owner, dict) and owner.get("nsid") else None

    @property
    def previous(self) -> dict[str, str | None]:
        """The secrets the photo has now: its static addresses stop working after the replace."""
        return {k: self.text(k) for k in ("secret", "originalsecret", "originalformat")}

    def static_url(self, base_url: str | None, suffix: str) -> str | None:
        """The address of one size (`o` the original), built as Flickr documents; None when unknown."""
        server = self.text("server")
        if suffix == "o":
            secret, ext = self.text("originalsecret"), self.text("originalformat")
        else:
            secret, ext = self.text("secret"), "jpg"
        if not (server and secret and ext):
            return None
        host = base_url.rstrip("/") if base_url else STATIC_HOST
        return f"{host}/{server}/{self.photo_id}_{secret}_{suffix}.{ext}"


def check_target(photo_id: str, info: PhotoInfo | ResultError, user_nsid: str | None) -> ResultError | None:
    """`not_found`, `not_owner` or `video` for a photo that must not be replaced; None when it may be."""
    if isinstance(info, ResultError):
        if info.code in NOT_FOUND_CODES:
            return ResultError.refusal("not_found", f"photo {photo_id} is not on Flickr (or not visible to you): "
                                       "check the id (`flickr-replace resolve`)", info.code)
        return info  # a network or auth failure: as Flickr answered, nothing was sent
    if user_nsid and info.owner != user_nsid:
        return ResultError.refusal("not_owner", f"photo {photo_id} belongs to {info.owner or 'another user'}, "
                                   "not to you: only your own photos can be replaced; check the id")
    if (info.text("media") or "photo") != "photo":
        return ResultError.refusal("video", f"photo {photo_id} is a video on Flickr: Videos can't be replaced", 8)
    return None
