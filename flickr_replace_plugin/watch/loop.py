"""The watch loop: file-system events (watchdog: inotify, FSEvents, ReadDirectoryChangesW) or, where
watchdog cannot run, a rescan; each batch of settled whole files goes to `replace_many` as one run."""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from .settle import STALL, Settler, scan

log = logging.getLogger("flickr_replace.watch")
TICK = 0.25  # seconds between looks at pending files
RESCAN = 5.0  # with events: a full rescan this often still, for events a platform dropped
# Events that say nothing was written: a reader's (ours too, hashing or sending a file) opening it.
READS = {"opened", "closed_no_write"}
WRITES = {"modified", "created", "moved", "closed"}  # the content may differ even with the old size and time


@dataclass
class Batch:
    """What one look at the folders found: files to send, and files that stalled incomplete."""

    ready: list[str] = field(default_factory=list)
    incomplete: list[tuple[str, str]] = field(default_factory=list)  # (path, why it is not whole)

    def __bool__(self) -> bool:
        return bool(self.ready or self.incomplete)


class Stop:
    """Ctrl-C / SIGTERM, kept once seen: Python drops an exception its signal handler raises while a
    finalizer runs on the main thread ("Exception ignored in ..." — a requests connection closed by
    the garbage collector, a weakref callback), so the loop also checks here and raises it itself."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self.exc: BaseException | None = None

    def set(self, exc: BaseException) -> None:
        self.exc = exc
        self.wake.set()

    def check(self) -> None:
        if self.exc is not None:
            raise self.exc


class Events:
    """Paths that changed, from watchdog's observer thread; `None` when watchdog is unavailable."""

    def __init__(self, dirs: Sequence[str], recursive: bool, wake: threading.Event) -> None:
        self.changed: "queue.SimpleQueue[tuple[str, bool]]" = queue.SimpleQueue()  # no lock an interrupt could leave held
        self.wake = wake
        self.observer: Any = None
        try:
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:
            log.info("watchdog is not installed: rescanning the folders instead")
            return
        events = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: Any) -> None:
                if not event.is_directory and event.event_type not in READS:
                    events.add(getattr(event, "dest_path", "") or event.src_path, event.event_type in WRITES)

        try:
            observer = Observer()
            for top in dirs:
                observer.schedule(Handler(), top, recursive=recursive)
            observer.start()
        except (OSError, RuntimeError) as exc:  # e.g. the inotify watch limit: polling still works
            log.info("file-system events unavailable (%s): rescanning the folders instead", exc)
            return
        self.observer = observer

    def add(self, path: Any, wrote: bool = True) -> None:
        self.changed.put((os.fsdecode(path), wrote))
        self.wake.set()

    def take(self) -> dict[str, bool]:
        """{path: whether an event said it was written}."""
        self.wake.clear()
        changed: dict[str, bool] = {}
        while not self.changed.empty():
            path, wrote = self.changed.get_nowait()
            changed[path] = changed.get(path, False) or wrote
        return changed

    def stop(self) -> None:
        """Stop watchdog's threads from a thread of their own, never waiting for it: watchdog's `stop()`
        joins its emitter and inotify threads without a timeout and takes locks they hold, so run in
        the main thread after Ctrl-C it could keep the command from exiting. They are daemon threads."""
        observer, self.observer = self.observer, None
        if observer is None:
            return

        def teardown() -> None:
            observer.stop()
            observer.join()

        threading.Thread(target=teardown, name="watch-stop", daemon=True).start()


def watch_batches(dirs: Sequence[str], *, recursive: bool, settle: float, stall: float = STALL,
                  ready: Callable[[bool], None] | None = None, stop: Stop | None = None) -> Iterator[Batch]:
    """Yield each batch of settled whole files (and of files that stalled incomplete for `stall`
    seconds), forever (until the caller stops, an interrupt, or `stop`)."""
    stop = stop or Stop()
    dirs = [os.path.abspath(d) for d in dirs]
    settler = Settler(settle, stall)
    settler.baseline(scan(dirs, recursive))
    events = Events(dirs, recursive, stop.wake)
    if ready is not None:
        ready(events.observer is not None)
    last_scan = time.monotonic()
    try:
        while True:
            stop.check()
            for path, wrote in events.take().items():
                settler.touch(path, wrote)
            if events.observer is None or time.monotonic() - last_scan >= RESCAN:
                for path in scan(dirs, recursive):
                    settler.touch(path)
                last_scan = time.monotonic()
            batch = Batch(settler.due(), settler.take_incomplete())
            if batch:
                yield batch
            events.wake.wait(TICK if settler.waiting or events.observer is None else RESCAN)
    finally:
        events.stop()
