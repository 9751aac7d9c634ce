"""The sandbox's account: credentials, users, photos and async tickets, kept in its own folder.

Layout of that folder (see datadir.py for where it is): `state.json` (written atomically after
every change), `photos/ID.EXT` (the bytes), `pending/TICKET` (an async upload waiting for its
ticket), `incoming/` (bodies being received; its `.part` files are removed at start). Everything
survives a restart with the same folder.
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
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable

from ..formats.sniff import sniff_format
from ..fsutil import atomic_write
from .probe import probe
from .records import EXTENSIONS, Photo, Ticket, new_secret, photo_from, record
from .request import Upload, UploadSink

STATE_VERSION = 1
EDITABLE = ("title", "description", "tags", "is_public", "is_friend", "is_family", "taken", "uploaded", "lastupdate",
            "views", "comments", "location")


def _digits(n: int) -> str:
    return str(10 ** (n - 1) + secrets.randbelow(9 * 10 ** (n - 1)))


def _new_user(username: str, fullname: str) -> dict[str, str]:
    return {"nsid": f"{_digits(9)}@N0{secrets.randbelow(8)}", "username": username, "fullname": fullname}


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
        self.others: dict[str, dict[str, str]] = {}  # users other than the sandbox's own, by nsid
        self._load()

    # -- persistence -----------------------------------------------------------------------------
    def _load(self) -> None:
        for sub in ("photos", "pending", "incoming"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for part in self.incoming.glob("*.part"):  # half-received bodies of a previous run
            part.unlink(missing_ok=True)
        if not self.state_path.exists():
            self.credentials = {"api_key": secrets.token_hex(16), "api_secret": secrets.token_hex(8),
                                "oauth_token": f"72157{_digits(12)}-{secrets.token_hex(8)}",
                                "oauth_token_secret": secrets.token_hex(8)}
            self.user = _new_user("sandbox", "Sandbox User")
            self.next_photo = 52_000_000_000 + secrets.randbelow(10 ** 9)
            self.next_ticket = 72_157_700_000_000_000 + secrets.randbelow(10 ** 9)
            self.used_bytes = 0
            self._commit()
            return
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
            self.credentials = state["credentials"]
            self.user = state["user"]
            self.others = state.get("others", {})
            self.next_photo, self.next_ticket = state["next_photo"], state["next_ticket"]
            self.used_bytes = state["used_bytes"]
            for pid, data in state["photos"].items():
                self.photos[pid] = photo = photo_from(data, self.root)
                photo.owner = photo.owner or self.user["nsid"]
            for tid, data in state["tickets"].items():
                self.tickets[tid] = Ticket(**data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"sandbox state {self.state_path} is unreadable: {exc}") from None
        self._next_due = min((t.due for t in self.tickets.values() if t.complete == 0), default=math.inf)

    def _snapshot(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "credentials": self.credentials, "user": self.user, "others": self.others,
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

    # -- users -------------------------------------------------------------------------------------
    def user_for(self, who: str | None) -> str:
        """The nsid of `who` (an nsid or a username), creating that user if it is new; None: our own."""
        with self._lock:
            known = len(self.others)
            nsid = self._user_for(who)
            changed = len(self.others) != known
        if changed:
            self._commit()
        return nsid

    def _user_for(self, who: str | None) -> str:
        if not who or who in (self.user["nsid"], self.user["username"]):
            return self.user["nsid"]
        for nsid, user in self.others.items():
            if who in (nsid, user["username"]):
                return nsid
        user = _new_user(who, who.title())
        if "@N0" in who:  # an nsid was asked for: keep it
            user["nsid"] = who
        self.others[user["nsid"]] = user
        return user["nsid"]

    def person(self, nsid: str) -> dict[str, str] | None:
        return self.user if nsid == self.user["nsid"] else self.others.get(nsid)

    # -- photos ------------------------------------------------------------------------------------
    def photo(self, photo_id: str | None) -> Photo | None:
        """The photo a request names: Flickr reads a photo id as a number, so `0105` is photo 105."""
        if photo_id and photo_id.isascii() and photo_id.isdigit():
            photo_id = photo_id.lstrip("0") or "0"
        with self._lock:
            photo = self.photos.get(photo_id or "")
            return dataclasses.replace(photo) if photo else None

    def open_file(self, photo_id: str, secret: str, original: bool) -> tuple[Photo, BinaryIO] | None:
        """The photo and its stored original opened, when `secret` is its current (original) secret.

        Checked and opened under the lock, so an address never serves bytes from after a replace.
        """
        with self._lock:
            photo = self.photos.get(photo_id)
            if photo is None or secret != (photo.originalsecret if original else photo.secret):
                return None
            try:
                return dataclasses.replace(photo), open(photo.data_path, "rb")
            except OSError:
                return None

    def owned_by(self, nsid: str) -> list[Photo]:
        """The user's photos, newest upload first (Flickr's order for a photostream)."""
        with self._lock:
            found = [dataclasses.replace(p) for p in self.photos.values() if p.owner == nsid]
        found.sort(key=lambda p: (p.uploaded, int(p.id)), reverse=True)
        return found

    def receive(self, chunks: Iterable[bytes], filename: str) -> Upload:
        """Stream bytes in as an upload would arrive, into the store's own incoming folder."""
        sink = UploadSink(self.incoming, filename)
        try:
            for chunk in chunks:
                sink.write(chunk)
        except BaseException:
            sink.abandon()
            raise
        return sink.finish()

    def add_photo(self, chunks: Iterable[bytes], filename: str, title: str = "", **meta: Any) -> Photo:
        """Seed a photo (tests, benchmarks): streamed in like an upload, with none of Flickr's checks."""
        upload = self.receive(chunks, filename)
        return self.create_photo(upload, sniff_format(upload.head), title, meta)

    def create_photo(self, upload: Upload, fmt: str | None, title: str = "", meta: dict[str, Any] | None = None) -> Photo:
        with self._lock:
            photo = self._create(upload, fmt, title, meta or {}, time.time())
        self._commit()
        return dataclasses.replace(photo)

    def seed(self, n: int, upload: Upload, fmt: str | None, fields: Callable[[int], dict[str, Any]]) -> list[str]:
        """n photos sharing one received file (hard links where the disk allows), persisted once."""
        shape = probe(upload.path, fmt)
        ids: list[str] = []
        now = int(time.time())
        try:
            with self._lock:
                for i in range(n):
                    photo_id = str(self.next_photo)
                    self.next_photo += 1
                    rel = f"photos/{photo_id}.{EXTENSIONS.get(fmt or '', 'bin')}"
                    try:
                        os.link(upload.path, self.root / rel)
                    except OSError:
                        shutil.copyfile(upload.path, self.root / rel)
                    self.used_bytes += upload.size
                    meta = {"uploaded": now - n + i, "width": shape.width, "height": shape.height,
                            "taken": shape.taken, **fields(i)}
                    self._add(photo_id, rel, upload, fmt, meta)
                    ids.append(photo_id)
        finally:
            upload.path.unlink(missing_ok=True)
        self._commit()
        return ids

    def replace_photo(self, photo_id: str, upload: Upload, fmt: str | None) -> Photo:
        with self._lock:
            photo = self._replace(self.photos[photo_id], upload, fmt, time.time())
        self._commit()
        return dataclasses.replace(photo)

    def delete_photo(self, photo_id: str) -> None:
        """Delete a photo as the website would: its page, addresses and file are gone (KeyError if unknown)."""
        with self._lock:
            photo = self.photos.pop(photo_id)
            (self.root / photo.file).unlink(missing_ok=True)  # a file this store created
        self._commit()

    def update_photo(self, photo_id: str, fields: dict[str, Any]) -> Photo:
        """Edit a photo's metadata as Flickr's setMeta/setTags/setPerms/setDates would; lastupdate moves."""
        unknown = set(fields) - set(EDITABLE)
        if unknown:
            raise ValueError(f"not editable: {', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE)}")
        with self._lock:
            photo = self.photos[photo_id]
            for name, value in fields.items():
                setattr(photo, name, list(value) if name == "tags" else value)
            if "tags" in fields:  # the owner typed the tags anew on the website: all theirs now
                photo.tag_info = []
            if "lastupdate" not in fields:
                photo.lastupdate = max(int(time.time()), photo.lastupdate + 1)
        self._commit()
        return dataclasses.replace(photo)

    def edit(self, photo_id: str, change: Callable[[Photo], Any]) -> Any:
        """Apply `change` to the stored photo under the lock (a REST write method); lastupdate moves."""
        with self._lock:
            photo = self.photos[photo_id]
            answer = change(photo)
            photo.lastupdate = max(int(time.time()), photo.lastupdate + 1)
        self._commit()
        return answer

    def _install(self, photo_id: str, upload: Upload, fmt: str | None) -> str:
        """Move received bytes into place (a rename: never a partial file); returns the relative path."""
        rel = f"photos/{photo_id}.{EXTENSIONS.get(fmt or '', 'bin')}"
        os.replace(upload.path, self.root / rel)
        self.used_bytes += upload.size
        return rel

    def _create(self, upload: Upload, fmt: str | None, title: str, meta: dict[str, Any], now: float) -> Photo:
        photo_id = str(self.next_photo)
        self.next_photo += 1
        rel = self._install(photo_id, upload, fmt)
        shape = probe(self.root / rel, fmt)
        fields = {"title": title, "uploaded": int(now), "width": shape.width, "height": shape.height,
                  "taken": shape.taken, **{k: v for k, v in meta.items() if v is not None}}
        return self._add(photo_id, rel, upload, fmt, fields)

    def _add(self, photo_id: str, rel: str, upload: Upload, fmt: str | None, fields: dict[str, Any]) -> Photo:
        filename = fields.pop("filename", None) or upload.filename
        fields["owner"] = self._user_for(fields.get("owner"))
        # No title sent: Flickr titles the photo with the file name's stem (its uploaders do; the
        # API is believed to do the same, and a title-less photo would be the odd one out).
        fields["title"] = fields.get("title") or os.path.splitext(filename)[0]
        fields.setdefault("lastupdate", fields["uploaded"])
        photo = Photo(photo_id, filename, rel, new_secret(), new_secret(), upload.size, upload.sha256, fmt,
                      data_path=self.root / rel, **fields)
        self.photos[photo_id] = photo
        return photo

    def _replace(self, photo: Photo, upload: Upload, fmt: str | None, now: float) -> Photo:
        rel = self._install(photo.id, upload, fmt)
        if rel != photo.file:
            (self.root / photo.file).unlink(missing_ok=True)
        shape = probe(self.root / rel, fmt)
        photo.file, photo.data_path, photo.format = rel, self.root / rel, fmt
        photo.size, photo.sha256, photo.filename = upload.size, upload.sha256, upload.filename
        photo.width, photo.height = shape.width, shape.height
        # Title, description, tags and date taken stay: a replace changes the picture, not the
        # photo's metadata (unknown whether Flickr re-reads the date taken; keeping it is safer).
        photo.secret, photo.originalsecret = new_secret(), new_secret()
        photo.replacements += 1
        photo.lastupdate = max(int(now), photo.lastupdate + 1)  # moves even within the same second
        return photo

    # -- tickets ---------------------------------------------------------------------------------
    def create_ticket(self, kind: str, upload: Upload, fmt: str | None, photo_id: str | None,
                      title: str, delay: float, outcome: str = "ok", meta: dict[str, Any] | None = None) -> Ticket:
        """Hold an async upload until `delay` has passed. outcome "invalid": a ticket Flickr forgot."""
        ticket_id = f"{_digits(9)}-{self.next_ticket}"
        ticket = Ticket(ticket_id, kind, time.time() + delay, outcome, photo_id, f"pending/{ticket_id}",
                        upload.filename, title, upload.size, upload.sha256, fmt, meta=dict(meta or {}))
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

    def release_tickets(self) -> None:
        """Make every waiting ticket due now (tests hold tickets with a long delay, then let go)."""
        now = time.time()
        with self._lock:
            for ticket in self.tickets.values():
                if ticket.complete == 0:
                    ticket.due = min(ticket.due, now)
            self._next_due = min(self._next_due, now)

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
            ticket.photo_id = self._create(upload, ticket.format, ticket.title, ticket.meta, now).id
        ticket.complete, ticket.imported = 1, int(now)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            states = [t.complete for t in self.tickets.values()]
            return {"photos": len(self.photos), "replacements": sum(p.replacements for p in self.photos.values()),
                    "tickets": {"pending": states.count(0), "complete": states.count(1), "failed": states.count(2)},
                    "used_bytes": self.used_bytes}
