"""Stages 6 to 9, against the photo about to be overwritten: is it the one (target check), does it
look like this file (picture check), does it hold these bytes already (unchanged), and its backup.
A new photo (--upload-missing) overwrites nothing: these stages pass it by."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from ..result import ResultError, Status
from ..safety.backup import BackupFailed, save_backup
from ..safety.same import our_picture, same_picture
from ..safety.targets import PhotoInfo, check_target
from ..safety.versions import file_sha256
from .ahead import info_for
from .context import FileRun, Outcome

if TYPE_CHECKING:
    from .services import Services

DIGEST = "digest"  # the file's picture digest, made on a worker while Flickr answers
BACKUP = "backup"  # the backup's download, begun beside the picture check


def target_check(file: FileRun, services: "Services") -> Outcome:
    """The photo exists, is the user's and is a photo; its getInfo feeds every stage after. The
    user, getInfo and the file's own digest (for the picture check) are on their way together."""
    if file.new or not (services.verify or services.backup):
        return None
    if services.verify:
        file.ahead[DIGEST] = services.ahead(lambda: our_picture(file.file.file))
    nsid = None
    if services.verify:
        nsid, error = services.user()
        if error is not None:
            return error
    pid = file.result.photo_id or ""
    info = info_for(file, services)
    refused = check_target(pid, info, nsid)
    if refused is None and isinstance(info, PhotoInfo):
        file.info, file.result.previous = info, info.previous
    return refused


def picture_check(file: FileRun, services: "Services") -> Outcome:
    """The file's picture against the photo's current image (check 3)."""
    _backup_ahead(file, services)
    digest = file.ahead.pop(DIGEST, None)
    if file.info is None or not services.verify or digest is None:
        return None
    return same_picture(file.path, digest.result, file.info, services.config.base_url, services.download,
                        file.result.warnings, force=services.options.force)


def unchanged(file: FileRun, services: "Services") -> Outcome:
    """Skip-unchanged: the journal's last send to this photo had exactly these bytes."""
    result = file.result
    if file.new or services.options.force:
        return None
    last = services.journal.last_sent(result.photo_id or "")
    if not last or not last.get("sha256") or last.get("bytes") != result.bytes:
        return None  # a different size is different bytes: no need to read the file first
    file.expected_sha256 = file_sha256(file.file.file)
    if file.expected_sha256 != last["sha256"]:
        return None
    result.status = Status.SKIPPED
    result.error = ResultError.refusal("unchanged", f"photo {result.photo_id} already holds exactly these bytes "
                                       f"(sent {last['time']}); nothing sent; --force sends them again")
    return result


def backup(file: FileRun, services: "Services") -> Outcome:
    """The photo's current original, saved whole before anything is sent (not on a dry run)."""
    if services.options.dry_run or not services.backup or file.info is None:
        return None
    started = file.ahead.pop(BACKUP, None)  # begun beside the picture check
    try:
        file.result.backup = str(started.result() if started is not None else _save_backup(file.info, services))
    except BackupFailed as exc:
        return exc.error
    return None


def _backup_ahead(file: FileRun, services: "Services") -> None:
    """The backup's download begun now, beside the picture check's small image, when the backup
    stage will want it: a file sent last with these very bytes (skipped as unchanged) is left be."""
    info = file.info
    if info is None or services.options.dry_run or not services.backup:
        return
    if not services.options.force:
        last = services.journal.last_sent(file.result.photo_id or "")
        if last and last.get("bytes") == file.result.bytes:
            return
    file.ahead[BACKUP] = services.ahead(lambda: _save_backup(info, services))


def _save_backup(info: PhotoInfo, services: "Services") -> Path:
    return save_backup(info, services.config.backup_path, services.config.base_url,
                       lambda url, into: _download_whole(services, url, into))


def _download_whole(services: "Services", url: str, into: BinaryIO) -> int:
    """The backup's download, retried as API calls are (a connection dropped mid-way is
    temporary): each attempt starts the file afresh, so a backup is never two halves."""
    def attempt() -> int:
        into.seek(0)
        into.truncate()
        return services.download(url, into)

    return services.retry(attempt)
