"""The copy of what a replace overwrites: the photo's current original, downloaded whole, first.

`backup_dir/PHOTO_ID/UTCSTAMP_ORIGINALSECRET.EXT` with `UTCSTAMP.json` (getInfo's answer, and the
backup's size and sha256) beside it. Streamed into a temp file in the same folder and renamed once
complete, so a backup that is there is whole; one that could not be finished is not there, and the
replace does not happen. The size and sha256 travel with the backup (and into the journal), so a
backup cut short or rewritten since (an image viewer's "rotate") is never put back as if it were one.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Callable, NamedTuple

from ..fsutil import atomic_write
from ..result import ResultError
from .targets import PhotoInfo

Download = Callable[[str, BinaryIO], int]  # (url, file) -> bytes written; raises on failure
STALE_PART_S = 24 * 3600  # a download's temporary file this old was left by a run that was killed
WRITE_OUT = 8 << 20  # a backup being downloaded starts going to the disk every this many bytes


class BackupFailed(Exception):
    def __init__(self, error: ResultError) -> None:
        super().__init__(error.message)
        self.error = error


class Saved(NamedTuple):
    """A backup as it was saved: where, and the size and sha256 it must still have to be put back."""

    path: Path
    size: int
    sha256: str


def stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


class Downloaded(NamedTuple):
    """An original downloaded whole into a temporary file of the backup folder: not a backup yet."""

    part: Path
    when: str
    size: int
    sha256: str


def download_original(info: PhotoInfo, backup_dir: str | os.PathLike, base_url: str | None, download: Download, *,
                      undo: bool = False) -> Downloaded:
    """The original, whole and on disk under a temporary name (`keep` makes it the backup);
    BackupFailed when it is not.

    :param undo: the backup is undo's own (always taken), so a failure's advice is not --no-backup."""
    pid = info.photo_id
    url = info.static_url(base_url, "o")
    if url is None:
        raise BackupFailed(_failed(pid, "Flickr did not give the original's secret and format", undo))
    folder = Path(backup_dir).expanduser() / pid
    when = stamp()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _sweep(folder)
        fd, tmp = tempfile.mkstemp(prefix=f".{_name(when, info)}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise BackupFailed(_failed(pid, f"cannot write in {folder}: {exc.strerror or exc}", undo)) from None
    try:
        with os.fdopen(fd, "w+b") as fh:
            hashed = _Hashed(fh)
            written = download(url, hashed)
            fh.flush()
            os.fsync(fh.fileno())
            digest = hashed.hexdigest()  # the record the backup is checked against before undo sends it
        if written == 0 or os.path.getsize(tmp) != written:
            raise BackupFailed(_failed(pid, f"the original arrived short ({written} bytes)", undo))
    except BackupFailed:
        _remove(tmp)
        raise
    except OSError as exc:  # a full disk, a folder gone
        _remove(tmp)
        raise BackupFailed(_failed(pid, f"cannot save it in {folder}: {exc.strerror or exc}", undo)) from None
    except Exception as exc:  # the download's own failure (network, HTTP error)
        _remove(tmp)
        why = getattr(getattr(exc, "error", None), "message", None) or str(exc)
        raise BackupFailed(_failed(pid, why, undo)) from None
    return Downloaded(Path(tmp), when, written, digest)


def keep(downloaded: Downloaded, info: PhotoInfo, *, undo: bool = False) -> Saved:
    """The downloaded original made the backup of the photo `info` describes: recorded with that
    getInfo answer, then given its name. BackupFailed (and nothing left) when it cannot be."""
    saved = Saved(downloaded.part.parent / _name(downloaded.when, info), downloaded.size, downloaded.sha256)
    try:
        write_record(saved, info)
        os.replace(downloaded.part, saved.path)
    except OSError as exc:  # a full disk, a folder gone
        discard(downloaded)
        _remove(str(_record_path(saved.path)))
        raise BackupFailed(_failed(info.photo_id, f"cannot save it in {saved.path.parent}: {exc.strerror or exc}",
                                   undo)) from None
    return saved


def discard(downloaded: Downloaded) -> None:
    """An original downloaded for nothing (a guessed address that was not the photo's): deleted."""
    _remove(str(downloaded.part))


def _sweep(folder: Path) -> None:
    """Downloads a killed run left (`.UTCSTAMP_....part`), once they are a day old: never a backup,
    and no run still writes one that old."""
    stale = time.time() - STALE_PART_S
    for part in folder.glob(".*.part"):
        try:
            if part.stat().st_mtime < stale:
                part.unlink()
        except OSError:
            pass  # gone already, or not ours to remove: the backup goes on


def _name(when: str, info: PhotoInfo) -> str:
    return f"{when}_{info.text('originalsecret')}.{info.text('originalformat')}"


class _Hashed:
    """The backup file as the download writes it, hashed on the way (not read back afterwards: 190
    MiB read again cost about 0.2 s); a retried download starts the file, and the hash, over.

    Where the system lets a program start writing a file's pages out (Linux, by posix_fadvise),
    each few MiB go to the disk while the rest downloads: the fsync that makes the backup whole
    then waits for the last few only, not for the whole file on a slow card or disk."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh, self.digest = fh, hashlib.sha256()
        self.written = self.flushed = 0

    def write(self, block: bytes) -> int:
        self.digest.update(block)
        written = self.fh.write(block)
        self.written += written
        if self.written - self.flushed >= WRITE_OUT and hasattr(os, "posix_fadvise"):
            self.fh.flush()
            os.posix_fadvise(self.fh.fileno(), self.flushed, self.written - self.flushed,
                             os.POSIX_FADV_DONTNEED)  # starts the pages' writeback; waits for none
            self.flushed = self.written
        return written

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if (offset, whence) != (0, os.SEEK_SET):
            raise io.UnsupportedOperation("a backup is written from its start only")
        self.digest = hashlib.sha256()
        self.written = self.flushed = 0
        return self.fh.seek(0)

    def truncate(self, size: int | None = None) -> int:
        return self.fh.truncate(size)

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def write_record(saved: Saved, info: PhotoInfo) -> None:
    """`UTCSTAMP.json` beside the backup: the photo's getInfo, and the size and sha256 saved."""
    record = {"photo": info.answer, "backup": {"name": saved.path.name, "size": saved.size, "sha256": saved.sha256}}
    atomic_write(_record_path(saved.path), json.dumps(record, ensure_ascii=False, indent=1))


def _record_path(backup: Path) -> Path:
    return backup.parent / f"{backup.name.split('_', 1)[0]}.json"


def recorded(backup: Path) -> dict[str, Any]:
    """The size and sha256 `UTCSTAMP.json` beside a backup recorded for it ({} when there are none)."""
    try:
        with open(_record_path(backup), encoding="utf-8") as fh:
            record = json.load(fh).get("backup")
    except (OSError, ValueError, AttributeError):
        return {}
    return record if isinstance(record, dict) and record.get("name") == backup.name else {}


def _failed(photo_id: str, why: str, undo: bool) -> ResultError:
    advice = ("undo saves what it overwrites first, always: try again once that can be saved" if undo else
              "try again, or give --no-backup to replace without a copy")
    return ResultError.refusal("backup_failed", f"photo {photo_id} was not replaced: its current original could "
                               f"not be backed up ({why}); {advice}")


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
