"""Warning 9: the caller's id (`--photo-id`, the host's) wins, but a file that says otherwise is worth a word."""
from __future__ import annotations

from typing import Iterable

from ..photoid.candidates import Candidate
from ..photoid.patterns import is_photo_id

CALLER_KEYS = ("photo_id", "photo_id_source")


def caller_disagrees(photo_id: str | None, own: Iterable[Candidate]) -> list[str]:
    """A warning when the file's own sources, ranked, name another photo than the caller gave
    (none when they agree, name nothing, or cannot decide among themselves)."""
    own = list(own)
    ids = {c.photo_id for c in own}
    if len(ids) != 1 or photo_id in ids or not all(is_photo_id(i) for i in ids):
        return []
    return [f"the file's own {own[0].source} names photo {own[0].photo_id}, but photo {photo_id} was given and "
            f"replaced instead (the caller wins); check that this was the photo meant"]
