"""Putting a backup back, when Flickr may have taken a body that was not one whole version."""
from __future__ import annotations

import logging
from typing import Any

from ..flickr.responses import FlickrFailure
from ..formats.sniff import CONTENT_TYPES, SNIFF_BYTES, sniff_format
from ..result import ReplaceResult, ResultError

log = logging.getLogger("flickr_replace.safety")


def put_back(safety: Any, result: ReplaceResult) -> ResultError | None:
    """Replace the photo with its backup (sync, journalled as `restore`); None when it went back.

    Where the mixed upload was async, its ticket may still be processing on Flickr; which of two
    replaces Flickr finishes last is not documented, so this one is sync: Flickr answers once it
    holds the backup. (The sandbox applies replaces in the order they arrive.)"""
    from .versions import Attempt

    backup = result.backup or ""
    with open(backup, "rb") as fh:
        kind = sniff_format(fh.read(SNIFF_BYTES)) or ""
    entry = safety.journal.begin(path=backup, photo_id=result.photo_id, command="restore", backup=None,
                                 previous=None)
    sent = Attempt()
    try:
        answer = safety.retrying(lambda: safety.client().upload_file(
            backup, {"photo_id": result.photo_id or "", "async": "0"},
            content_type=CONTENT_TYPES.get(kind, "application/octet-stream"), watch=sent))
    except FlickrFailure as exc:
        safety.journal.finish(entry, "failed")
        return exc.error
    safety.journal.finish(entry, "replaced", sha256=sent.sha256, secret=answer.secret,
                          originalsecret=answer.originalsecret)
    log.warning("photo %s: the previous original was put back from %s", result.photo_id, backup)
    return None
