"""Stages 6 to 9, against the photo about to be overwritten: is it the one (target check), does it
look like this file (picture check), does it hold these bytes already (unchanged), and its backup.
A new photo (--upload-missing) overwrites nothing: these stages pass it by.

Undo sends a backup of this very photo: an earlier version, checked against the size and sha256
recorded when it was saved. It may well look unlike what the photo shows now (that is often why one
undoes), so the picture check and skip-unchanged are undo's own choice to leave out (never a
"--force" nobody gave), and undo always saves what it overwrites first, whatever `backup` says."""
from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from ..flickr.responses import FlickrFailure
from ..result import ResultError, Status
from ..safety.backup import BackupFailed, save_backup
from ..safety.same import same_picture
from ..safety.targets import PhotoInfo, check_target
from ..safety.versions import file_sha256
from .context import FileRun, Outcome

UNDO = "undo"  # the journal's command of an undo (RunOptions.command)

if TYPE_CHECKING:
    from .services import Services


def target_check(file: FileRun, services: "Services") -> Outcome:
    """The photo exists, is the user's and is a photo; its getInfo feeds every stage after."""
    if file.new or not (services.verify or backing_up(services)):
        return None
    nsid = None
    if services.verify:
        nsid, error = services.user()
        if error is not None:
            return error
    pid = file.result.photo_id or ""
    try:
        info: PhotoInfo | ResultError = PhotoInfo(pid, services.retry(lambda: services.client().photo_info(pid)))
    except FlickrFailure as exc:
        info = exc.error
    refused = check_target(pid, info, nsid)
    if refused is None and isinstance(info, PhotoInfo):
        file.info, file.result.previous = info, info.previous
    return refused


def undoing(services: "Services") -> bool:
    return services.options.command == UNDO


def backing_up(services: "Services") -> bool:
    return services.backup or (undoing(services) and services.remote)


def picture_check(file: FileRun, services: "Services") -> Outcome:
    """The file's picture against the photo's current image (check 3)."""
    if file.info is None or not services.verify or undoing(services):
        return None
    return same_picture(file.path, file.file.file, file.info, services.config.base_url, services.download,
                        file.result.warnings, force=services.options.force)


def unchanged(file: FileRun, services: "Services") -> Outcome:
    """Skip-unchanged: the journal's last send to this photo had exactly these bytes, and the photo
    still holds that send (its secrets are the ones recorded once it landed: a replace on flickr.com
    since, or a send whose secrets are unknown, say nothing of what it holds now)."""
    result = file.result
    if file.new or services.options.force or undoing(services) or file.info is None:
        return None
    last = services.journal.last_sent(result.photo_id or "")
    if not last or not last.get("sha256") or last.get("bytes") != result.bytes:
        return None  # a different size is different bytes: no need to read the file first
    if not last.get("secret") or not last.get("originalsecret") or \
            (last["secret"], last["originalsecret"]) != (file.info.text("secret"), file.info.text("originalsecret")):
        return None
    file.expected_sha256 = file_sha256(file.file.file)
    if file.expected_sha256 != last["sha256"]:
        return None
    result.status = Status.SKIPPED
    result.error = ResultError.refusal("unchanged", f"photo {result.photo_id} already holds exactly these bytes "
                                       f"(sent {last['time']}); nothing sent; --force sends them again")
    return result


def backup(file: FileRun, services: "Services") -> Outcome:
    """The photo's current original, saved whole before anything is sent (not on a dry run)."""
    if services.options.dry_run or not backing_up(services) or file.info is None:
        return None
    try:
        saved = save_backup(file.info, services.config.backup_path, services.config.base_url,
                            lambda url, into: _download_whole(services, url, into), undo=undoing(services))
    except BackupFailed as exc:
        return exc.error
    file.result.backup, file.backup_record = str(saved.path), (saved.size, saved.sha256)
    return None


def _download_whole(services: "Services", url: str, into: BinaryIO) -> int:
    """The backup's download, retried as API calls are (a connection dropped mid-way is
    temporary): each attempt starts the file afresh, so a backup is never two halves."""
    def attempt() -> int:
        into.seek(0)
        into.truncate()
        return services.download(url, into)

    return services.retry(attempt)
