"""What `link` says about one file (the contract's `link --json` object)."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from ..result import ResultError


class LinkStatus(str, enum.Enum):
    LINKED = "linked"
    AMBIGUOUS = "ambiguous"
    UNMATCHED = "unmatched"
    ALREADY = "already"
    FAILED = "failed"


@dataclass
class LinkCandidate:
    photo_id: str
    title: str
    date_taken: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"photo_id": self.photo_id, "title": self.title, "date_taken": self.date_taken}


@dataclass
class LinkResult:
    path: str
    status: LinkStatus = LinkStatus.UNMATCHED
    photo_id: str | None = None
    matched_on: list[str] = field(default_factory=list)
    candidates: list[LinkCandidate] = field(default_factory=list)
    written: str | None = None
    error: ResultError | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status.value, "photo_id": self.photo_id,
                "matched_on": list(self.matched_on), "candidates": [c.to_dict() for c in self.candidates],
                "written": self.written, "error": self.error.to_dict() if self.error else None}

    def describe(self) -> str:
        """One line for people, with what to do next."""
        if self.status is LinkStatus.LINKED:
            done = f"; recorded in {self.written}" if self.written else " (add --write to record it)"
            return f"{self.path}: linked to photo {self.photo_id} (same {', '.join(self.matched_on)}){done}"
        if self.status is LinkStatus.AMBIGUOUS:
            ids = ", ".join(c.photo_id for c in self.candidates)
            if self.error:  # the photo belongs to another file too
                return f"{self.path}: ambiguous, nothing recorded: {self.error.message}"
            return (f"{self.path}: ambiguous, could be any of photos {ids}; nothing recorded "
                    f"(pick one with `flickr-replace replace --photo-id ID {self.path}`)")
        if self.status is LinkStatus.ALREADY:
            return f"{self.path}: already has photo id {self.photo_id}"
        if self.status is LinkStatus.FAILED:
            return f"{self.path}: {self.error.message if self.error else 'failed'}"
        return (f"{self.path}: no photo of yours matches (not on Flickr yet? "
                "`flickr-replace replace --upload-missing` uploads it)")
