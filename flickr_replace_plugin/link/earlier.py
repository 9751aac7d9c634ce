"""The photo an upload whose answer never came made, if any: among the user's uploads since it
was journalled, the one with the title it sent and the file's date taken.

Title, date taken and the upload time window are the evidence; the picture only breaks a tie
between several such photos (a burst saved under one name). A photo this tool already knows as
another file's (the journal names it) is never taken for it.
"""
from __future__ import annotations

import calendar
import logging
from datetime import datetime
from typing import Any, Callable

from .cache import Listed, from_flickr

log = logging.getLogger("flickr_replace.link")
PER_PAGE = 100  # a small page: only the uploads since the entry was written are asked for
SLACK_S = 300  # clocks differ: Flickr's upload time may be a little before the journal's
EXTRAS = "date_taken,date_upload,o_dims,url_s"
Page = Callable[..., dict]  # (method, page, per_page, extras, **params) -> Flickr's `photos` object


def since(journal_time: str) -> int:
    """A journal time (ISO, UTC) as the Unix time to search from, a little before it."""
    stamp = datetime.fromisoformat(journal_time.replace("Z", "+00:00"))
    return max(0, calendar.timegm(stamp.utctimetuple()) - SLACK_S)


def recent_uploads(page: Page, after: int) -> list[Listed]:
    """The user's photos uploaded since `after` (Unix time), newest first: one small page."""
    answer = page("flickr.people.getPhotos", 1, PER_PAGE, EXTRAS, user_id="me", min_upload_date=str(after))
    return [Listed(*row[:6], secret=row[7]) for row in (from_flickr(item) for item in answer.get("photo") or [])]


def made_by(uploads: list[Listed], title: str, taken: str | None, known: Callable[[str], bool],
            picture: Any = None, small: Callable[[Listed], Any] | None = None) -> list[Listed]:
    """The uploads that are this file's: same title and date taken, not another file's photo;
    several left are narrowed to those showing the same picture (when it can be compared)."""
    found = [p for p in uploads if p.title.casefold() == title.casefold() and p.taken == taken
             and not known(p.photo_id)]
    if len(found) > 1 and picture is not None and small is not None:
        from ..safety.picture import compare

        alike = [p for p in found if (theirs := small(p)) is not None and compare(picture, theirs).similar]
        found = alike or found
    return found
