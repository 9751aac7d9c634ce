"""The poller that batches checkTickets for every ticket a run waits on, backing off to 10 s."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from ..flickr.responses import FlickrFailure, TicketState, parse_tickets
from ..result import ReplaceResult

log = logging.getLogger("flickr_replace.tickets")
FIRST_POLL = 1.0
MAX_INTERVAL = 10.0
LAST_POLL = 1.0  # seconds the poll sent at a ticket's timeout may take
TICKETS_PER_CALL = 1000


@dataclass
class _Waiting:
    result: ReplaceResult
    started: float
    next_poll: float
    interval: float = FIRST_POLL


@dataclass
class TicketPoller:
    """Polls every waiting ticket of the run in one checkTickets call per round, backing off to 10 s."""

    check: Callable[[list[str], float], dict]
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

    def _until(self, batch: list[str]) -> float:
        """A poll ends by the first of its tickets' timeouts (the others are asked again next round),
        with a moment for the last poll, sent when the timeout is reached."""
        end = min(self.waiting[tid].started for tid in batch) + self.timeout
        return max(end, time.monotonic() + LAST_POLL)

    def poll(self) -> list[tuple[ReplaceResult, TicketState | None, float]]:
        """One round: finished tickets with their state, timed-out ones with None, each with the
        time its file's work began."""
        ids = list(self.waiting)
        states: dict[str, TicketState] = {}
        try:
            for i in range(0, len(ids), TICKETS_PER_CALL):
                self.calls += 1
                batch = ids[i:i + TICKETS_PER_CALL]
                states.update(parse_tickets(self.check(batch, self._until(batch))))
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
