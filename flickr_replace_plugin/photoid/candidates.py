"""What a photo-id source offers, and the order in which sources outrank each other."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..result import ResultError

# The contract's order: the caller wins outright; then sidecars, the file's own metadata,
# third-party plugins, and last the file name.
_RANK = {"argument": 0, "metadata": 1, "sidecar": 2, "xmp": 3, "exif": 4, "iptc": 5, "plugin": 6, "filename": 7}
CALLER_SOURCES = ("argument", "metadata")


def source_rank(source: str) -> int:
    return _RANK.get(source.split(":", 1)[0], _RANK["plugin"])


@dataclass(frozen=True)
class Candidate:
    photo_id: str
    source: str
    detail: str = ""  # where exactly: a field name, a sidecar path; shown by `resolve -v`


@dataclass
class Resolution:
    photo_id: str | None
    source: str | None
    candidates: list[Candidate] = field(default_factory=list)
    error: ResultError | None = None
    notes: list[str] = field(default_factory=list)  # unreadable metadata etc., shown by `resolve -v`

    def __iter__(self):  # lets hosts unpack `photo_id, source, candidates = resolve_photo_id(...)`
        return iter((self.photo_id, self.source, self.candidates))
