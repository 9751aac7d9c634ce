"""Small file-system helpers shared by the state store, the config writer and sidecar recording."""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def atomic_write(path: str | os.PathLike, data: bytes | str, mode: int = 0o600) -> None:
    """Write via a temp file + fsync + rename, so a reader never sees a half-written file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        set_mode(tmp, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def reserve_aside(path: str | os.PathLike, label: str) -> Path:
    """A new, empty file `NAME.LABEL-STAMP[-N]` next to `path`, created exclusively: a name no
    earlier copy has and no concurrent one gets (two in the same second both keep theirs), for
    a file to be moved or copied aside over it."""
    import time

    source = Path(path)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for n in range(1, 100_000):
        aside = source.with_name(f"{source.name}.{label}-{stamp}" + (f"-{n}" if n > 1 else ""))
        try:
            os.close(os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return aside
    raise FileExistsError(f"too many {label} copies of {source} already")


def set_mode(path: str | os.PathLike, mode: int) -> None:
    """chmod by path (os.fchmod is missing on Windows before Python 3.13); Windows keeps only the
    read-only bit, and a file system that cannot take modes at all is not an error."""
    try:
        os.chmod(path, mode)
    except (NotImplementedError, PermissionError):
        if os.name != "nt":
            raise


def read_capped(path: str | os.PathLike, limit: int) -> bytes | None:
    """Read at most `limit` bytes; None when the file is larger (a sidecar of many MB is not metadata).

    Only a regular file is read: a FIFO or a device in a sidecar's place raises OSError, not a hang.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # opening a FIFO must not block
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", os.fspath(path))
        data = fh.read(limit + 1)
    return None if len(data) > limit else data


@contextmanager
def file_lock(path: str | os.PathLike) -> Iterator[None]:
    """An exclusive lock on `path` across processes, on every OS (filelock: flock or msvcrt)."""
    from filelock import FileLock

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with FileLock(os.fspath(path)):  # an empty file: its mode guards nothing
        yield
