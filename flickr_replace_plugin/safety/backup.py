"""The copy of what a replace overwrites: the photo's current original, downloaded whole, first.

`backup_dir/PHOTO_ID/UTCSTAMP_ORIGINALSECRET.EXT` with `UTCSTAMP.json` (getInfo's answer) beside
it. Streamed into a temp file in the same folder and renamed once complete, so a backup that is
there is whole; one that could not be finished is not there, and the replace does not happen.
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Callable

from ..fsutil import atomic_write
from ..result import ResultError
from .targets import PhotoInfo

Download = Callable[[str, BinaryIO], int]  # (url, file) -> bytes written; raises on failure


class BackupFailed(Exception):
    def __init__(self, error: ResultError) -> None:
        super().__init__(error.message)
        self.error = error


def stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def save_backup(info: PhotoInfo, backup_dir: str | os.PathLike, base_url: str | None, download: Download) -> Path:
    """Download the original into the backup folder; its path. BackupFailed when it is not saved whole."""
    pid = info.photo_id
    url = info.static_url(base_url, "o")
    if url is None:
        raise BackupFailed(_failed(pid, "Flickr did not give the original's secret and format"))
    folder = Path(backup_dir).expanduser() / pid
    when = stamp()
    target = folder / f"{when}_{info.text('originalsecret')}.{info.text('originalformat')}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise BackupFailed(_failed(pid, f"cannot write in {folder}: {exc.strerror or exc}")) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            written = download(url, fh)
            fh.flush()
            os.fsync(fh.fileno())
        if written == 0 or os.path.getsize(tmp) != written:
            raise BackupFailed(_failed(pid, f"the original arrived short ({written} bytes)"))
        atomic_write(folder / f"{when}.json", json.dumps({"photo": info.answer}, ensure_ascii=False, indent=1))
        os.replace(tmp, target)
    except BackupFailed:
        _remove(tmp)
        raise
    except OSError as exc:  # a full disk, a folder gone
        _remove(tmp)
        raise BackupFailed(_failed(pid, f"cannot save it in {folder}: {exc.strerror or exc}")) from None
    except Exception as exc:  # the download's own failure (network, HTTP error)
        _remove(tmp)
        raise BackupFailed(_failed(pid, getattr(getattr(exc, "error", None), "message", None) or str(exc))) from None
    return target


def _failed(photo_id: str, why: str) -> ResultError:
    return ResultError.refusal("backup_failed", f"photo {photo_id} was not replaced: its current original could "
                               f"not be backed up ({why}); try again, or give --no-backup to replace without a copy")


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
