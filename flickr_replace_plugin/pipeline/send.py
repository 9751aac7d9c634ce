"""Stage 10, send: the upload, journalled first and retried whole; a version that changed while it
was sent is never `replaced`. Flickr's answer makes the result pending (a ticket) or final."""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, BinaryIO, Callable

from ..flickr.responses import FlickrFailure, UploadAnswer
from ..result import Origin, ResultError, Status
from ..safety.restore import PutBack, changed_verdict
from ..link.earlier import SLACK_S
from ..safety.backup import BackupFailed
from ..safety.versions import Attempt, Versions
from ..tickets import unsaved
from .context import FileRun, Outcome
from .earlier import SEARCH_DELAYS_ASYNC, ambiguous, search
from .early import EarlySend, Positional, can_read_beside
from .landed import replaced, uploaded
from .local import fits
from .origin import source_image
from .remote import BACKUP, last_sent, undoing, will_send

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger("flickr_replace.core")


def send(file: FileRun, services: "Services") -> Outcome:
    result = file.result
    too_big = fits(file, services)  # the size of what goes out, whatever the plugins did to it
    if too_big is not None:
        return too_big
    if services.options.dry_run:
        result.status = Status.DRY_RUN
        return result
    answer = file.early.go() if file.early is not None else None
    if answer is None:
        answer = _send_whole(file, services, file.file.file)
    if answer.ticket_id:
        log.info("%s: sent; Flickr is processing it as ticket %s", file.path, answer.ticket_id)
        result.status, result.ticket_id = Status.PENDING, answer.ticket_id
        try:
            services.store.add(result, claim=services.options.wait)  # --no-wait: nothing here waits on it
        except OSError as exc:  # the upload went through: this run waits for it, whatever --no-wait says
            unsaved(result, services.store.path, exc)
        return result
    if file.new and answer.photo_id:
        uploaded(result, answer.photo_id, services)
    elif answer.photo_id and answer.photo_id != result.photo_id:
        result.fail(ResultError(f"Flickr answered for photo {answer.photo_id}, not {result.photo_id}: "
                                "check both on flickr.com", origin=Origin.FLICKR))
    else:
        result.secret, result.originalsecret = answer.secret, answer.originalsecret
        replaced(result, services)
    return result


def send_early(file: FileRun, services: "Services") -> Outcome:
    """A replace whose target passed its check has its body start out now, beside the picture
    check and the backup; its last bytes wait for their verdict (early.py). `send` lets it end."""
    if file.new or undoing(services) or file.info is None or not will_send(file, services, last_sent(file, services)):
        return None
    too_big = fits(file, services)  # a body that would be refused is not begun
    if too_big is not None or not can_read_beside():
        return too_big
    services.journal.writable()  # its entry comes once the checks pass: a body never begun without one
    early = file.early = EarlySend(services, file.result)
    source = Positional(file.file.file, early.refused)  # read beside the checks' own reads
    early.start(lambda hold: _send_whole(file, services, source, hold))  # type: ignore[arg-type]
    return None


def _send_whole(file: FileRun, services: "Services", source: BinaryIO,
                hold: Callable[[], None] | None = None) -> UploadAnswer:
    """Every attempt sends one and the same whole version, else the `changed_while_sending` refusal.
    `hold`: the body was begun beside the checks, and its end waits for their verdict; its journal
    entry is written then, with all they learnt (nothing was replaced before it)."""
    result = file.result
    shown = _Shown(file.path, result.bytes, services.progress, held=hold is not None)
    upload = _uploader(file, services, source, shown)
    if hold is None:
        result.journal_entry = _begin(file, services)

    def verdict() -> None:
        if hold is not None:
            hold()  # raises Withheld when a check refused the file: the body is cut short
            shown.release()

    versions = Versions(file.expected_sha256, gate=lambda sent: _before_end(file, services, sent, verdict))
    lost = LostAnswer(file, services) if file.new else None

    def attempt() -> UploadAnswer:
        landed = lost.landed() if lost is not None else None
        if landed is not None:
            return landed
        sent = versions.attempt()
        answer: UploadAnswer | None
        try:
            answer = upload(sent)
        except FlickrFailure as exc:
            if lost is not None:
                lost.failed(sent, exc)
            if versions.changed() is None:
                raise
            answer = None
        why = versions.changed()
        if why is not None:
            put = PutBack(services.journal, services.send_file, services.retry)
            raise FlickrFailure(changed_verdict(result, why, sent, answer is not None, put))
        result.sha256, result.bytes = sent.sha256, sent.read  # exactly what Flickr received
        return answer  # type: ignore[return-value]  # None only when the file changed (raised above)

    return services.retry(attempt)


def _begin(file: FileRun, services: "Services", sha256: str | None = None) -> int:
    result = file.result
    return services.journal.begin(
        path=result.path, photo_id=result.photo_id, backup=result.backup,
        command="upload" if file.new else services.options.command,
        previous=result.previous, sha256=sha256 or file.expected_sha256, size=result.bytes,
        original=source_image(result.path, services.options.metadata), backup_record=file.backup_record,
        server=file.info.text("server") if file.info is not None else None)


def _before_end(file: FileRun, services: "Services", sent: Attempt, verdict: Callable[[], None]) -> None:
    """Before the body's last bytes go out (Flickr takes no body cut short, so nothing is replaced
    until then): the backup begun beside the checks is saved whole, and the journal knows it and the
    hash of the bytes sent, hashed as they went (one read of the file, not two; a kill past this
    point leaves both known). A backup that failed cuts the body short: `backup_failed`."""
    from ..flickr.transport import held  # loaded with the client already: not at start-up

    result = file.result
    with held():  # waits on this machine (the checks' verdict, the backup), not the network's
        verdict()  # first: the stages behind it may yet begin the backup
        started = file.ahead.get(BACKUP) if result.backup is None else None
        try:
            saved = started.result() if started is not None else None
        except BackupFailed as exc:
            raise FlickrFailure(exc.error) from None
    learnt: dict[str, Any] = {}
    if saved is not None:
        result.backup, file.backup_record = str(saved.path), (saved.size, saved.sha256)
        learnt.update(backup=result.backup, backup_record=file.backup_record)
    if file.expected_sha256 is None:
        learnt.update(sha256=sent.sha256)
    if file.new:  # Flickr may make the photo from here on: a rerun after a kill looks for it first
        learnt.update(whole=True)
    if result.journal_entry is None:  # a body begun beside the checks: its entry, now they passed
        result.journal_entry = _begin(file, services, sent.sha256)
    elif learnt:  # one write for all of it
        services.journal.sending(result.journal_entry, **learnt)


class LostAnswer:
    """A new photo's upload whose whole body went out and whose answer never came may have made the
    photo: the next attempt looks for it among the user's uploads first (one photo, not two)."""

    def __init__(self, file: FileRun, services: "Services") -> None:
        self.file, self.services = file, services
        self.since = int(time.time()) - SLACK_S
        self.unanswered: Attempt | None = None

    def failed(self, sent: Attempt, exc: FlickrFailure) -> None:
        """No answer (a dropped connection, a timeout, a proxy's 5xx) after the whole body was read."""
        self.unanswered = sent if sent.whole and exc.error.origin is Origin.NETWORK else None

    def landed(self) -> UploadAnswer | None:
        """The photo the unanswered attempt made, if it did; a refusal when several look like it."""
        sent = self.unanswered
        if sent is None:
            return None
        delays = SEARCH_DELAYS_ASYNC if self.services.options.async_ else (0.0,)
        found = search(self.file, self.services, self.since, delays)  # raises: asked again next attempt
        self.unanswered = None
        if len(found) > 1:
            raise FlickrFailure(ambiguous(self.file.path, found, "this run"))
        if not found:
            return None
        result = self.file.result
        log.info("%s: the upload whose answer was lost made photo %s", result.path, found[0].photo_id)
        result.sha256 = sent.sha256
        result.warnings.append(f"already uploaded as photo {found[0].photo_id} by an attempt whose answer was "
                               "lost; not uploaded again")
        return UploadAnswer(photo_id=found[0].photo_id)


def _uploader(file: FileRun, services: "Services", source: BinaryIO,
              shown: "_Shown") -> Callable[[Attempt], UploadAnswer]:
    """One upload attempt of the checked file (`source`: open on it), counted, shown and told to the
    activity."""
    result, checked, options, activity = file.result, file.file, services.options, services.activity
    fields = _new_photo_fields(file, services) if file.new else {"photo_id": result.photo_id or ""}
    fields["async"] = "1" if options.async_ else "0"
    progress = shown if services.progress is not None else None

    def upload(watch: Attempt) -> UploadAnswer:
        result.attempts += 1
        shown(0, reset=True)
        log.info("%s: sending %d bytes %s (%s, attempt %d)", file.path, result.bytes,
                 "as a new photo" if file.new else f"to replace photo {result.photo_id}",
                 "async" if options.async_ else "sync", result.attempts)
        if activity is not None:
            activity.uploading(+1)
        try:
            return services.client().upload_file(file.path, fields, content_type=checked.content_type,
                                                 progress=progress, file=source, replace=not file.new,
                                                 watch=watch)
        finally:
            if activity is not None:
                activity.uploading(-1)

    return upload


def _new_photo_fields(file: FileRun, services: "Services") -> dict[str, str]:
    from ..link.upload import upload_fields

    return upload_fields(file.path, services.config.privacy, source_image(file.path, services.options.metadata))


class _Shown:
    """One file's bytes sent, told to the run's progress. While a body begun beside the checks
    waits for their verdict, its end is not told (a host would show it as processing)."""

    def __init__(self, path: str, size: int, report: "Callable[[str, int, int], None] | None", held: bool) -> None:
        self.path, self.size, self.report, self.held = path, size, report, held
        self.sent = 0

    def __call__(self, n: int, reset: bool = False) -> None:
        self.sent = 0 if reset else self.sent + n
        if self.report is not None and not (self.held and self.sent >= self.size):
            self.report(self.path, self.sent, self.size)

    def release(self) -> None:
        if self.held:
            self.held = False
            self(0)
