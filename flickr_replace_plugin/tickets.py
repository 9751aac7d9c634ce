"""Async tickets: the saved list that outlives a run, and the poller that batches checkTickets."""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .fsutil import atomic_write
from .responses import TicketState, parse_tickets
from .result import ReplaceResult, Status

log = logging.getLogger("flickr_replace.tickets")
FIRST_POLL = 1.0
MAX_INTERVAL = 10.0
TICKETS_PER_CALL = 1000
STORE_NAME = "tickets.json"


class TicketStore:
    """Pending tickets in the user state dir, rewritten atomically on every change."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / STORE_NAME
        self.lock = threading.Lock()

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
        with self.lock:
            tickets = self.load()
            change(tickets)
            atomic_write(self.path, json.dumps({"version": 1, "tickets": tickets}, indent=1))

    def add(self, result: ReplaceResult) -> None:
        entry = result.to_dict()
        entry["saved_at"] = time.time()
        self._update(lambda t: t.__setitem__(result.ticket_id, entry))

    def remove(self, ticket_id: str) -> None:
        self._update(lambda t: t.pop(ticket_id, None))


def result_from_saved(entry: dict[str, Any]) -> ReplaceResult:
    return ReplaceResult(
        path=str(entry.get("path")), photo_id=entry.get("photo_id"), source=entry.get("source"),
        status=Status.PENDING, ticket_id=entry.get("ticket_id"), attempts=int(entry.get("attempts") or 0),
        bytes=entry.get("bytes"),
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

    def poll(self) -> list[tuple[ReplaceResult, TicketState | None]]:
        """One round. Returns finished tickets with their state, and timed-out ones with None."""
        ids = list(self.waiting)
        states: dict[str, TicketState] = {}
        for i in range(0, len(ids), TICKETS_PER_CALL):
            self.calls += 1
            states.update(parse_tickets(self.check(ids[i:i + TICKETS_PER_CALL])))
        now = time.monotonic()
        done: list[tuple[ReplaceResult, TicketState | None]] = []
        for tid in ids:
            w = self.waiting[tid]
            state = states.get(tid)
            if state is not None and state.done:
                done.append((self.waiting.pop(tid).result, state))
            elif now - w.started >= self.timeout:
                done.append((self.waiting.pop(tid).result, None))
            else:
                w.interval = min(w.interval * 2, MAX_INTERVAL)
                w.next_poll = min(now + w.interval, w.started + self.timeout)
        return done

    def backoff_all(self) -> None:
        """After a failed round (checkTickets itself failing), wait before asking again."""
        now = time.monotonic()
        for w in self.waiting.values():
            w.interval = min(w.interval * 2, MAX_INTERVAL)
            w.next_poll = now + w.interval
