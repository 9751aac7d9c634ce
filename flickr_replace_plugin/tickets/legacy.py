"""The `tickets.json` an earlier version kept: imported into the journal once, then moved aside
as `tickets.json.imported-STAMP`, so nothing reads or writes it again."""
from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from . import rows
from .recovery import describe, move_aside, read_tickets

log = logging.getLogger("flickr_replace.tickets")
LEGACY_NAME = "tickets.json"


def import_legacy(db: sqlite3.Connection, path: Path) -> Path | None:
    """In the caller's write transaction (which keeps two processes from importing it both): every
    ticket still readable goes on its journal entry, then the file is moved aside whole; the copy's
    path, or None when there is no file. Raises OSError when it cannot be read or moved, and then
    the caller's transaction is rolled back: nothing is imported twice."""
    if not os.path.lexists(path):
        return None
    read = read_tickets(path)
    for tid, entry in read.tickets.items():
        if not rows.is_saved(db, tid):
            journal = entry.get("journal")
            rows.save(db, entry, journal if isinstance(journal, int) else None, entry.get("claim"))
    aside = move_aside(path, "imported")
    if read.needs_warning:
        log.warning("%s", describe(path, read, aside))
    else:
        log.info("imported %d saved ticket(s) from %s (written by an earlier version) into the journal; "
                 "the file is kept as %s and may be deleted", len(read.tickets), path, aside)
    return aside
