"""The watch loop: file-system events (watchdog: inotify, FSEvents, ReadDirectoryChangesW) or, where
watchdog cannot run, a rescan; each settled batch goes to `replace_many` as one run."""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from typing import Any, Callable, Iterator, Sequence

from .settle import Settler, scan

log = logging.getLogger("flickr_replace.watch")
TICK = 0.25  # seconds between looks at pending files
RESCAN = 5.0  # with events: a full rescan this often still, for events a platform dropped


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
        self.changed: "queue.SimpleQueue[str]" = queue.SimpleQueue()  # no lock an interrupt could leave held
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
                if not event.is_directory:
                    events.add(getattr(event, "dest_path", "") or event.src_path)

        try:
            observer = Observer()
            for top in dirs:
                observer.schedule(Handler(), top, recursive=recursive)
            observer.start()
        except (OSError, RuntimeError) as exc:  # e.g. the inotify watch limit: polling still works
            log.info("file-system events unavailable (%s): rescanning the folders instead", exc)
            return
        self.observer = observer

    def add(self, path: Any) -> None:
        self.changed.put(os.fsdecode(path))
        self.wake.set()

    def take(self) -> set[str]:
        self.wake.clear()
        changed = set()
        while not self.changed.empty():
            changed.add(self.changed.get_nowait())
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


def watch_batches(dirs: Sequence[str], *, recursive: bool, settle: float,
                  ready: Callable[[bool], None] | None = None, stop: Stop | None = None) -> Iterator[list[str]]:
    """Yield each batch of settled files, forever (until the caller stops, an interrupt, or `stop`)."""
    stop = stop or Stop()
    dirs = [os.path.abspath(d) for d in dirs]
    settler = Settler(settle)
    settler.baseline(scan(dirs, recursive))
    events = Events(dirs, recursive, stop.wake)
    if ready is not None:
        ready(events.observer is not None)
    last_scan = time.monotonic()
    try:
        while True:
            stop.check()
            for path in events.take():
                settler.touch(path)
            if events.observer is None or time.monotonic() - last_scan >= RESCAN:
                for path in scan(dirs, recursive):
                    settler.touch(path)
                last_scan = time.monotonic()
            batch = settler.due()
            if batch:
                yield batch
            events.wake.wait(TICK if settler.waiting or events.observer is None else RESCAN)
    finally:
        events.stop()
