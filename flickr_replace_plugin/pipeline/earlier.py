"""A file becomes at most one new photo: before a new upload, the photo an earlier attempt made.

Where an earlier attempt is known from: this run (an identical file sent first), the journal
(an upload of these bytes or of this source image, by an earlier run: landed, waiting on its
ticket, or with no answer at all) and, for an upload with no answer, the user's recent uploads.
A photo found holding these bytes is the result (`uploaded`, not sent again); one found for the
same source image holding an earlier version is replaced instead of a second photo uploaded; a
photo deleted on Flickr since is no obstacle.
"""
from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any

from ..flickr.responses import FlickrFailure, Ticket, parse_tickets
from ..result import Origin, ResultError, Status
from ..safety.journal import SENDING, WHOLE_SENT
from ..safety.targets import NOT_FOUND_CODES
from ..safety.versions import file_sha256
from ..link.earlier import SLACK_S, since
from .context import FileRun, Outcome
from .landed import record_new, uploaded
from .origin import source_image

if TYPE_CHECKING:
    from ..link.cache import Listed
    from .services import Services

log = logging.getLogger("flickr_replace.core")
UNANSWERED = (SENDING, WHOLE_SENT, "failed")  # an upload whose answer never came (killed, cut off, lost)
# How long after a whole body went out with no answer Flickr may still be processing it: until
# then a rerun that finds no photo waits rather than risk a second one (the safer reading; Flickr
# does not say how long processing may take).
WHOLE_SENT_GRACE_S = 300
SEARCH_DELAYS_ASYNC = (0.0, 1.0, 2.0)  # an async upload's photo shows once its ticket is processed
TICKET_POLL_S = 0.5
_STILL_PENDING = "pending"


def earlier_upload(file: FileRun, services: "Services") -> Outcome:
    """The photo an earlier attempt made of this file, instead of a second one (None: upload it)."""
    if not file.new or not services.remote:
        return None
    if file.expected_sha256 is None:  # hashed once; the send checks it went out as this version
        file.expected_sha256 = file_sha256(file.file.file)
    first = services.same_bytes.first(file.expected_sha256, file)
    if first is not None:
        outcome = _same_as(first, file, services)
        if outcome is not None:
            return outcome
    source = source_image(file.path, services.options.metadata) or file.path
    entries = services.journal.uploads_of(file.expected_sha256, source)
    unanswered = [since(e["time"]) for e in entries if e["status"] in UNANSWERED]
    lost = Lost(file, services, min(unanswered)) if unanswered else None
    for entry in entries:
        found = _photo_of(entry, services, lost, same_source=_same_path(entry["source"], source))
        if isinstance(found, ResultError):
            return found
        if found == "":  # deleted on Flickr since: upload it again
            return None
        if found is not None:
            return _landed(file, services, found, entry)
    return None


def _same_path(a: str | None, b: str) -> bool:
    return bool(a) and os.path.abspath(a or "") == os.path.abspath(b)


def _same_as(first: FileRun, file: FileRun, services: "Services") -> Outcome:
    """The second of two identical files of a run: the first's photo, or nothing sent twice."""
    result, theirs = file.result, first.result
    if theirs.status is Status.UPLOADED and theirs.photo_id:
        return found_photo(file, services, theirs.photo_id, f"as {first.path}, in this run")
    if theirs.status is Status.PENDING and theirs.ticket_id:
        result.status = Status.SKIPPED
        result.error = ResultError.refusal("duplicate_file", (
            f"{file.path} holds the same bytes as {first.path}, which this run uploads (ticket {theirs.ticket_id}): "
            f"not uploaded twice; {first.path}'s result names the new photo"))
        return result
    return None  # the first failed or was refused: this one goes its own way (the journal has the first's try)


def found_photo(file: FileRun, services: "Services", photo_id: str, how: str) -> Outcome:
    """The file's bytes are on Flickr already as `photo_id`: that is the result, nothing is sent."""
    result = file.result
    message = f"already uploaded as photo {photo_id} {how}; not uploaded again"
    if services.options.dry_run:
        result.status, result.photo_id = Status.DRY_RUN, photo_id
        result.warnings.append(message.replace("not uploaded again", "would not upload it again"))
        return result
    result.sha256 = file.expected_sha256
    result.warnings.append(message)
    uploaded(result, photo_id, services)
    return result


def _landed(file: FileRun, services: "Services", photo_id: str, entry: dict[str, Any]) -> Outcome:
    """An earlier run's photo of this file: these bytes (the result), or an earlier version (replaced)."""
    if entry["sha256"] == file.expected_sha256:
        if not services.options.dry_run:  # completed with the photo's secrets: skip-unchanged knows it
            file.result.journal_entry = entry["id"]
        return found_photo(file, services, photo_id, "by an earlier run")
    if not services.options.dry_run:
        if entry["status"] != "uploaded":
            services.journal.finish(entry["id"], "uploaded", photo_id=photo_id)
        record_new(file.result, photo_id, services)
    file.result.photo_id = photo_id  # from here on a replace of that photo
    file.result.warnings.append(f"{entry['source']} was uploaded as photo {photo_id} by an earlier run: "
                                "that photo is replaced, not a second one uploaded")
    return None


def _photo_of(entry: dict[str, Any], services: "Services", lost: "Lost | None",
              same_source: bool) -> str | ResultError | None:
    """The photo an earlier upload made: its id; "" when it was deleted since; None when it made
    none (or this entry cannot say); a refusal when it cannot be known yet."""
    status = entry["status"]
    if status == "uploaded" and entry["photo_id"]:
        if not same_source:  # a copy of a file uploaded before: the duplicate guard names that photo
            return None
        return entry["photo_id"] if _exists(entry["photo_id"], services) else ""
    if status == "pending" and entry["ticket_id"]:
        return _ticket_photo(entry, services)
    if status in UNANSWERED and lost is not None:
        return lost.photo(entry)
    return None


def _exists(photo_id: str, services: "Services") -> bool:
    """Still on Flickr (unknown counts as there); a photo deleted since is forgotten by the photo list."""
    try:
        services.retry(lambda: services.client().photo_info(photo_id))
        return True
    except FlickrFailure as exc:
        if exc.error.code not in NOT_FOUND_CODES:
            return True
    services.guard().forget(photo_id)
    return False


def _ticket_photo(entry: dict[str, Any], services: "Services") -> str | ResultError | None:
    """An earlier upload still waiting on its ticket: its photo once Flickr has processed it."""
    ticket_id = entry["ticket_id"]
    deadline = time.monotonic() + services.options.timeout
    while True:
        answer = services.retry(lambda: services.client().check_tickets([ticket_id]))
        state = parse_tickets(answer).get(ticket_id)
        if state is None or state.status in (Ticket.FAILED, Ticket.INVALID):
            return None
        if state.status is Ticket.DONE and state.photo_id:
            if not services.options.dry_run:
                services.journal.finish(entry["id"], "uploaded", sha256=entry["sha256"], photo_id=state.photo_id)
                _unsave(ticket_id, services)
            return state.photo_id
        if time.monotonic() >= deadline:
            return ResultError(f"an earlier upload of this file is still being processed by Flickr (ticket "
                               f"{ticket_id}): not uploaded again; run `flickr-replace tickets`, then this command "
                               "again", Origin.FLICKR, retryable=True, reason="earlier_upload_pending")
        time.sleep(TICKET_POLL_S)


def _unsave(ticket_id: str, services: "Services") -> None:
    try:
        services.store.remove(ticket_id)
    except OSError as exc:  # `flickr-replace tickets` finishes it later: the same photo, recorded again
        log.warning("could not mark ticket %s as finished: %s", ticket_id, exc)


class Lost:
    """Uploads that got no answer: the user's uploads since the oldest of them, asked once."""

    def __init__(self, file: FileRun, services: "Services", after: int) -> None:
        self.file, self.services, self.after = file, services, after
        self._found: list["Listed"] | None = None

    def photo(self, entry: dict[str, Any]) -> str | ResultError | None:
        age = time.time() - since(entry["time"]) - SLACK_S
        recent = entry["status"] == WHOLE_SENT and age < WHOLE_SENT_GRACE_S
        if self._found is None:
            self._found = search(self.file, self.services, self.after, SEARCH_DELAYS_ASYNC if recent else (0.0,))
        if not self._found and recent:
            return ResultError(f"an earlier upload of this file went out whole at {entry['time']} but its answer never "
                               "came, and Flickr may still be processing it: not uploaded again yet; run this command "
                               "again in a few minutes", Origin.FLICKR, retryable=True, reason="earlier_upload_pending")
        if len(self._found) <= 1:
            if self._found and not self.services.options.dry_run:
                self.services.journal.finish(entry["id"], "uploaded", photo_id=self._found[0].photo_id)
            return self._found[0].photo_id if self._found else None
        return ambiguous(self.file.path, self._found, entry["time"])


def ambiguous(path: str, found: list["Listed"], when: str) -> ResultError:
    ids = ", ".join(p.photo_id for p in found)
    return ResultError.refusal("probably_on_flickr", (
        f"an earlier upload of {path} ({when}) got no answer, and photos {ids} all look like it: not "
        f"uploaded again. Check them on flickr.com, then `flickr-replace replace --photo-id ID {path}`"))


def search(file: FileRun, services: "Services", after: int, delays: tuple[float, ...] = (0.0,)) -> list["Listed"]:
    """This file's uploads since `after` (Unix time) among the user's recent ones, asked after each
    of `delays` until some are found (an async upload's photo shows once its ticket is processed)."""
    from ..formats.datetaken import read_date_taken
    from ..link.earlier import made_by, recent_uploads
    from ..link.upload import upload_fields
    from ..safety.picture import picture_of

    title = upload_fields(file.path, services.config.privacy, source_image(file.path, services.options.metadata))["title"]
    taken = read_date_taken(file.path)

    def page(*args: Any, **params: str) -> dict:
        return services.client().photo_page(*args, **params)

    def known(photo_id: str) -> bool:
        return bool(services.journal.entries([photo_id]))

    def small(photo: "Listed") -> Any:
        return picture_of(services.retry(lambda: services.client().fetch(photo.url or ""))) if photo.url else None

    for delay in delays:
        time.sleep(delay)
        found = made_by(services.retry(lambda: recent_uploads(page, after)), title, taken, known,
                        picture_of(file.file.file), small)
        if found:
            return found
    return []
