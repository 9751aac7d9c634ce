"""The one normalised result every host reads (the contract's JSON object)."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

# Flickr's replace/upload codes, with the message Flickr sends, and whether retrying can help.
FLICKR_CODES: dict[int, tuple[str, bool]] = {
    1: ("Replace requires a Pro account", False),
    2: ("No photo specified", False),
    3: ("General upload failure", False),
    4: ("Filesize was zero", False),
    5: ("Filetype was not recognised", False),
    6: ("User exceeded upload limit", False),
    7: ("Photo not found", False),
    8: ("Videos can't be replaced", False),
    15: ("Photo not found", False),
    95: ("SSL is required", False),
    96: ("Invalid signature", False),
    97: ("Missing signature", False),
    98: ("Login failed / Invalid auth token", False),
    99: ("User not logged in / Insufficient permissions", False),
    100: ("Invalid API Key", False),
    105: ("Service currently unavailable", True),
    106: ("Write operation failed", True),
    116: ("Bad URL found", False),
}
_AUTH_AGAIN = "run `flickr-replace auth` again"
# What a user can do about a code that is no passing trouble: added to every message with that code.
FLICKR_ADVICE: dict[int, str] = {
    1: "replacing a photo needs a Flickr Pro account",
    6: "the account's monthly upload limit is used up; `flickr-replace status` shows it",
    96: f"the signature was refused: check api_secret, or {_AUTH_AGAIN}",
    97: _AUTH_AGAIN,
    98: f"the stored token is not valid (revoked or expired): {_AUTH_AGAIN}",
    99: f"the token lacks 'write' permission: {_AUTH_AGAIN} and allow 'write' access",
    100: "Flickr does not know this API key: check api_key (FLICKR_API_KEY), or get one from the App Garden",
}


class Status(str, enum.Enum):
    REPLACED = "replaced"
    UPLOADED = "uploaded"  # a new photo (--upload-missing)
    PENDING = "pending"
    FAILED = "failed"
    SKIPPED = "skipped"
    DRY_RUN = "dry-run"


class Origin(str, enum.Enum):
    FLICKR = "flickr"
    LOCAL = "local"
    NETWORK = "network"


@dataclass(frozen=True)
class ResultError:
    message: str
    origin: Origin = Origin.LOCAL
    code: int | None = None
    retryable: bool = False
    reason: str | None = None  # a stable word for a local refusal or a skip (CONTRACT.md), for hosts to act on

    @classmethod
    def flickr(cls, code: int, message: str | None = None) -> "ResultError":
        known = FLICKR_CODES.get(code)
        message = message or (known[0] if known else f"Flickr error {code}")
        advice = FLICKR_ADVICE.get(code)
        if advice and advice not in message:
            message = f"{message} ({advice})"
        return cls(
            message=message,
            origin=Origin.FLICKR,
            code=code,
            retryable=bool(known and known[1]),
        )

    @classmethod
    def refusal(cls, reason: str, message: str, code: int | None = None) -> "ResultError":
        """A local check's verdict: nothing was sent; `code` is Flickr's when Flickr has the same reason."""
        return cls(message=message, origin=Origin.LOCAL, code=code, retryable=False, reason=reason)

    @classmethod
    def network(cls, message: str) -> "ResultError":
        return cls(message=message, origin=Origin.NETWORK, retryable=True)

    def local(self) -> "ResultError":
        """The same reason found by a local check: nothing was sent, so nothing to retry."""
        return ResultError(self.message, Origin.LOCAL, self.code, False, self.reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "origin": self.origin.value,
            "retryable": self.retryable,
            "reason": self.reason,
        }


@dataclass
class ReplaceResult:
    path: str
    photo_id: str | None = None
    source: str | None = None
    status: Status = Status.FAILED
    secret: str | None = None
    originalsecret: str | None = None
    ticket_id: str | None = None
    error: ResultError | None = None
    attempts: int = 0
    bytes: int | None = None
    elapsed_s: float = 0.0
    previous: dict[str, Any] | None = None  # {"secret", "originalsecret", "originalformat"} before this replace
    backup: str | None = None               # the saved copy of the photo's previous original
    sha256: str | None = None               # of exactly the bytes Flickr received
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] | None = None  # {"changed": {FIELD: {"from", "to"}}, "error"}: what the replace did
    kept: dict[str, int] | None = None      # {"views", "comments"}: what the photo keeps by being replaced
    # Internal state, never in the JSON: the journal entry this send opened (completed by whoever
    # finishes it), and whether its pending ticket could not be saved (this run is its only chance).
    journal_entry: int | None = field(default=None, repr=False, compare=False)
    ticket_unsaved: bool = field(default=False, repr=False, compare=False)
    metadata_plan: Any = field(default=None, repr=False, compare=False)  # decided before the send, made after

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAILED

    def fail(self, error: ResultError) -> "ReplaceResult":
        self.status = Status.FAILED
        self.error = error
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "photo_id": self.photo_id,
            "source": self.source,
            "status": self.status.value,
            "secret": self.secret,
            "originalsecret": self.originalsecret,
            "ticket_id": self.ticket_id,
            "error": self.error.to_dict() if self.error else None,
            "attempts": self.attempts,
            "bytes": self.bytes,
            "elapsed_s": round(self.elapsed_s, 3),
            "previous": self.previous,
            "backup": self.backup,
            "sha256": self.sha256,
            "warnings": list(self.warnings),
            "metadata": self.metadata,
            "kept": self.kept,
        }
