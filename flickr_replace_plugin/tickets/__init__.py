"""Async tickets: saved on their journal entries so they outlive a run (store, rows), imported once
from an earlier version's `tickets.json` (legacy), recovered from it when damaged (recovery),
claimed by the one run that finishes each (claims), and polled in batches (poller)."""
from .poller import FIRST_POLL, MAX_INTERVAL, TICKETS_PER_CALL, TicketPoller
from .store import STORE_NAME, TicketStore, held_by, result_from_saved, unsaved

__all__ = ["FIRST_POLL", "MAX_INTERVAL", "STORE_NAME", "TICKETS_PER_CALL", "TicketPoller", "TicketStore",
           "held_by", "result_from_saved", "unsaved"]
