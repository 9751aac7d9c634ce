"""The journal: every replace, upload and undo, written before the bytes go out and completed after.

SQLite in WAL mode with a busy timeout: several processes (a batch, a watcher, a host's export)
write one at a time, and an entry committed before a kill is still there to read afterwards.
It is also where async tickets wait: an entry whose upload Flickr answered with a ticket holds
the ticket (`ticket_id`, the saved pending result as JSON in `ticket`, NULL once it is finished)
and the claim of the run finishing it (`claim`, JSON); `tickets/store.py` reads and writes those.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..errors import JournalUnavailable

FILENAME = "journal.sqlite"
SENDING = "sending"
# A new photo's upload whose body went out whole and whose answer has not come (yet, or ever):
# Flickr may have made the photo, so a rerun looks for it before uploading again.
WHOLE_SENT = "sent"  # the status of an entry whose upload has not been answered (yet, or ever)
BUSY_MS = 30_000
# One lock for every Journal of this process: two switching a new file to WAL at once (a run's
# journal, its ticket store, the account memory on a worker) get "database is locked" at once,
# without SQLite's busy wait.
_SETUP_LOCK = threading.Lock()
# This process's writers take turns here before SQLite's own lock: a thread waiting in SQLite's busy
# handler sleeps in growing steps (up to 100 ms) whenever it finds the lock taken, so with 16 jobs
# writing their entries most of a batch's journal time went to those sleeps. Other processes still
# wait in SQLite's handler.
_WRITERS: dict[Path, threading.RLock] = {}
_WRITERS_LOCK = threading.Lock()
SENT_STATUSES = ("replaced", "uploaded", "pending")  # Flickr holds (or will hold) the bytes sent
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    path TEXT,
    photo_id TEXT,
    command TEXT NOT NULL,
    status TEXT NOT NULL,
    sha256 TEXT,
    backup TEXT,
    previous TEXT,
    secret TEXT,
    originalsecret TEXT,
    bytes INTEGER,
    finished TEXT,
    original TEXT
);
CREATE INDEX IF NOT EXISTS entries_photo ON entries (photo_id, id);
"""
# Columns later versions added: a journal an earlier version wrote gets them on first use.
# `original`: the source image a host exported the file from; `backup_bytes`, `backup_sha256`:
# the backup as saved, which undo checks it against; `server`: the photo's static server when it
# was sent, where its next picture check looks for it before getInfo answers.
ADDED_COLUMNS = {"ticket_id": "TEXT", "ticket": "TEXT", "claim": "TEXT", "original": "TEXT",
                 "backup_bytes": "INTEGER", "backup_sha256": "TEXT", "server": "TEXT"}
_ADDED_INDEXES = ("CREATE INDEX IF NOT EXISTS entries_ticket ON entries (ticket_id)",
                  "CREATE INDEX IF NOT EXISTS entries_waiting ON entries (id) WHERE ticket IS NOT NULL")
FIELDS = ("time", "path", "photo_id", "status", "sha256", "backup", "previous", "secret", "originalsecret",
          "command", "original")
_VERSION_FIELDS = (*FIELDS, "bytes", "backup_bytes", "backup_sha256")


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


class Journal:
    """One journal file; each call opens its own connection, so any thread or process may write."""

    def __init__(self, state_dir: str | os.PathLike) -> None:
        self.path = Path(state_dir) / FILENAME
        self._ready = False
        self._writable = False

    @contextmanager
    def _connect(self, write: bool) -> Iterator[sqlite3.Connection]:
        try:
            with self._opened(write) as db:
                yield db
        except (OSError, sqlite3.Error) as exc:  # not the photo's file: say which file, and where to look
            why = getattr(exc, "strerror", None) or str(exc)
            raise JournalUnavailable(f"the journal {self.path} cannot be {'written' if write else 'read'} ({why}): "
                                     "check the state folder (`flickr-replace paths` shows it, `state_dir` "
                                     "sets it)") from None

    @contextmanager
    def _opened(self, write: bool) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)) as db:
            db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            if not self._ready:
                with _SETUP_LOCK:
                    _patiently(lambda: _set_up(db))
                    self._ready = True
            db.execute("PRAGMA synchronous = FULL")
            if write:  # one writer at a time, across processes: the lock is taken up front
                with self._writer():
                    db.execute("BEGIN IMMEDIATE")
                    try:
                        yield db
                    except BaseException:
                        db.execute("ROLLBACK")
                        raise
                    db.execute("COMMIT")
            else:
                yield db

    @contextmanager
    def _writer(self) -> Iterator[None]:
        """This process's turn to write, waited for as long as SQLite would wait for its lock."""
        with _WRITERS_LOCK:
            turn = _WRITERS.setdefault(self.path, threading.RLock())
        if not turn.acquire(timeout=BUSY_MS / 1000):
            raise sqlite3.OperationalError("database is locked")
        try:
            yield
        finally:
            turn.release()

    def writable(self) -> None:
        """Raises JournalUnavailable unless an entry can be written (checked once): a body begun
        beside the checks, whose entry is written only once they pass, is not begun without one."""
        if not self._writable:
            with self._connect(write=True):
                pass
            self._writable = True

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (the database's one writer until it ends), for the tickets' rows;
        raises sqlite3.Error or OSError as they come, for the caller to word."""
        with self._opened(write=True) as db:
            yield db

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection, for the tables other modules keep in this file; raises as `transaction`."""
        with self._opened(write=False) as db:
            yield db

    def begin(self, *, path: str | None, photo_id: str | None, command: str, sha256: str | None = None,
              backup: str | None = None, previous: dict[str, Any] | None = None, size: int | None = None,
              original: str | None = None, backup_record: tuple[int, str] | None = None,
              server: str | None = None) -> int:
        """The entry written before an upload: committed, so a killed run still shows it in flight
        (with the hash of the bytes about to go out).

        :param original: the source image `path` was exported from (a host's temporary export), so
            that `history SOURCE` finds it and a ticket finished later records a new id beside it.
        :param backup_record: the backup's size and sha256 as saved, which undo checks it against.
        :param server: the photo's static server (getInfo's `server`) before this send."""
        with self._connect(write=True) as db:
            entry = add_entry(db, path=path, photo_id=photo_id, command=command, status=SENDING, sha256=sha256,
                              backup=backup, previous=previous, size=size, original=original)
            if backup_record is not None or server is not None:
                backup_bytes, backup_sha256 = backup_record or (None, None)
                db.execute("UPDATE entries SET backup_bytes = ?, backup_sha256 = ?, server = ? WHERE id = ?",
                           (backup_bytes, backup_sha256, server, entry))
            return entry

    def sending(self, entry: int, *, sha256: str | None = None, backup: str | None = None,
                backup_record: tuple[int, str] | None = None, whole: bool = False) -> None:
        """What only the send itself learns, written before the body's last bytes go out (Flickr
        takes no body cut short): the hash of the bytes sent, the backup saved beside them; `whole`:
        the body is about to end, so Flickr may hold the result from here (status `sent` until the
        answer comes: a kill from here may leave a photo, which a rerun looks for first)."""
        with self._connect(write=True) as db:
            db.execute("UPDATE entries SET sha256 = COALESCE(?, sha256), backup = COALESCE(?, backup),"
                       " backup_bytes = COALESCE(?, backup_bytes), backup_sha256 = COALESCE(?, backup_sha256),"
                       " status = CASE WHEN ? AND status = ? THEN ? ELSE status END"
                       " WHERE id = ?", (sha256, backup, *(backup_record or (None, None)), whole, SENDING, WHOLE_SENT,
                                         entry))

    def finish(self, entry: int, status: str, *, sha256: str | None = None, secret: str | None = None,
               originalsecret: str | None = None, photo_id: str | None = None) -> None:
        """Complete an entry with the outcome; `sha256` (when given) is of exactly the bytes sent, and
        `photo_id` names a new photo's id once Flickr gave it."""
        with self._connect(write=True) as db:
            db.execute("UPDATE entries SET status = ?, sha256 = COALESCE(?, sha256), secret = ?,"
                       " originalsecret = ?, photo_id = COALESCE(photo_id, ?), finished = ? WHERE id = ?",
                       (status, sha256, secret, originalsecret, photo_id, utc_now(), entry))

    def entries(self, keys: Iterable[str] = (), limit: int | None = None) -> list[dict[str, Any]]:
        """Newest first; `keys` are photo ids or paths (an entry matching any of them is listed)."""
        if not self.path.exists():
            return []
        where, args = _filter(list(keys))
        sql = f"SELECT {', '.join(FIELDS)} FROM entries{where} ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self._connect(write=False) as db:
            rows = db.execute(sql, args).fetchall()
        return [_entry(row) for row in rows]

    def original_of(self, entry: int) -> str | None:
        """The source image recorded with an entry (None when none was named)."""
        if not self.path.exists():
            return None
        with self._connect(write=False) as db:
            row = db.execute("SELECT original FROM entries WHERE id = ?", (entry,)).fetchone()
        return row[0] if row else None

    def last_sent(self, photo_id: str) -> dict[str, Any] | None:
        """The newest entry whose bytes Flickr took for this photo (replace, upload or undo)."""
        return self._newest(photo_id, "status IN (%s)" % ", ".join("?" * len(SENT_STATUSES)), SENT_STATUSES)

    def versions(self, photo_id: str) -> list[dict[str, Any]]:
        """Every entry of the photo, newest first, with the bytes sent and the backup's recorded size
        and sha256 (`backup_bytes`, `backup_sha256`): what undo chooses from."""
        if not self.path.exists():
            return []
        with self._connect(write=False) as db:
            rows = db.execute(f"SELECT {', '.join(_VERSION_FIELDS)} FROM entries WHERE photo_id = ? ORDER BY id DESC",
                              [photo_id]).fetchall()
        return [{**_entry(row[:len(FIELDS)]), **dict(zip(_VERSION_FIELDS[len(FIELDS):], row[len(FIELDS):]))}
                for row in rows]

    def uploads_of(self, sha256: str | None, source: str, limit: int = 10) -> list[dict[str, Any]]:
        """Newest first, the new-photo uploads of these bytes or of this source image (an entry's
        source is its `original`, else its path): what a rerun looks at before uploading again."""
        if not self.path.exists():
            return []
        with self._connect(write=False) as db:
            rows = db.execute(
                "SELECT id, time, path, photo_id, status, sha256, ticket_id, COALESCE(original, path) FROM entries"
                " WHERE command = 'upload' AND (sha256 = ? OR COALESCE(original, path) = ?)"
                " ORDER BY id DESC LIMIT ?", (sha256 or "", _absolute(source), limit)).fetchall()
        names = ("id", "time", "path", "photo_id", "status", "sha256", "ticket_id", "source")
        return [dict(zip(names, row)) for row in rows]

    def _newest(self, photo_id: str, clause: str, args: Iterable[Any]) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        with self._connect(write=False) as db:
            row = db.execute(f"SELECT {', '.join(FIELDS)}, bytes, server FROM entries WHERE photo_id = ? AND {clause}"
                             " ORDER BY id DESC LIMIT 1", [photo_id, *args]).fetchone()
        return {**_entry(row[:-2]), "bytes": row[-2], "server": row[-1]} if row else None


def add_entry(db: sqlite3.Connection, *, path: str | None, photo_id: str | None, command: str, status: str,
              sha256: str | None = None, backup: str | None = None, previous: dict[str, Any] | None = None,
              size: int | None = None, original: str | None = None) -> int:
    """Insert one entry in the caller's transaction; its id."""
    cursor = db.execute(
        "INSERT INTO entries (time, path, photo_id, command, status, sha256, backup, previous, bytes, original)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (utc_now(), _absolute(path), photo_id, command, status, sha256, backup,
         json.dumps(previous) if previous is not None else None, size, _absolute(original)))
    return int(cursor.lastrowid)


def _set_up(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA journal_mode = WAL")
    db.executescript(_SCHEMA)
    _migrate(db)


def _patiently(step: Callable[[], None]) -> None:
    """Runs `step` until no other process holds the file, up to BUSY_MS: the switch to WAL answers
    "database is locked" at once, without SQLite's busy wait, while another connection has it open."""
    deadline = time.monotonic() + BUSY_MS / 1000
    pause = 0.005
    while True:
        try:
            return step()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _migrate(db: sqlite3.Connection) -> None:
    """Add the columns an older journal lacks, checked again under the write lock, so two processes
    opening it at once never both add one (a journal already up to date is only read)."""
    if not _missing(db):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        for name in _missing(db):
            db.execute(f"ALTER TABLE entries ADD COLUMN {name} {ADDED_COLUMNS[name]}")
        for index in _ADDED_INDEXES:
            db.execute(index)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _missing(db: sqlite3.Connection) -> list[str]:
    have = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
    return [name for name in ADDED_COLUMNS if name not in have]


def _absolute(path: str | None) -> str | None:
    """Paths are kept absolute (history asked from another folder still finds them) and as text
    SQLite can hold: a name that is not UTF-8 keeps its odd bytes as backslash escapes."""
    return os.fsencode(os.path.abspath(path)).decode("utf-8", "backslashreplace") if path else None


def _filter(keys: list[str]) -> tuple[str, list[Any]]:
    """A key is a photo id, the file sent, or the source image it was exported from."""
    if not keys:
        return "", []
    clauses, args = [], []
    for key in keys:
        path = _absolute(key)
        if key.isdigit():  # a photo id, or a file named only with digits
            clauses.append("photo_id = ? OR path = ? OR original = ?")
            args += [key, path, path]
        else:
            clauses.append("path = ? OR original = ?")
            args += [path, path]
    return " WHERE " + " OR ".join(f"({c})" for c in clauses), args


def _entry(row: tuple) -> dict[str, Any]:
    entry = dict(zip(FIELDS, row))
    entry["previous"] = json.loads(entry["previous"]) if entry["previous"] else None
    return entry
