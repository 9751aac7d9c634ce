"""What the account answers that does not change within a token's life, remembered in the state
store so a one-file run need not ask again: the user's nsid (flickr.test.login) for good, the
upload limit (flickr.people.getUploadStatus) for a short while (an upgraded account's new limit
shows within `LIMIT_TTL_S`; a stale higher one only lets Flickr refuse the file itself).

Rows are keyed by a hash of the API address and the token, never the token. The memory is a
convenience: a state folder that cannot be read or written just means the questions are asked.
"""
from __future__ import annotations

import hashlib
import logging
import sqlite3
import time

from .journal import Journal

log = logging.getLogger("flickr_replace.safety")
LIMIT_TTL_S = 15 * 60
_SCHEMA = ("CREATE TABLE IF NOT EXISTS account (key TEXT PRIMARY KEY, nsid TEXT, max_bytes INTEGER, "
           "limit_time REAL)")


def account_key(api_url: str, token: str) -> str:
    return hashlib.sha256(f"{api_url}\n{token}".encode("utf-8", "surrogateescape")).hexdigest()


class AccountMemory:
    """One token's remembered answers in `journal.sqlite`."""

    def __init__(self, journal: Journal, api_url: str, token: str, *, write: bool = True) -> None:
        """:param journal: the run's journal, whose file (set up once, WAL, busy wait) holds the rows.
        :param write: False for a run that must leave the state folder as it found it (a dry run)."""
        self.journal, self.path = journal, journal.path
        self.key = account_key(api_url, token)
        self.write = write

    def _row(self) -> tuple[str | None, int | None, float | None]:
        try:
            if not self.path.exists():
                return None, None, None
            with self.journal.reading() as db:
                db.execute(_SCHEMA)
                row = db.execute("SELECT nsid, max_bytes, limit_time FROM account WHERE key = ?",
                                 (self.key,)).fetchone()
        except (OSError, sqlite3.Error) as exc:
            log.debug("the remembered account answers cannot be read: %s", exc)
            return None, None, None
        return row if row else (None, None, None)

    def nsid(self) -> str | None:
        return self._row()[0]

    def max_bytes(self) -> tuple[bool, int | None]:
        """(known, limit): a limit remembered less than LIMIT_TTL_S ago (None: no limit given)."""
        _, limit, at = self._row()
        fresh = at is not None and 0 <= time.time() - at < LIMIT_TTL_S
        return fresh, (limit if fresh else None)

    def remember(self, *, nsid: str | None = None, limit: tuple[int | None] | None = None) -> None:
        """Stores the nsid and/or the limit (a 1-tuple, since the limit itself may be None)."""
        if not self.write:
            return
        try:
            with self.journal.transaction() as db:
                db.execute(_SCHEMA)
                db.execute("INSERT OR IGNORE INTO account (key) VALUES (?)", (self.key,))
                if nsid is not None:
                    db.execute("UPDATE account SET nsid = ? WHERE key = ?", (nsid, self.key))
                if limit is not None:
                    db.execute("UPDATE account SET max_bytes = ?, limit_time = ? WHERE key = ?",
                               (limit[0], time.time(), self.key))
        except (OSError, sqlite3.Error) as exc:
            log.debug("the account's answers cannot be remembered: %s", exc)
