"""A progress bar on stderr, only when stderr is a terminal: bytes for one file, files for a batch.

It says what the run is waiting for ("uploading 2, waiting for 3 tickets") and is redrawn twice a
second, so its clock keeps moving while Flickr processes tickets and nothing else happens.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import IO, Iterator, Sequence

REDRAW_S = 0.5


class Quiet:
    """The run's activity, told to nobody (no terminal, `--quiet`, `--no-progress`)."""

    def bytes_sent(self, path: str, sent: int, size: int) -> None: ...
    def uploading(self, change: int) -> None: ...
    def tickets_waiting(self, count: int) -> None: ...
    def file_done(self, had_ticket: bool = False) -> None: ...
    def clear(self) -> None: ...
    def waiting(self, seconds: float) -> None: ...


class _Bar(Quiet):
    def __init__(self, stream: IO[str], total: int | None, single: bool) -> None:
        from tqdm import tqdm

        self.lock = threading.Lock()
        self.single = single
        self.uploads = self.tickets = 0
        self.note = ""
        sized = _columns(stream) > 0  # a terminal that reports no size would get an empty bar
        self.bar = tqdm(total=total, unit="B" if single else "file", unit_scale=single, file=stream, leave=False,
                        dynamic_ncols=sized, ncols=None if sized else 80, nrows=None if sized else 24)
        self.stopped = threading.Event()
        self.redraw = threading.Thread(target=self._redraw, name="progress", daemon=True)
        self.redraw.start()

    def _redraw(self) -> None:
        while not self.stopped.wait(REDRAW_S):
            with self.lock:
                self.bar.refresh()

    def _describe(self) -> None:
        """What the run waits for, left of the bar; called with the lock held."""
        parts = [f"uploading {self.uploads}"] if self.uploads else []
        if self.tickets:
            parts.append(f"waiting for {self.tickets} ticket{'s' if self.tickets != 1 else ''}")
        if self.note:
            parts.append(self.note)
        self.bar.set_description_str(", ".join(parts), refresh=True)

    def bytes_sent(self, path: str, sent: int, size: int) -> None:
        if self.single:
            with self.lock:
                self.bar.total = size
                self.bar.n = sent
                self.bar.refresh()

    def uploading(self, change: int) -> None:
        with self.lock:
            self.uploads = max(0, self.uploads + change)
            self._describe()

    def tickets_waiting(self, count: int) -> None:
        with self.lock:
            self.tickets = count
            self._describe()

    def file_done(self, had_ticket: bool = False) -> None:
        with self.lock:
            if had_ticket:
                self.tickets = max(0, self.tickets - 1)
            if not self.single:
                self.bar.update(1)
            self._describe()

    def clear(self) -> None:
        with self.lock:
            self.bar.clear()

    def waiting(self, seconds: float) -> None:
        with self.lock:
            self.note = f"API call limit: waiting {seconds:.0f} s" if seconds > 0 else ""
            self._describe()

    def close(self) -> None:
        self.stopped.set()
        self.redraw.join()
        self.bar.close()


def _columns(stream: IO[str]) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


@contextmanager
def progress_for(stream: IO[str], paths: Sequence[str] | None, enabled: bool = True) -> Iterator[Quiet]:
    """A bar for `paths` (None: a count not known in advance, as for `tickets`)."""
    if not enabled or not getattr(stream, "isatty", lambda: False)():
        yield Quiet()
        return
    single = paths is not None and len(paths) == 1
    bar = _Bar(stream, None if single or paths is None else len(paths), single)
    try:
        yield bar
    finally:
        bar.close()
