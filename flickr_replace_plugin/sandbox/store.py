"""The sandbox's account: credentials, photos and async tickets, kept in its data dir.

Layout: `state.json` (written atomically after every change), `photos/ID.EXT` (the bytes),
`pending/TICKET` (an async upload waiting for its ticket), `incoming/` (bodies being received;
emptied at start). Everything survives a restart with the same data dir.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..fsutil import atomic_write
from ..formats.sniff import sniff_format
from .request import Upload, UploadSink

EXTENSIONS = {"jpeg": "jpg", "png": "png", "gif": "gif", "tiff": "tif", "webp": "webp", "heif": "heic", "video": "mp4"}
STATE_VERSION = 1


def new_secret() -> str:
    """Flickr's secrets: 10 hex digits, new after every replace."""
    return secrets.token_hex(5)


def _digits(n: int) -> str:
    return str(10 ** (n - 1) + secrets.randbelow(9 * 10 ** (n - 1)))


@dataclass
class Photo:
    id: str
    filename: str
    file: str  # relative to the data dir
    secret: str
    originalsecret: str
    size: int
    sha256: str
    format: str | None  # sniffed from the bytes: jpeg, png, ..., video; None when unknown
    title: str = ""
    uploaded: int = 0
    lastupdate: int = 0
    replacements: int = 0
    data_path: Path = field(default=Path(), repr=False, compare=False)

    @property
    def media(self) -> str:
        return "video" if self.format == "video" else "photo"

    @property
    def originalformat(self) -> str:
        return EXTENSIONS.get(self.format or "", "jpg")


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


def record(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name != "data_path"}


class Store:
    """All account state behind one lock; changes are persisted before the caller answers."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).resolve()
        self.state_path = self.root / "state.json"
        self.incoming = self.root / "incoming"
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._version = self._saved = 0
        self._next_due = math.inf
        self.photos: dict[str, Photo] = {}
        self.tickets: dict[str, Ticket] = {}
        self._load()

    # -- persistence -----------------------------------------------------------------------------
    def _load(self) -> None:
        for sub in ("photos", "pending"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.incoming, ignore_errors=True)  # half-received bodies of a previous run
        self.incoming.mkdir()
        if not self.state_path.exists():
            self.credentials = {"api_key": secrets.token_hex(16), "api_secret": secrets.token_hex(8),
                                "oauth_token": f"72157{_digits(12)}-{secrets.token_hex(8)}",
                                "oauth_token_secret": secrets.token_hex(8)}
            self.user = {"nsid": f"{_digits(9)}@N0{secrets.randbelow(8)}", "username": "sandbox",
                         "fullname": "Sandbox User"}
            self.next_photo = 52_000_000_000 + secrets.randbelow(10 ** 9)
            self.next_ticket = 72_157_700_000_000_000 + secrets.randbelow(10 ** 9)
            self.used_bytes = 0
            self._commit()
            return
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
            self.credentials = state["credentials"]
            self.user = state["user"]
            self.next_photo, self.next_ticket = state["next_photo"], state["next_ticket"]
            self.used_bytes = state["used_bytes"]
            for pid, data in state["photos"].items():
                self.photos[pid] = Photo(**data, data_path=self.root / data["file"])
            for tid, data in state["tickets"].items():
                self.tickets[tid] = Ticket(**data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"sandbox state {self.state_path} is unreadable: {exc}") from None
        self._next_due = min((t.due for t in self.tickets.values() if t.complete == 0), default=math.inf)

    def _snapshot(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "credentials": self.credentials, "user": self.user,
                "next_photo": self.next_photo, "next_ticket": self.next_ticket, "used_bytes": self.used_bytes,
                "photos": {k: record(p) for k, p in self.photos.items()},
                "tickets": {k: record(t) for k, t in self.tickets.items()}}

    def _commit(self) -> None:
        """Persist; concurrent writers coalesce, so a burst of changes costs about one write.

        Never called with `_lock` held: the writer takes `_write_lock` then `_lock`.
        """
        with self._lock:
            self._version += 1
        with self._write_lock:
            with self._lock:
                if self._saved >= self._version:
                    return
                version, text = self._version, json.dumps(self._snapshot(), sort_keys=True)
            atomic_write(self.state_path, text, mode=0o600)
            self._saved = version

    # -- photos ------------------------------------------------------------------------------------
    def photo(self, photo_id: str | None) -> Photo | None:
        with self._lock:
            photo = self.photos.get(photo_id or "")
            return dataclasses.replace(photo) if photo else None

    def add_photo(self, chunks: Iterable[bytes], filename: str, title: str = "") -> Photo:
        """Seed a photo (tests, benchmarks): streamed in like an upload, with none of Flickr's checks."""
        sink = UploadSink(self.incoming, filename)
        try:
            for chunk in chunks:
                sink.write(chunk)
        except BaseException:
            sink.abandon()
            raise
        upload = sink.finish()
        return self.create_photo(upload, sniff_format(upload.head), title)

    def create_photo(self, upload: Upload, fmt: str | None, title: str = "") -> Photo:
        with self._lock:
            photo = self._create(upload, fmt, title, time.time())
        self._commit()
        return dataclasses.replace(photo)

    def replace_photo(self, photo_id: str, upload: Upload, fmt: str | None) -> Photo:
        with self._lock:
            photo = self._replace(self.photos[photo_id], upload, fmt, time.time())
        self._commit()
        return dataclasses.replace(photo)

    def _install(self, photo_id: str, upload: Upload, fmt: str | None) -> str:
        """Move received bytes into place (a rename: never a partial file); returns the relative path."""
        rel = f"photos/{photo_id}.{EXTENSIONS.get(fmt or '', 'bin')}"
        os.replace(upload.path, self.root / rel)
        self.used_bytes += upload.size
        return rel

    def _create(self, upload: Upload, fmt: str | None, title: str, now: float) -> Photo:
        photo_id = str(self.next_photo)
        self.next_photo += 1
        rel = self._install(photo_id, upload, fmt)
        photo = Photo(photo_id, upload.filename, rel, new_secret(), new_secret(), upload.size, upload.sha256, fmt,
                      title or os.path.splitext(upload.filename)[0], int(now), int(now), 0, self.root / rel)
        self.photos[photo_id] = photo
        return photo

    def _replace(self, photo: Photo, upload: Upload, fmt: str | None, now: float) -> Photo:
        rel = self._install(photo.id, upload, fmt)
        if rel != photo.file:
            (self.root / photo.file).unlink(missing_ok=True)
        photo.file, photo.data_path, photo.format = rel, self.root / rel, fmt
        photo.size, photo.sha256, photo.filename = upload.size, upload.sha256, upload.filename
        photo.secret, photo.originalsecret = new_secret(), new_secret()
        photo.replacements += 1
        photo.lastupdate = int(now)
        return photo

    # -- tickets ---------------------------------------------------------------------------------
    def create_ticket(self, kind: str, upload: Upload, fmt: str | None, photo_id: str | None,
                      title: str, delay: float, outcome: str = "ok") -> Ticket:
        """Hold an async upload until `delay` has passed. outcome "invalid": a ticket Flickr forgot."""
        ticket_id = f"{_digits(9)}-{self.next_ticket}"
        ticket = Ticket(ticket_id, kind, time.time() + delay, outcome, photo_id, f"pending/{ticket_id}",
                        upload.filename, title, upload.size, upload.sha256, fmt)
        if outcome == "invalid":
            upload.path.unlink(missing_ok=True)
            with self._lock:
                self.next_ticket += 1
            return ticket
        os.replace(upload.path, self.root / ticket.file)
        with self._lock:
            self.next_ticket += 1
            self.tickets[ticket_id] = ticket
            self._next_due = min(self._next_due, ticket.due)
        self._commit()
        return dataclasses.replace(ticket)

    def ticket(self, ticket_id: str) -> Ticket | None:
        with self._lock:
            ticket = self.tickets.get(ticket_id)
            return dataclasses.replace(ticket) if ticket else None

    def settle(self, now: float | None = None) -> None:
        """Complete every ticket whose time has come (Flickr's processing, done lazily)."""
        now = time.time() if now is None else now
        if now < self._next_due:
            return
        with self._lock:
            pending = [t for t in self.tickets.values() if t.complete == 0]
            for ticket in sorted((t for t in pending if t.due <= now), key=lambda t: t.due):
                self._complete(ticket, now)
            self._next_due = min((t.due for t in pending if t.complete == 0), default=math.inf)
        self._commit()

    def _complete(self, ticket: Ticket, now: float) -> None:
        assert ticket.file is not None
        path = self.root / ticket.file
        target = self.photos.get(ticket.photo_id or "")
        ticket.file = None
        if ticket.outcome != "ok" or (ticket.kind == "replace" and target is None):
            path.unlink(missing_ok=True)
            ticket.complete = 2
            return
        upload = Upload(path, ticket.filename, ticket.size, ticket.sha256, b"")
        if target is not None:
            self._replace(target, upload, ticket.format, now)
        else:
            ticket.photo_id = self._create(upload, ticket.format, ticket.title, now).id
        ticket.complete, ticket.imported = 1, int(now)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            states = [t.complete for t in self.tickets.values()]
            return {"photos": len(self.photos), "replacements": sum(p.replacements for p in self.photos.values()),
                    "tickets": {"pending": states.count(0), "complete": states.count(1), "failed": states.count(2)},
                    "used_bytes": self.used_bytes}
