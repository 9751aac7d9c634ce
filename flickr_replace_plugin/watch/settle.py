"""Which files in the watched folders are new versions, whole and no longer changing.

A file counts once its size and modification time have held for `settle` seconds and its own
structure says it is whole (formats/whole.py): a writer that stalls longer than `settle` leaves a
file that has settled but is cut off, and it is not sent. One not whole for `stall` seconds gets
a result saying so, and is sent once its writer finishes it. A version already handled (or there
when watching began) is never handled again, so an exporter's many writes make one replace, and
the tool's own sidecar writes make none. A re-export that restores the old size and time stamp
is told by its content: the inode's change time (or a write event) says to look, and the sha256
of what settled says whether it is new.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from ..formats.raw import RAW_SUFFIXES
from ..formats.whole import why_not_whole

Signature = tuple[int, int]  # (size, mtime_ns)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".tif", ".tiff", ".webp", ".heic", ".heif", ".avif"}
TEMP_MARKS = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp", "~")
STALL = 30.0  # seconds a settled file may stay incomplete before it gets a result line (at least)


def is_photo_name(path: str) -> bool:
    """An image's or a camera raw's name (a raw gets a result saying why it is not sent), not a
    sidecar's, a temporary file's or a hidden one's."""
    name = os.path.basename(path)
    lower = name.lower()
    if name.startswith((".", "~", "#")) or lower.endswith(TEMP_MARKS):
        return False
    suffix = os.path.splitext(lower)[1]  # NAME.EXT.xmp, .flickr.yaml, .pp3 ... are not
    return suffix in IMAGE_SUFFIXES or suffix in RAW_SUFFIXES


@dataclass(frozen=True)
class Version:
    """What is known of one version of a file."""

    sig: Signature
    changed: int  # st_ctime_ns: on POSIX an inode change, which restoring the mtime cannot undo
    digest: str | None = None  # the content's sha256; None for a file found there at the start


def version(path: str) -> Version | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return Version((st.st_size, st.st_mtime_ns), st.st_ctime_ns) if os.path.isfile(path) else None


def signature(path: str) -> Signature | None:
    found = version(path)
    return found.sig if found is not None else None


def digest(path: str) -> str | None:
    sha = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                sha.update(block)
    except OSError:
        return None
    return sha.hexdigest()


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
class _Pending:
    sig: Signature
    since: float  # when `sig` was first seen
    why: str | None = None  # why this version is not whole: it is not read again until it changes


@dataclass
class Settler:
    settle: float
    stall: float = STALL
    clock: Callable[[], float] = time.monotonic
    done: dict[str, Version] = field(default_factory=dict)  # the version last handled (or found at start)
    incomplete: list[tuple[str, str]] = field(default_factory=list)  # (path, why): stalled, not whole
    _seen: dict[str, _Pending] = field(default_factory=dict)

    def baseline(self, paths: Iterable[str]) -> None:
        """Files already there are left alone until they change."""
        for path in paths:
            found = version(path)
            if found is not None:
                self.done[path] = found

    def touch(self, path: str, wrote: bool = False) -> None:
        """Something happened to `path` (`wrote`: an event said its content was written): look at
        it on the next `due`."""
        if not is_photo_name(path):
            return
        if path in self._seen:
            return
        found, old = version(path), self.done.get(path)
        if found is None:
            return
        if old is None or found.sig != old.sig or found.changed != old.changed or wrote:
            self._seen[path] = _Pending(found.sig, self.clock())

    def due(self) -> list[str]:
        """Pending files that are new versions, whole, and held for `settle` seconds, marked as
        handled; those that stalled incomplete for `stall` seconds go to `incomplete`."""
        now, ready = self.clock(), []
        for path, pending in list(self._seen.items()):
            found = version(path)
            if found is None:
                del self._seen[path]
            elif found.sig != pending.sig:
                pending.sig, pending.since, pending.why = found.sig, now, None
            elif now - pending.since >= self.settle:
                why = pending.why = pending.why or why_not_whole(path)
                if why is not None and now - pending.since < max(self.stall, self.settle):
                    continue  # the writer may only have paused: keep watching
                del self._seen[path]
                if why is not None:
                    self.done[path] = found
                    self.incomplete.append((path, why))
                elif self._is_new(path, found):
                    ready.append(path)
        return sorted(ready)

    def _is_new(self, path: str, found: Version) -> bool:
        """Record `found` as handled; new when its size, time or (when those held) content differ."""
        old = self.done.get(path)
        now = Version(found.sig, found.changed, digest(path))
        self.done[path] = now
        if old is None or old.sig != found.sig:
            return True
        return old.digest is None or old.digest != now.digest  # unknown (there at the start): rewritten

    def take_incomplete(self) -> list[tuple[str, str]]:
        taken, self.incomplete = self.incomplete, []
        return taken

    @property
    def waiting(self) -> bool:
        return bool(self._seen)
