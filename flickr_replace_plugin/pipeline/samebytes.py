"""One run's new uploads by their bytes: the second of two identical files waits for the first
(two uploads would make two photos). A leaf module: the run's services hold one."""
from __future__ import annotations

import threading
from typing import Any, Callable, Generic, Protocol, TypeVar


class Closing(Protocol):
    on_close: list[Callable[[], None]]  # told when the file's stages are over


F = TypeVar("F", bound=Closing)


class SameBytes(Generic[F]):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first: dict[str, tuple[Any, threading.Event]] = {}

    def first(self, sha256: str, file: F) -> F | None:
        """The file of this run that had these bytes first, once its stages are over; None for the first."""
        with self._lock:
            held = self._first.get(sha256)
            if held is None:
                done = threading.Event()
                self._first[sha256] = (file, done)
                file.on_close.append(done.set)
                return None
        held[1].wait()
        return held[0]
