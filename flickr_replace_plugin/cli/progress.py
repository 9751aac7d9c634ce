"""A progress bar on stderr, only when stderr is a terminal: bytes for one file, files for a batch."""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import IO, Iterator, Sequence


class _Quiet:
    def bytes_sent(self, path: str, sent: int, size: int) -> None: ...
    def file_done(self) -> None: ...
    def clear(self) -> None: ...
    def waiting(self, seconds: float) -> None: ...


class _Bar(_Quiet):
    def __init__(self, stream: IO[str], paths: Sequence[str]) -> None:
        from tqdm import tqdm

        self.lock = threading.Lock()
        self.single = len(paths) == 1
        sized = _columns(stream) > 0  # a terminal that reports no size would get an empty bar
        self.bar = tqdm(total=None if self.single else len(paths), unit="B" if self.single else "file",
                        unit_scale=self.single, file=stream, leave=False, dynamic_ncols=sized,
                        ncols=None if sized else 80, nrows=None if sized else 24)

    def bytes_sent(self, path: str, sent: int, size: int) -> None:
        if self.single:
            with self.lock:
                self.bar.total = size
                self.bar.n = sent
                self.bar.refresh()

    def file_done(self) -> None:
        if not self.single:
            with self.lock:
                self.bar.update(1)

    def clear(self) -> None:
        with self.lock:
            self.bar.clear()

    def waiting(self, seconds: float) -> None:
        with self.lock:
            self.bar.set_postfix_str(f"API call limit: waiting {seconds:.0f} s")


def _columns(stream: IO[str]) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


@contextmanager
def progress_for(stream: IO[str], paths: Sequence[str]) -> Iterator[_Quiet]:
    if not getattr(stream, "isatty", lambda: False)():
        yield _Quiet()
        return
    bar = _Bar(stream, paths)
    try:
        yield bar
    finally:
        bar.bar.close()
