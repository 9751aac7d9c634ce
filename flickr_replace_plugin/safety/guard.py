"""One run's safety net around each upload: checks before, the journal and whole versions during.

The core calls `prepare` once with every path's id, `check` before a file's upload, `send` for
the upload itself and `finish` with its final result; nothing here decides how files are scheduled.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Mapping

from ..flickr.responses import FlickrFailure, UploadAnswer
from ..result import ReplaceResult, ResultError, Status
from .backup import BackupFailed, save_backup
from .journal import Journal
from .targets import PhotoInfo, check_target, duplicate_targets
from .versions import Attempt, Versions, file_sha256

log = logging.getLogger("flickr_replace.safety")
Upload = Callable[[Attempt], UploadAnswer]


@dataclass
class Plan:
    """What the checks found for one file, handed to its upload."""

    info: PhotoInfo | None = None
    expected_sha256: str | None = None  # taken before sending (only when skip-unchanged needed it)
    warnings: list[str] = field(default_factory=list)


class Safety:
    def __init__(self, options: Any, *, client: Callable[[], Any], retrying: Callable[[Callable], Any]) -> None:
        """:param options: the run's RunOptions (verify, force, command, dry_run, and the config)."""
        config = options.config
        self.options = options
        self.client, self.retrying, self.base_url = client, retrying, config.base_url
        self.journal = Journal(config.state_path)
        self.backup_dir = config.backup_path
        self.dry_run = options.dry_run
        # A dry run needs no credentials; without them it cannot ask Flickr, so only local checks run.
        remote = config.has_credentials or not options.dry_run
        self.verify = options.verify and remote
        self.backup = config.backup and remote
        self._duplicates: dict[str, ResultError] = {}
        self._user_lock = threading.Lock()
        self._user: tuple[str | None, ResultError | None] | None = None

    # -- before -------------------------------------------------------------------------------
    def prepare(self, ids: Mapping[str, str | None]) -> None:
        """Every path's id, known before any upload: two paths naming one photo send nothing."""
        self._duplicates = duplicate_targets(ids)

    def user(self) -> tuple[str | None, ResultError | None]:
        """The user's nsid from flickr.test.login, asked once per run."""
        with self._user_lock:
            if self._user is None:
                try:
                    answer = self.retrying(lambda: self.client().test_login())
                    self._user = (str(answer.get("id")) if answer.get("id") else None, None)
                except FlickrFailure as exc:
                    self._user = (None, exc.error)
            return self._user

    def check(self, result: ReplaceResult, file: BinaryIO) -> Plan | None:
        """Every check before the upload; None when `result` is already final (failed or skipped).

        :param file: the file, open (checked by pre-flight): read here, then sent from its start."""
        duplicate = self._duplicates.get(result.path)
        if duplicate is not None:
            result.fail(duplicate)
            return None
        plan = Plan()
        if result.photo_id is None:  # --upload-missing: a new photo overwrites nothing
            return plan
        if self.verify or self.backup:
            refused = self._check_target(result, plan)
            if refused is not None:
                result.fail(refused)
                return None
        if self.verify and plan.info is not None:
            from .same import same_picture

            refused = same_picture(result.path, file, plan.info, self.base_url, self._download, result.warnings,
                                   force=self.options.force)
            if refused is not None:
                result.fail(refused)
                return None
        if not self.options.force and self._unchanged(result, plan, file):
            return None
        if not self.dry_run and self.backup and plan.info is not None:
            try:
                result.backup = str(save_backup(plan.info, self.backup_dir, self.base_url, self._download_whole))
            except BackupFailed as exc:
                result.fail(exc.error)
                return None
        return plan

    def _check_target(self, result: ReplaceResult, plan: Plan) -> ResultError | None:
        nsid = None
        if self.verify:
            nsid, error = self.user()
            if error is not None:
                return error
        pid = result.photo_id or ""
        try:
            info: PhotoInfo | ResultError = PhotoInfo(pid, self.retrying(lambda: self.client().photo_info(pid)))
        except FlickrFailure as exc:
            info = exc.error
        refused = check_target(pid, info, nsid)
        if refused is None and isinstance(info, PhotoInfo):
            plan.info, result.previous = info, info.previous
        return refused

    def _unchanged(self, result: ReplaceResult, plan: Plan, file: BinaryIO) -> bool:
        """Skip-unchanged: the journal's last send to this photo had exactly these bytes."""
        last = self.journal.last_sent(result.photo_id or "")
        if not last or not last.get("sha256") or last.get("bytes") != result.bytes:
            return False  # a different size is different bytes: no need to read the file first
        plan.expected_sha256 = file_sha256(file)
        if plan.expected_sha256 != last["sha256"]:
            return False
        result.status = Status.SKIPPED
        result.error = ResultError.refusal("unchanged", f"photo {result.photo_id} already holds exactly these bytes "
                                           f"(sent {last['time']}); nothing sent; --force sends them again")
        return True

    def _download(self, url: str, into: Any, max_bytes: int | None = None) -> int:
        return self.client().download(url, into, max_bytes)

    def _download_whole(self, url: str, into: Any, max_bytes: int | None = None) -> int:
        """The backup's download, retried as API calls are (a connection dropped mid-way is
        temporary): each attempt starts the file afresh, so a backup is never two halves."""
        def attempt() -> int:
            into.seek(0)
            into.truncate()
            return self._download(url, into, max_bytes)

        return self.retrying(attempt)

    # -- during ---------------------------------------------------------------------------------
    def send(self, result: ReplaceResult, plan: Plan, upload: Upload) -> UploadAnswer:
        """The upload, journalled first, retried whole; a version that changed is never `replaced`."""
        versions = Versions(plan.expected_sha256)
        result.journal_entry = self.journal.begin(
            path=result.path, photo_id=result.photo_id, backup=result.backup,
            command="upload" if result.photo_id is None else self.options.command,
            previous=result.previous, sha256=plan.expected_sha256, size=result.bytes)

        def attempt() -> UploadAnswer:
            sent = versions.attempt()
            try:
                answer = upload(sent)
            except FlickrFailure:
                why = versions.changed()
                if why is None:
                    raise
                answer = None
            why = versions.changed()
            if why is not None:
                raise FlickrFailure(self._changed(result, why, taken=answer is not None or sent.whole))
            result.sha256 = sent.sha256
            return answer

        return self.retrying(attempt)

    def _changed(self, result: ReplaceResult, why: str, taken: bool) -> ResultError:
        """The `changed_while_sending` verdict; where Flickr may hold the mixture, the backup goes back."""
        advice = "wait until the export has finished writing, then replace again"
        if not taken:
            return ResultError.refusal("changed_while_sending", f"{why}: it was not sent whole, and Flickr did not "
                                       f"take it; the photo is unchanged; {advice}")
        if not result.backup:
            return ResultError.refusal("changed_while_sending", f"{why}: Flickr may hold a mixture of versions and "
                                       f"there is no backup to put back (--no-backup); {advice}")
        from .restore import put_back

        restored = put_back(self, result)
        if restored is None:
            return ResultError.refusal("changed_while_sending", f"{why}: Flickr may have taken a mixture of versions, "
                                       f"so the previous original was put back from {result.backup}; {advice}")
        return ResultError.refusal("changed_while_sending", f"{why}: Flickr may hold a mixture of versions, and "
                                   f"putting back {result.backup} failed ({restored.message}); run "
                                   f"`flickr-replace undo {result.photo_id}`, then {advice}")

    # -- after ------------------------------------------------------------------------------------
    def finish(self, result: ReplaceResult) -> None:
        """Complete the journal entry with the final outcome (a pending ticket stays `pending`)."""
        entry = result.journal_entry
        if entry is None:
            return
        try:
            self.journal.finish(entry, result.status.value, sha256=result.sha256, secret=result.secret,
                                originalsecret=result.originalsecret, photo_id=result.photo_id)
        except Exception as exc:  # sqlite3.Error, OSError: the replace itself is done
            log.warning("could not complete the journal entry of %s: %s", result.path, exc)
