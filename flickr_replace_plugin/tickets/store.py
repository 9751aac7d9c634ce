"""Pending tickets that outlive a run, kept in the journal's database (`journal.sqlite`): each
on the entry of the upload that got it, so `replace`, `tickets`, `history` and `undo` read one
store, with SQLite's locking between processes and its WAL against a kill at any moment."""
from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from ..result import ReplaceResult, Status
from ..safety.journal import FILENAME, Journal
from . import rows
from .claims import RunClaim, describe_holder
from .legacy import LEGACY_NAME, import_legacy
from .rows import Entry

log = logging.getLogger("flickr_replace.tickets")
STORE_NAME = FILENAME  # where the tickets live: `flickr-replace paths` shows it
Tickets = dict[str, Entry]


class TicketStore:
    """The saved tickets of one state dir. Every change is one SQLite write transaction: two runs
    (a host starting the command per photo) never lose each other's tickets. A `tickets.json` an
    earlier version left is imported on first use. Failures raise OSError (its text says why)."""

    def __init__(self, directory: Path) -> None:
        self.journal = Journal(directory)
        self.path = self.journal.path  # named in messages ("could not update PATH")
        self.legacy = Path(directory) / LEGACY_NAME
        self.claim = RunClaim(Path(directory))
        self.lock = threading.Lock()  # held while this process saves a ticket (`saved_for` waits on it)
        self._legacy_done = False
        self.sent: dict[str, ReplaceResult] = {}  # by path: the tickets this process saves, for an interruption

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            with self.journal.transaction() as db:
                yield db
        except sqlite3.Error as exc:
            raise OSError(str(exc)) from None

    @contextmanager
    def _writing(self, strict: bool) -> Iterator[sqlite3.Connection]:
        """A write transaction, once an earlier version's `tickets.json` is imported: `strict`, a file
        that cannot be imported fails the change; else it is said, and tried again next run."""
        if not self._legacy_done:
            try:
                with self._transaction() as db:
                    import_legacy(db, self.legacy)
                self._legacy_done = True
            except OSError as exc:
                if strict:
                    raise OSError(f"the tickets an earlier version saved in {self.legacy} cannot be imported "
                                  f"({exc.strerror or exc})") from None
                log.warning("could not import the tickets an earlier version saved in %s (%s): "
                            "`flickr-replace tickets` tries again", self.legacy, exc.strerror or exc)
        with self._transaction() as db:
            yield db

    def load(self) -> Tickets:
        """The saved tickets by id, each with its `claim` and `journal` entry."""
        with self._writing(strict=True) as db:
            return {entry["ticket_id"]: entry for _, entry in rows.waiting(db)}

    def add(self, result: ReplaceResult, claim: bool = True) -> None:
        """Save a ticket on its journal entry, claimed by this run when it waits for it (the claim
        ends with the run); an upload that was not journalled gets an entry now."""
        entry = result.to_dict()
        entry["saved_at"] = time.time()
        record = self.claim.hold() if claim else None
        self.sent[result.path] = sent = dataclasses.replace(result)
        try:
            with self.lock, self._writing(strict=False) as db:
                entry_id = rows.save(db, entry, result.journal_entry, record)
        except BaseException:
            self.sent.pop(result.path, None)
            raise
        result.journal_entry = sent.journal_entry = entry_id  # completed by whoever finishes it

    def saved_for(self, path: str, wait: float = 5.0) -> ReplaceResult | None:
        """The pending result whose ticket this process saved for `path`, once a write in flight is
        done: an upload that an interruption reached after Flickr gave its ticket is `pending` with
        that ticket, not cut off."""
        if path not in self.sent:
            return None
        if self.lock.acquire(timeout=wait):
            self.lock.release()
        return self.sent.get(path)

    def remove(self, *ticket_ids: str) -> None:
        """Unsave finished tickets; one that another run has claimed since is left to it."""
        if ticket_ids:
            with self._writing(strict=False) as db:
                for entry_id, claim in rows.claims_of(db, ticket_ids):
                    if self.claim.holder(claim) is None:
                        rows.unsave(db, entry_id)

    def claim_saved(self) -> tuple[list[Entry], list[Entry]]:
        """Claim for this run every saved ticket no live run holds: (claimed, held by another run)."""
        claimed: list[Entry] = []
        held: list[Entry] = []
        record = self.claim.hold()
        with self._writing(strict=True) as db:
            for entry_id, entry in rows.waiting(db):
                if self.claim.holder(entry["claim"]) is not None:
                    held.append(entry)
                else:
                    rows.set_claim(db, entry_id, record)
                    claimed.append({**entry, "claim": record})
        return claimed, held

    def release(self) -> None:
        """The run ends: its claims are free for the next `flickr-replace tickets`."""
        self.claim.release()


def result_from_saved(entry: Entry) -> ReplaceResult:
    """A saved (checked) entry as the pending result it was."""
    return ReplaceResult(
        path=str(entry.get("path")), photo_id=entry.get("photo_id"), source=entry.get("source"),
        status=Status.PENDING, ticket_id=entry.get("ticket_id"), attempts=int(entry.get("attempts") or 0),
        bytes=entry.get("bytes"), previous=entry.get("previous"), backup=entry.get("backup"),
        sha256=entry.get("sha256"), warnings=list(entry.get("warnings") or []),
        journal_entry=entry["journal"] if isinstance(entry.get("journal"), int) else None,
    )


def unsaved(result: ReplaceResult, where: Path, exc: OSError) -> None:
    """A ticket that could not be saved: the result says so, and this run waits for it (no later
    `flickr-replace tickets` would know it)."""
    result.ticket_unsaved = True
    result.warnings.append(f"ticket {result.ticket_id} could not be saved in {where} ({exc.strerror or exc}): "
                           "this run waits for it instead, as `flickr-replace tickets` cannot finish it later")
    log.warning("could not save ticket %s in %s: %s", result.ticket_id, where, exc.strerror or exc)


def held_by(result: ReplaceResult, claim: dict[str, Any], tell: Callable[[ReplaceResult, str], None] | None) -> None:
    """A saved ticket another live run is waiting on: left to that run, which prints its result."""
    who = describe_holder(claim)
    if tell is not None:
        tell(result, who)
    else:
        log.info("ticket %s (%s) is being finished by %s, which prints its result", result.ticket_id, result.path, who)
