"""Stage 11, wait for the ticket: the scheduler polls every pending ticket together; this turns one
ticket's final state into the file's result."""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from ..flickr.responses import Ticket, TicketState
from ..result import Origin, ReplaceResult, ResultError
from .landed import fill_secrets, replaced, uploaded

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger("flickr_replace.core")


def wait_for_ticket(result: ReplaceResult, state: TicketState | None, started: float,
                    services: "Services") -> ReplaceResult:
    """`state` None means the wait timed out: the result stays pending.

    :param started: when the file's work began, for `elapsed_s`."""
    timeout = services.options.timeout
    if state is None:
        log.info("%s: ticket %s still waiting after %.0f s", result.path, result.ticket_id, timeout)
        if result.ticket_unsaved:
            result.warnings.append(f"ticket {result.ticket_id} was still being processed after {timeout:.0f} s, "
                                   f"and it is not saved: check photo {result.photo_id or '(new)'} on flickr.com "
                                   "later; `flickr-replace tickets` cannot finish it")
        return result
    done = state.status is Ticket.DONE
    if done and result.photo_id is None and state.photo_id:
        uploaded(result, state.photo_id, services)
    elif done and state.photo_id and state.photo_id != result.photo_id:
        result.fail(ResultError(f"ticket {result.ticket_id} finished photo {state.photo_id}, not {result.photo_id}: "
                                "check both on flickr.com", origin=Origin.FLICKR))
    elif done:
        fill_secrets(result, services)
        replaced(result, services)
    elif state.status is Ticket.FAILED:
        result.fail(ResultError.flickr(3, f"Flickr could not process the replacement (ticket {result.ticket_id}): "
                                          "try again; if it fails again, export the file again"))
    else:
        result.fail(ResultError.flickr(3, f"Flickr does not know ticket {result.ticket_id} (invalid)"))
    result.elapsed_s = time.monotonic() - started
    log.info("%s: ticket %s finished: %s", result.path, result.ticket_id, result.status.value)
    return result

