"""Which files in the watched folders are new versions that have stopped changing.

A file counts once its size and modification time have held for `settle` seconds; a version
already handled (or there when watching began) is never handled again, so an exporter's many
writes make one replace, and the tool's own sidecar writes make none.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

Signature = tuple[int, int]  # (size, mtime_ns)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".tif", ".tiff", ".webp", ".heic", ".heif", ".avif"}
TEMP_MARKS = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp", "~")


def is_photo_name(path: str) -> bool:
    """An image file's name, not a sidecar's, a temporary file's or a hidden one's."""
    name = os.path.basename(path)
    lower = name.lower()
    if name.startswith((".", "~", "#")) or lower.endswith(TEMP_MARKS):
        return False
    return os.path.splitext(lower)[1] in IMAGE_SUFFIXES  # NAME.EXT.xmp, .flickr.yaml, .pp3 ... are not


def signature(path: str) -> Signature | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns) if os.path.isfile(path) else None


def scan(dirs: Iterable[str], recursive: bool) -> Iterator[str]:
    for top in dirs:
        if recursive:
            for root, subdirs, files in os.walk(top):
                subdirs[:] = [d for d in subdirs if not d.startswith(".")]
                yield from (os.path.join(root, f) for f in files if is_photo_name(f))
        else:
            try:
                entries = list(os.scandir(top))
            except OSError:
                continue
            yield from (e.path for e in entries if is_photo_name(e.name))


@dataclass
class Settler:
    settle: float
    clock: Callable[[], float] = time.monotonic
    done: dict[str, Signature] = field(default_factory=dict)  # the version last handled (or found at start)
    _seen: dict[str, tuple[Signature, float]] = field(default_factory=dict)  # pending: version, since when

    def baseline(self, paths: Iterable[str]) -> None:
        """Files already there are left alone until they change."""
        for path in paths:
            sig = signature(path)
            if sig is not None:
                self.done[path] = sig

    def touch(self, path: str) -> None:
        """Something happened to `path`: look at it on the next `due`."""
        if is_photo_name(path) and path not in self._seen:
            sig = signature(path)
            if sig is not None and sig != self.done.get(path):
                self._seen[path] = (sig, self.clock())

    def due(self) -> list[str]:
        """Pending files whose version has held for `settle` seconds, marked as handled."""
        now, ready = self.clock(), []
        for path, (old, since) in list(self._seen.items()):
            sig = signature(path)
            if sig is None:
                del self._seen[path]
            elif sig != old:
                self._seen[path] = (sig, now)
            elif now - since >= self.settle:
                del self._seen[path]
                if sig != self.done.get(path):
                    self.done[path] = sig
                    ready.append(path)
        return sorted(ready)

    @property
    def waiting(self) -> bool:
        return bool(self._seen)
