"""A saved ticket is part of the journal entry of the upload that got it: the pending result as
JSON (`ticket`, NULL once finished), its `ticket_id`, and the claim of the run finishing it.
Every function works in the caller's write transaction."""
from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any, Iterable

from ..result import Status
from ..safety.journal import SENDING, add_entry

log = logging.getLogger("flickr_replace.tickets")
Entry = dict[str, Any]
_NOT_SAVED = ("claim", "journal")  # kept in their own column, or the entry's id itself


def save(db: sqlite3.Connection, entry: Entry, entry_id: int | None, claim: dict[str, Any] | None) -> int:
    """Save the ticket on its journal entry (now `pending`: Flickr has the bytes), or on a new
    entry when its upload was not journalled (or that entry holds another ticket); the entry's id."""
    tid = entry["ticket_id"]
    ticket = json.dumps({k: v for k, v in entry.items() if k not in _NOT_SAVED})
    held = json.dumps(claim) if claim is not None else None
    if entry_id is not None and db.execute(
            "UPDATE entries SET ticket_id = ?, ticket = ?, claim = ?,"
            " status = CASE status WHEN ? THEN ? ELSE status END"
            " WHERE id = ? AND (ticket_id IS NULL OR ticket_id = ?)",
            (tid, ticket, held, SENDING, Status.PENDING.value, entry_id, tid)).rowcount:
        return entry_id
    photo_id = entry.get("photo_id")
    new = add_entry(db, path=entry.get("path"), photo_id=photo_id, command="replace" if photo_id else "upload",
                    status=Status.PENDING.value, sha256=entry.get("sha256"), backup=entry.get("backup"),
                    previous=entry.get("previous"), size=entry.get("bytes"))
    db.execute("UPDATE entries SET ticket_id = ?, ticket = ?, claim = ? WHERE id = ?", (tid, ticket, held, new))
    return new


def is_saved(db: sqlite3.Connection, ticket_id: str) -> bool:
    return db.execute("SELECT 1 FROM entries WHERE ticket_id = ? AND ticket IS NOT NULL",
                      (ticket_id,)).fetchone() is not None


def waiting(db: sqlite3.Connection) -> list[tuple[int, Entry]]:
    """Every saved ticket, oldest first, as (entry id, entry with its `claim` and `journal` id)."""
    found: list[tuple[int, Entry]] = []
    for entry_id, tid, ticket, claim in db.execute(
            "SELECT id, ticket_id, ticket, claim FROM entries WHERE ticket IS NOT NULL ORDER BY id"):
        try:
            entry = json.loads(ticket)
            entry.update(ticket_id=tid, journal=entry_id, claim=json.loads(claim) if claim else None)
        except (ValueError, TypeError, AttributeError):
            log.warning("journal entry %s holds ticket %s in a form that cannot be read: it is left as it is",
                        entry_id, tid)
            continue
        found.append((entry_id, entry))
    return found


def claims_of(db: sqlite3.Connection, ticket_ids: Iterable[str]) -> list[tuple[int, Any]]:
    """(entry id, claim) of each entry still holding one of these tickets."""
    found: list[tuple[int, Any]] = []
    for tid in ticket_ids:
        for entry_id, claim in db.execute("SELECT id, claim FROM entries WHERE ticket_id = ? AND ticket IS NOT NULL",
                                          (tid,)):
            try:
                found.append((entry_id, json.loads(claim) if claim else None))
            except ValueError:
                found.append((entry_id, None))
    return found


def set_claim(db: sqlite3.Connection, entry_id: int, claim: dict[str, Any]) -> None:
    db.execute("UPDATE entries SET claim = ? WHERE id = ?", (json.dumps(claim), entry_id))


def unsave(db: sqlite3.Connection, entry_id: int) -> None:
    """The ticket is finished: the entry keeps its `ticket_id` (history), no longer the ticket."""
    db.execute("UPDATE entries SET ticket = NULL, claim = NULL WHERE id = ?", (entry_id,))
