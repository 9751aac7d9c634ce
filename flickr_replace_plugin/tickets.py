"""Async tickets: the saved list that outlives a run, and the poller that batches checkTickets."""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .fsutil import atomic_write, file_lock
from .flickr.responses import FlickrFailure, TicketState, parse_tickets
from .result import ReplaceResult, Status

log = logging.getLogger("flickr_replace.tickets")
FIRST_POLL = 1.0
MAX_INTERVAL = 10.0
TICKETS_PER_CALL = 1000
STORE_NAME = "tickets.json"


class TicketStore:
    """Pending tickets in the user state dir, rewritten atomically on every change.

    Changes made at once by several workers share one write, and a lock file keeps two runs
    (a host starting the command per photo) from losing each other's tickets.
    """

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / STORE_NAME
        self.lock = threading.Lock()  # one writer at a time in this process
        self._queued_lock = threading.Lock()
        self._queued: list[Callable[[dict[str, dict[str, Any]]], None]] = []
        self._version = self._saved = 0

    def load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("ticket state %s is unreadable; starting afresh", self.path)
            return {}
        tickets = data.get("tickets") if isinstance(data, dict) else None
        return {str(k): v for k, v in tickets.items() if isinstance(v, dict)} if isinstance(tickets, dict) else {}

    def _update(self, change: Callable[[dict[str, dict[str, Any]]], None]) -> None:
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
                    tickets = self.load()
                    for queued in changes:
                        queued(tickets)
                    atomic_write(self.path, json.dumps({"version": 1, "tickets": tickets}, indent=1))
            except BaseException:
                with self._queued_lock:  # not written: the next write carries them
                    self._queued[:0] = changes
                raise
            self._saved = version

    def add(self, result: ReplaceResult) -> None:
        entry = result.to_dict()
        entry["saved_at"] = time.time()
        entry["journal"] = result.extra.get("journal")  # its journal entry, completed by whoever finishes it
        self._update(lambda t: t.__setitem__(result.ticket_id, entry))

    def remove(self, *ticket_ids: str) -> None:
        if ticket_ids:
            self._update(lambda t: [t.pop(tid, None) for tid in ticket_ids])


def result_from_saved(entry: dict[str, Any]) -> ReplaceResult:
    return ReplaceResult(
        path=str(entry.get("path")), photo_id=entry.get("photo_id"), source=entry.get("source"),
        status=Status.PENDING, ticket_id=entry.get("ticket_id"), attempts=int(entry.get("attempts") or 0),
        bytes=entry.get("bytes"), previous=entry.get("previous"), backup=entry.get("backup"),
        sha256=entry.get("sha256"), warnings=list(entry.get("warnings") or []),
        extra={"journal": entry["journal"]} if isinstance(entry.get("journal"), int) else {},
    )


@dataclass
class _Waiting:
    result: ReplaceResult
    started: float
    next_poll: float
    interval: float = FIRST_POLL


@dataclass
class TicketPoller:
    """Polls every waiting ticket of the run in one checkTickets call per round, backing off to 10 s."""

    check: Callable[[list[str]], dict]
    timeout: float
    waiting: dict[str, _Waiting] = field(default_factory=dict)
    calls: int = 0

    def add(self, result: ReplaceResult, started: float | None = None, first_poll: float = FIRST_POLL) -> None:
        now = time.monotonic()
        self.waiting[result.ticket_id] = _Waiting(result, started or now, now + first_poll)

    def __bool__(self) -> bool:
        return bool(self.waiting)

    def seconds_until_due(self) -> float:
        if not self.waiting:
            return float("inf")
        return max(0.0, min(w.next_poll for w in self.waiting.values()) - time.monotonic())

    def poll(self) -> list[tuple[ReplaceResult, TicketState | None, float]]:
        """One round: finished tickets with their state, timed-out ones with None, each with the
        time its file's work began."""
        ids = list(self.waiting)
        states: dict[str, TicketState] = {}
        try:
            for i in range(0, len(ids), TICKETS_PER_CALL):
                self.calls += 1
                states.update(parse_tickets(self.check(ids[i:i + TICKETS_PER_CALL])))
        except FlickrFailure as exc:  # checkTickets itself failed: ask again later, until the timeout
            log.warning("checking tickets failed: %s", exc.error.message)
        now = time.monotonic()
        done: list[tuple[ReplaceResult, TicketState | None, float]] = []
        for tid in ids:
            w = self.waiting[tid]
            state = states.get(tid)
            if state is not None and state.done:
                done.append((self.waiting.pop(tid).result, state, w.started))
            elif now - w.started >= self.timeout:
                done.append((self.waiting.pop(tid).result, None, w.started))
            else:
                w.interval = min(w.interval * 2, MAX_INTERVAL)
                w.next_poll = min(now + w.interval, w.started + self.timeout)
        return done
