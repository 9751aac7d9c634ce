"""A file that changed while it was sent: the verdict, and putting the backup back when Flickr may
have taken a body that was not one whole version."""
from __future__ import annotations

import logging
from typing import Callable

from ..flickr.responses import FlickrFailure, UploadAnswer
from ..formats.sniff import CONTENT_TYPES, SNIFF_BYTES, sniff_format
from ..result import ReplaceResult, ResultError
from .journal import Journal
from .versions import Attempt

log = logging.getLogger("flickr_replace.safety")
# (path, form fields, content type, the attempt's watch) -> Flickr's answer; retried by the caller
SendFile = Callable[[str, dict[str, str], str, Attempt], UploadAnswer]
ADVICE = "wait until the export has finished writing, then replace again"


def changed_verdict(result: ReplaceResult, why: str, taken: bool, journal: Journal, send_file: SendFile) -> ResultError:
    """The `changed_while_sending` refusal; where Flickr may hold the mixture, the backup goes back."""
    def refused(message: str) -> ResultError:
        return ResultError.refusal("changed_while_sending", f"{why}: {message}; {ADVICE}")

    if not taken:
        return refused("it was not sent whole, and Flickr did not take it; the photo is unchanged")
    if not result.backup:
        return refused("Flickr may hold a mixture of versions and there is no backup to put back (--no-backup)")
    restored = put_back(result.backup, result.photo_id or "", journal, send_file)
    if restored is None:
        return refused(f"Flickr may have taken a mixture of versions, so the previous original was put back "
                       f"from {result.backup}")
    return ResultError.refusal("changed_while_sending", f"{why}: Flickr may hold a mixture of versions, and "
                               f"putting back {result.backup} failed ({restored.message}); run "
                               f"`flickr-replace undo {result.photo_id}`, then {ADVICE}")


def put_back(backup: str, photo_id: str, journal: Journal, send_file: SendFile) -> ResultError | None:
    """Replace the photo with its backup (sync, journalled as `restore`); None when it went back.

    Where the mixed upload was async, its ticket may still be processing on Flickr; which of two
    replaces Flickr finishes last is not documented, so this one is sync: Flickr answers once it
    holds the backup. (The sandbox applies replaces in the order they arrive.)"""
    with open(backup, "rb") as fh:
        kind = sniff_format(fh.read(SNIFF_BYTES)) or ""
    entry = journal.begin(path=backup, photo_id=photo_id, command="restore", backup=None, previous=None)
    sent = Attempt()
    try:
        answer = send_file(backup, {"photo_id": photo_id, "async": "0"},
                           CONTENT_TYPES.get(kind, "application/octet-stream"), sent)
    except FlickrFailure as exc:
        journal.finish(entry, "failed")
        return exc.error
    journal.finish(entry, "replaced", sha256=sent.sha256, secret=answer.secret, originalsecret=answer.originalsecret)
    log.warning("photo %s: the previous original was put back from %s", photo_id, backup)
    return None
