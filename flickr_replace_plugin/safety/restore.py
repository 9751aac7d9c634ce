"""A file that changed while it was sent: the verdict, and putting the backup back when Flickr may
have taken a body that was not one whole version."""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Callable

from ..flickr.responses import FlickrFailure, UploadAnswer
from ..formats.sniff import CONTENT_TYPES, SNIFF_BYTES, sniff_format
from ..result import Origin, ReplaceResult, ResultError
from .journal import Journal
from .versions import Attempt

log = logging.getLogger("flickr_replace.safety")
# One upload request: (path, form fields, content type, the attempt's watch) -> Flickr's answer
SendFile = Callable[[str, dict[str, str], str, Attempt], UploadAnswer]
ADVICE = "wait until the export has finished writing, then replace again"


@dataclass
class PutBack:
    """What putting a backup back needs: the journal, one upload request, the run's retry policy."""

    journal: Journal
    send_file: SendFile
    retry: Callable[[Callable[[], UploadAnswer]], UploadAnswer]


def changed_verdict(result: ReplaceResult, why: str, sent: Attempt, answered: bool, put: PutBack) -> ResultError:
    """The `changed_while_sending` refusal; where Flickr may hold the mixture, the backup goes back.

    Its origin is `local` only when no byte of the file went out; once Flickr may have taken the
    body (it answered, or got all of it) the photo was Flickr's business, put back or not."""
    taken = answered or sent.whole

    def refused(message: str, advice: str = ADVICE) -> ResultError:
        error = ResultError.refusal("changed_while_sending", f"{why}: {message}; {advice}")
        origin = Origin.FLICKR if taken else Origin.NETWORK if sent.read else Origin.LOCAL
        return dataclasses.replace(error, origin=origin)

    if not taken:
        return refused("it was not sent whole, and Flickr did not take it; the photo is unchanged")
    if not result.backup:
        return refused("Flickr may hold a mixture of versions and there is no backup to put back (--no-backup)")
    failed = put_back(result.backup, result, put)
    if failed is None:
        return refused(f"Flickr may have taken a mixture of versions, so the previous original was put back "
                       f"from {result.backup}")
    return refused(f"Flickr may hold a mixture of versions, and putting back {result.backup} failed "
                   f"({failed.message})", f"run `flickr-replace undo {result.photo_id}`, then {ADVICE}")


def put_back(backup: str, result: ReplaceResult, put: PutBack) -> ResultError | None:
    """Replace the photo with its backup (sync, journalled as `restore`, every request counted in
    the result's `attempts`); None when it went back.

    Where the mixed upload was async, its ticket may still be processing on Flickr; which of two
    replaces Flickr finishes last is not documented, so this one is sync: Flickr answers once it
    holds the backup. (The sandbox applies replaces in the order they arrive.)"""
    photo_id = result.photo_id or ""
    with open(backup, "rb") as fh:
        kind = sniff_format(fh.read(SNIFF_BYTES)) or ""
    entry = put.journal.begin(path=backup, photo_id=photo_id, command="restore", backup=None, previous=None)
    sent = Attempt()

    def once() -> UploadAnswer:
        nonlocal sent
        sent = Attempt()  # each request hashes its own bytes
        result.attempts += 1
        return put.send_file(backup, {"photo_id": photo_id, "async": "0"},
                             CONTENT_TYPES.get(kind, "application/octet-stream"), sent)

    try:
        answer = put.retry(once)
    except FlickrFailure as exc:
        put.journal.finish(entry, "failed")
        return exc.error
    put.journal.finish(entry, "replaced", sha256=sent.sha256, secret=answer.secret, originalsecret=answer.originalsecret)
    log.warning("photo %s: the previous original was put back from %s", photo_id, backup)
    return None
