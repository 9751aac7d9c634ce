"""The saved list of pending tickets that outlives a run: `tickets.json` in the user state dir."""
from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ..fsutil import atomic_write, file_lock
from ..result import ReplaceResult, Status
from .claims import RunClaim, describe_holder
from .recovery import Entry, describe, keep_aside, read_tickets

log = logging.getLogger("flickr_replace.tickets")
STORE_NAME = "tickets.json"
Tickets = dict[str, Entry]


class TicketStore:
    """Pending tickets in the user state dir, rewritten atomically on every change.

    Changes made at once by several workers share one write, and a lock file keeps two runs
    (a host starting the command per photo) from losing each other's tickets. A damaged file is
    kept aside before it is rewritten with what could be recovered from it; when even that copy
    cannot be written, nothing is written (the change fails with OSError).
    """

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / STORE_NAME
        self.claim = RunClaim(Path(directory))
        self.lock = threading.Lock()  # one writer at a time in this process
        self._queued_lock = threading.Lock()
        self._queued: list[Callable[[Tickets], None]] = []
        self._version = self._saved = 0
        self.sent: dict[str, ReplaceResult] = {}  # by path: the tickets this process saves, for an interruption

    def load(self) -> Tickets:
        """The saved tickets, every one still readable; a damaged file is set aside and repaired."""
        tickets: Tickets = {}
        self._update(tickets.update)
        return tickets

    def _read(self) -> tuple[Tickets, bool]:
        """Under the file lock: the tickets, and whether the file must be rewritten (it was damaged,
        and is now kept aside: said where, first)."""
        read = read_tickets(self.path)
        if read.needs_aside:
            aside = keep_aside(self.path, read.data)  # raises OSError: then the file is never rewritten
            log.warning("%s", describe(self.path, read, aside))
        return read.tickets, read.needs_aside

    def _update(self, change: Callable[[Tickets], None]) -> None:
        """Apply `change` and return once it is on disk, together with any changes queued meanwhile."""
        with self._queued_lock:
            self._queued.append(change)
            self._version += 1
            mine = self._version
        with self.lock:
            if self._saved >= mine:  # another thread's write carried this change
                return
            with self._queued_lock:
                changes, version, self._queued = self._queued, self._version, []
            try:
                with file_lock(self.path.with_name(STORE_NAME + ".lock")):
                    tickets, rewrite = self._read()
                    before = json.dumps(tickets, sort_keys=True)
                    for queued in changes:
                        queued(tickets)
                    if rewrite or json.dumps(tickets, sort_keys=True) != before:
                        atomic_write(self.path, json.dumps({"version": 1, "tickets": tickets}, indent=1))
            except BaseException:
                with self._queued_lock:  # not written: the next write carries them
                    self._queued[:0] = changes
                raise
            self._saved = version

    def add(self, result: ReplaceResult, claim: bool = True) -> None:
        """Save a ticket, claimed by this run when it waits for it (the claim ends with the run)."""
        entry = result.to_dict()
        entry["saved_at"] = time.time()
        entry["journal"] = result.journal_entry  # its journal entry, completed by whoever finishes it
        if claim:
            entry["claim"] = self.claim.hold()
        self.sent[result.path] = dataclasses.replace(result)
        try:
            self._update(lambda t: t.__setitem__(result.ticket_id, entry))
        except BaseException:
            self.sent.pop(result.path, None)
            raise

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
            self._update(lambda t: [t.pop(tid) for tid in ticket_ids
                                    if tid in t and self.claim.holder(t[tid].get("claim")) is None])

    def claim_saved(self) -> tuple[list[Entry], list[Entry]]:
        """Claim for this run every saved ticket no live run holds: (claimed, held by another run)."""
        claimed: list[Entry] = []
        held: list[Entry] = []

        def take(tickets: Tickets) -> None:
            claimed.clear()
            held.clear()
            record = self.claim.hold()
            for entry in tickets.values():
                if self.claim.holder(entry.get("claim")) is not None:
                    held.append(dict(entry))
                else:
                    entry["claim"] = record
                    claimed.append(dict(entry))

        self._update(take)
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
