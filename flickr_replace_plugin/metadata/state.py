"""What this tool set on each photo's metadata, and every change it made with its before and after.

Kept in the journal's file, the one state store: "ours" (the tags this tool added, whether it set
the location) decides what a later replace may remove, and each journal entry's change is what
`undo` puts back. A dry run never gets here: it writes nothing.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any

from ..errors import JournalUnavailable
from ..safety.journal import Journal, utc_now
from .plan import Ours

_TABLES = (
    "CREATE TABLE IF NOT EXISTS metadata_ours (photo_id TEXT PRIMARY KEY, tags TEXT NOT NULL,"
    " location INTEGER NOT NULL, time TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS metadata_changes (id INTEGER PRIMARY KEY AUTOINCREMENT, entry INTEGER,"
    " photo_id TEXT NOT NULL, command TEXT NOT NULL, time TEXT NOT NULL, changed TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS metadata_changes_photo ON metadata_changes (photo_id, id)",
)
Changed = dict[str, dict[str, Any]]  # FIELD -> {"from", "to"}


class MetadataState:
    """The metadata tables of one journal file; reads of a journal not written yet find nothing."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def ours(self, photo_id: str) -> Ours:
        row = self._read("SELECT tags, location FROM metadata_ours WHERE photo_id = ?", photo_id)
        return Ours(tuple(json.loads(row[0])), bool(row[1])) if row else Ours()

    def undone(self, photo_id: str, backup: str) -> Changed | None:
        """The change made by the send whose backup `backup` is (what an undo sending it puts back)."""
        row = self._read("SELECT c.changed FROM metadata_changes c JOIN entries e ON e.id = c.entry"
                         " WHERE c.photo_id = ? AND e.backup = ? ORDER BY c.id DESC LIMIT 1", photo_id, backup)
        return json.loads(row[0]) if row else None

    def command_of(self, entry: int) -> str | None:
        """The journal's word for an entry (`replace`, `undo`, ...): a resumed ticket's command."""
        row = self._read("SELECT command FROM entries WHERE id = ?", entry)
        return str(row[0]) if row else None

    def record(self, photo_id: str, entry: int | None, command: str, changed: Changed, ours: Ours) -> None:
        """One change (its fields' before and after) and what this tool has set on the photo since."""
        try:
            with self.journal.transaction() as db:
                for statement in _TABLES:
                    db.execute(statement)
                if changed:
                    db.execute("INSERT INTO metadata_changes (entry, photo_id, command, time, changed)"
                               " VALUES (?, ?, ?, ?, ?)",
                               (entry, photo_id, command, utc_now(), json.dumps(changed, ensure_ascii=False)))
                db.execute("INSERT OR REPLACE INTO metadata_ours (photo_id, tags, location, time) VALUES (?, ?, ?, ?)",
                           (photo_id, json.dumps(list(ours.tags), ensure_ascii=False), int(ours.location), utc_now()))
        except (OSError, sqlite3.Error) as exc:
            raise self._unavailable("written", exc) from None

    def _read(self, sql: str, *args: Any) -> tuple | None:
        if not self.journal.path.exists():
            return None
        try:
            with self.journal.reading() as db:
                if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'metadata_ours'").fetchone() is None:
                    return None
                row = db.execute(sql, args).fetchone()
        except (OSError, sqlite3.Error) as exc:
            raise self._unavailable("read", exc) from None
        return tuple(row) if row else None

    def _unavailable(self, how: str, exc: Exception) -> JournalUnavailable:
        return JournalUnavailable(f"the journal {self.journal.path} cannot be {how} "
                                  f"({getattr(exc, 'strerror', None) or exc})")
