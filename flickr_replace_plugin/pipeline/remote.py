"""Stages 6 to 9, against the photo about to be overwritten: is it the one (target check), does it
look like this file (picture check), does it hold these bytes already (unchanged), and its backup.
A new photo (--upload-missing) overwrites nothing: these stages pass it by.

Undo sends a backup of this very photo: an earlier version, checked against the size and sha256
recorded when it was saved. It may well look unlike what the photo shows now (that is often why one
undoes), so the picture check and skip-unchanged are undo's own choice to leave out (never a
"--force" nobody gave), and undo always saves what it overwrites first, whatever `backup` says."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, BinaryIO

from ..formats.scope import resolution_scope
from ..result import ResultError, Status
from ..safety.backup import BackupFailed, Downloaded, Saved, download_original, keep
from ..safety.capture import Capture, from_exif
from ..safety.same import Ours, our_picture, same_picture
from ..safety.targets import PhotoInfo, check_target
from ..safety.versions import file_sha256
from .ahead import info_for
from .guess import guess_backup, guess_small, guessed_photo
from .context import FileRun, Outcome

UNDO = "undo"  # the journal's command of an undo (RunOptions.command)

if TYPE_CHECKING:
    from .services import Services

DIGEST = "digest"  # the file's picture digest, made on a worker while Flickr answers
BACKUP = "backup"  # the backup's download, begun beside the picture check
SMALL = "small"  # the small image asked at a guessed address (guess.py)
LAST = "last_sent"  # the journal's last send to the photo


def target_check(file: FileRun, services: "Services") -> Outcome:
    """The photo exists, is the user's and is a photo; its getInfo feeds every stage after. The
    user, getInfo and the file's own digest (for the picture check) are on their way together."""
    if file.new or not (services.verify or backing_up(services)):
        return None
    if services.verify and not undoing(services):
        file.ahead[DIGEST] = services.ahead(lambda: _digest(file))
    _guess(file, services)
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


def _guess(file: FileRun, services: "Services") -> None:
    """The small image and the backup's original asked at the addresses the photo's last send left
    them, beside getInfo (guess.py): each is used only when getInfo names that very address."""
    if undoing(services):
        return
    last = last_sent(file, services)
    guess = guessed_photo(file.result.photo_id or "", last)
    if guess is None:
        return
    if services.verify:
        file.guessed = guess_small(guess, services)
        if file.guessed is not None:  # waited for when the file's stages end, as every answer asked early
            file.ahead[SMALL] = file.guessed.fetched
    if _backs_up_ahead(file, services, last):
        file.guessed_backup = guess_backup(guess, services, lambda photo: _download_original(photo, services))


def _digest(file: FileRun) -> "Ours":
    """Our file's digest, its imports (Pillow, numpy) taken only once the HTTP client's are in:
    the first request goes out first and the imports run while it is answered."""
    from ..flickr import client  # noqa: F401 - waits for it when another thread is importing it

    return our_picture(file.file.file)


def undoing(services: "Services") -> bool:
    return services.options.command == UNDO


def backing_up(services: "Services") -> bool:
    return services.backup or (undoing(services) and services.remote)


def picture_check(file: FileRun, services: "Services") -> Outcome:
    """The file's picture against the photo's current image (check 3)."""
    _backup_ahead(file, services)
    digest = file.ahead.pop(DIGEST, None)
    if file.info is None or not services.verify or digest is None or undoing(services):
        return None
    pid = file.info.photo_id

    def photo_time() -> Capture:
        return from_exif(services.retry(lambda: services.client().photo_exif(pid)))

    download = file.guessed.or_else(services.download) if file.guessed is not None else services.download
    with resolution_scope({file.path: file.file.file}):  # its capture time is read from the open file
        return same_picture(file.path, digest.result, file.info, services.config.base_url, download,
                            file.result.warnings, force=services.options.force, photo_time=photo_time)


def unchanged(file: FileRun, services: "Services") -> Outcome:
    """Skip-unchanged: the journal's last send to this photo had exactly these bytes, and the photo
    still holds that send (its secrets are the ones recorded once it landed: a replace on flickr.com
    since, or a send whose secrets are unknown, say nothing of what it holds now)."""
    result = file.result
    if file.new or services.options.force or undoing(services) or file.info is None:
        return None
    last = last_sent(file, services)
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
    """The photo's current original, saved whole before Flickr can take the new one (not on a dry
    run): a download begun beside the picture check goes on beside the upload, whose body's last
    bytes wait for it (send.py); one not begun is saved here, before the upload starts."""
    if services.options.dry_run or not backing_up(services) or file.info is None or BACKUP in file.ahead:
        return None
    try:
        saved = _save_backup(file.info, services)
    except BackupFailed as exc:
        return exc.error
    file.result.backup, file.backup_record = str(saved.path), (saved.size, saved.sha256)
    return None


def _backup_ahead(file: FileRun, services: "Services") -> None:
    """The backup's download begun now, beside the picture check's small image, when the backup
    stage will want it (the one begun at a guessed address when getInfo names that address)."""
    info = file.info
    guessed, file.guessed_backup = file.guessed_backup, None
    taken = guessed.taken_for(info, services.config.base_url, undoing(services)) \
        if guessed is not None and info is not None else None
    if taken is not None:
        file.ahead[BACKUP] = taken
    elif info is not None and _backs_up_ahead(file, services, last_sent(file, services)):
        file.ahead[BACKUP] = services.ahead(lambda: _save_backup(info, services))


def last_sent(file: FileRun, services: "Services") -> dict[str, Any] | None:
    """The journal's last send to the photo, read once for the stages that ask."""
    if LAST not in file.known:
        file.known[LAST] = services.journal.last_sent(file.result.photo_id or "")
    return file.known[LAST]


def _backs_up_ahead(file: FileRun, services: "Services", last: dict[str, Any] | None) -> bool:
    """The backup stage will want a backup."""
    return backing_up(services) and will_send(file, services, last)


def will_send(file: FileRun, services: "Services", last: dict[str, Any] | None) -> bool:
    """The file goes out unless a check refuses it: not a new photo, a dry run or metadata only,
    and not a file sent last with these very bytes (skipped as unchanged, unless forced)."""
    if file.new or services.options.dry_run or services.options.metadata_only:
        return False
    return services.options.force or undoing(services) or not (last and last.get("bytes") == file.result.bytes)


def _save_backup(info: PhotoInfo, services: "Services") -> Saved:
    """The photo's original downloaded and kept as its backup (BackupFailed when it is not)."""
    return keep(_download_original(info, services), info, undo=undoing(services))


def _download_original(info: PhotoInfo, services: "Services") -> Downloaded:
    return download_original(info, services.config.backup_path, services.config.base_url,
                             lambda url, into: _download_whole(services, url, into), undo=undoing(services))


def _download_whole(services: "Services", url: str, into: BinaryIO) -> int:
    """The backup's download, retried as API calls are (a connection dropped mid-way is
    temporary): each attempt starts the file afresh, so a backup is never two halves."""
    def attempt() -> int:
        into.seek(0)
        into.truncate()
        return services.download(url, into)

    return services.retry(attempt)
