"""Stages 6 to 9, against the photo about to be overwritten: is it the one (target check), does it
look like this file (picture check), does it hold these bytes already (unchanged), and its backup.
A new photo (--upload-missing) overwrites nothing: these stages pass it by."""
from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from ..flickr.responses import FlickrFailure
from ..result import ResultError, Status
from ..safety.backup import BackupFailed, save_backup
from ..safety.capture import Capture, from_exif
from ..safety.same import same_picture
from ..safety.targets import PhotoInfo, check_target
from ..safety.versions import file_sha256
from .context import FileRun, Outcome

if TYPE_CHECKING:
    from .services import Services


def target_check(file: FileRun, services: "Services") -> Outcome:
    """The photo exists, is the user's and is a photo; its getInfo feeds every stage after."""
    if file.new or not (services.verify or services.backup):
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


def picture_check(file: FileRun, services: "Services") -> Outcome:
    """The file's picture against the photo's current image (check 3)."""
    if file.info is None or not services.verify:
        return None
    pid = file.info.photo_id

    def photo_time() -> Capture:
        return from_exif(services.retry(lambda: services.client().photo_exif(pid)))

    return same_picture(file.path, file.file.file, file.info, services.config.base_url, services.download,
                        file.result.warnings, force=services.options.force, photo_time=photo_time)


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
    try:
        file.result.backup = str(save_backup(file.info, services.config.backup_path, services.config.base_url,
                                             lambda url, into: _download_whole(services, url, into)))
    except BackupFailed as exc:
        return exc.error
    return None


def _download_whole(services: "Services", url: str, into: BinaryIO) -> int:
    """The backup's download, retried as API calls are (a connection dropped mid-way is
    temporary): each attempt starts the file afresh, so a backup is never two halves."""
    def attempt() -> int:
        into.seek(0)
        into.truncate()
        return services.download(url, into)

    return services.retry(attempt)
