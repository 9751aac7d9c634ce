"""Small file-system helpers shared by the state store, the config writer and sidecar recording."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: bytes | str, mode: int = 0o600) -> None:
    """Write via a temp file + fsync + rename, so a reader never sees a half-written file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)
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


def read_capped(path: str | os.PathLike, limit: int) -> bytes | None:
    """Read at most `limit` bytes; None when the file is larger (a sidecar of many MB is not metadata)."""
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    return None if len(data) > limit else data
