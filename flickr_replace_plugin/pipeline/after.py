"""Stages 12 and 13, on every final result as it is handed on: the journal entry completed, then
the plugins' `after_replace`."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..result import ReplaceResult, ResultError, Status

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger("flickr_replace.core")


def journal(result: ReplaceResult, services: "Services") -> None:
    """Complete the journal entry with the outcome (a pending ticket stays `pending`)."""
    if result.status in (Status.REPLACED, Status.UPLOADED):
        services.account_changed = True
    entry = result.journal_entry
    if entry is None:
        return
    try:
        services.journal.finish(entry, result.status.value, sha256=result.sha256, secret=result.secret,
                                originalsecret=result.originalsecret, photo_id=result.photo_id)
    except Exception as exc:  # sqlite3.Error, OSError: the replace itself is done
        log.warning("could not complete the journal entry of %s: %s", result.path, exc)


def after_hooks(result: ReplaceResult, services: "Services") -> None:
    """The plugins see the final result; one that raised is logged (and names a failure's cause)."""
    log.info("%s: %s%s", result.path, result.status.value, f" ({result.error.message})" if result.error else "")
    for exc in services.plugins.after_replace(result):
        log.warning("%s", exc)
        if result.status is Status.FAILED and result.error is None:
            result.error = ResultError(str(exc))
