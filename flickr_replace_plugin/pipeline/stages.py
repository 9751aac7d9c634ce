"""Every stage of one file's replace, in order: the one place that lists them.

A file goes through UPLOAD on a worker until a stage ends it (an error, a skip, Flickr's answer).
A pending ticket then waits for the scheduler's poll (WAIT); every final result goes through
AFTER as it is handed on. Each stage gets what it needs from the run's `Services`."""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Callable

from ..errors import JournalUnavailable, PluginError
from ..flickr.responses import FlickrFailure
from ..result import ReplaceResult, ResultError
from .after import after_hooks, journal
from .context import FileRun, Stage
from .local import before_hooks, caller_check, duplicate_guard, local_checks
from .metadata import metadata_only, plan_metadata
from .remote import backup, picture_check, target_check, unchanged
from .resolve import resolve
from .send import send, send_early
from .ticket import wait_for_ticket

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger("flickr_replace.core")

UPLOAD: tuple[Stage, ...] = (
    resolve,          # which photo: the caller's id, sidecars, XMP, EXIF, IPTC, plugins, file name
    local_checks,     # the file is an image Flickr takes, its id is known, it fits the size limit
    before_hooks,     # a plugin's veto
    caller_check,     # the caller's id against the file's own (a warning)
    duplicate_guard,  # a new photo already on Flickr; two paths naming one photo
    target_check,     # the photo exists, is the user's, is a photo
    send_early,       # its body starts out beside the checks below; its last bytes wait for them
    picture_check,    # it looks like this file
    metadata_only,    # --metadata-only: no picture sent, only the file's metadata onto the photo
    unchanged,        # it does not hold these very bytes already
    backup,           # its current original, saved whole
    plan_metadata,    # what the file's title, tags, dates and place change (made once it has landed)
    send,             # the upload (journalled first): a final answer, or a ticket
)
WAIT = wait_for_ticket  # a pending ticket's final state, polled by the scheduler with all the others
AFTER: tuple[Callable[[ReplaceResult, "Services"], None], ...] = (journal, after_hooks)
STAGES = (*UPLOAD, WAIT, *AFTER)


def upload(path: str, services: "Services", opened: Callable[[ReplaceResult], None] | None = None) -> ReplaceResult:
    """Every stage up to the upload's answer; never raises for a per-file problem. `opened` is
    given the file's result as the stages fill it in (what an interruption can still tell)."""
    started = time.monotonic()
    file = FileRun.open(path)
    if opened is not None:
        opened(file.result)
    try:
        _through(file, services)
    except Exception as exc:
        file.result.fail(_failure(path, exc))
    finally:
        file.close()
    file.result.elapsed_s = time.monotonic() - started
    return file.result


def _through(file: FileRun, services: "Services") -> None:
    for stage in UPLOAD:
        outcome = stage(file, services)
        if isinstance(outcome, ResultError):
            file.result.fail(outcome)
        if outcome is not None:
            return


def _failure(path: str, exc: Exception) -> ResultError:
    """What stopped a file's stages by raising: this file fails, the batch goes on."""
    if isinstance(exc, PluginError):  # a before_replace plugin that raised stops this file like a veto
        return ResultError.refusal("vetoed", f"{exc}; fix or remove that plugin (`flickr-replace plugins` lists them)")
    if isinstance(exc, FlickrFailure):
        return exc.error
    if isinstance(exc, JournalUnavailable):  # before the upload: nothing was sent
        return ResultError.refusal("journal_failed", f"{path} was not sent: {exc}")
    if isinstance(exc, OSError):
        return ResultError.refusal("no_file", f"cannot read {path}: {exc.strerror or exc} "
                                              "(check that it exists and that you may read it)")
    log.debug("unexpected error replacing %s", path, exc_info=exc)  # a bug or a library's surprise
    return ResultError(f"unexpected {type(exc).__name__} while replacing {path} (a bug: run again "
                       "with -vv to see where, and report it)")


def after(result: ReplaceResult, services: "Services") -> ReplaceResult:
    for stage in AFTER:
        stage(result, services)
    return result
