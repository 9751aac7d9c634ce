"""Ctrl-C and SIGTERM for a command that runs until stopped (`watch`): raised as usual, and kept."""
from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Protocol

from ..interrupts import Terminated, exception_for


class Keeper(Protocol):
    def set(self, exc: BaseException) -> None: ...


@contextmanager
def kept_signals(keeper: Keeper) -> Iterator[None]:
    """While inside, SIGINT / SIGTERM raise KeyboardInterrupt / Terminated and also hand it to `keeper`,
    so an interrupt Python dropped (raised inside a finalizer) still ends the loop that checks it."""
    if threading.current_thread() is not threading.main_thread():  # in-process callers: signals stay theirs
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        exc = exception_for(signum)
        keeper.set(exc)
        raise exc

    def unraisable(info: Any) -> None:  # raised inside a finalizer: dropped, and kept (no traceback printed)
        if not isinstance(info.exc_value, (KeyboardInterrupt, Terminated)):
            hook(info)

    previous = {signum: signal.signal(signum, handler) for signum in (signal.SIGINT, signal.SIGTERM)}
    hook, sys.unraisablehook = sys.unraisablehook, unraisable
    try:
        yield
    finally:
        sys.unraisablehook = hook
        for signum, old in previous.items():
            signal.signal(signum, old)
