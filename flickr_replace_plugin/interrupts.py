"""When Ctrl-C and SIGTERM may land: anywhere but inside a few short steps that must be whole.

A result taken from a worker and not yet handed on, or a line half printed, would be lost or torn
by an interruption raised in the middle. Such steps run inside `INTERRUPTS.waiting()`: a signal
that arrives meanwhile is raised as soon as the step is done. Only the console command installs
the handler; a program using the library keeps its own signal handling.
"""
from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from .status import ExitStatus


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so results known so far are still given."""


def exception_for(signum: int) -> BaseException:
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


class Interrupts:
    """The console command's SIGINT / SIGTERM handler.

    The first signal is raised in the main thread (after the step it landed in). While the known
    results are then given, a second signal ends the process at once: the user asked twice, and
    every ticket is already saved.
    """

    EXIT = {signal.SIGINT: ExitStatus.INTERRUPTED, signal.SIGTERM: ExitStatus.TERMINATED}

    def __init__(self) -> None:
        self.depth = 0
        self.pending: BaseException | None = None
        self.stopping = False

    def handler(self, signum: int, frame: Any) -> None:
        if self.stopping:
            os._exit(self.EXIT.get(signum, ExitStatus.INTERRUPTED))
        self.stopping = True
        exc = exception_for(signum)
        if self.depth:
            self.pending = exc
            return
        raise exc

    def install(self) -> dict[int, Any]:
        """Handle both signals (main thread only); returns the handlers it replaced, for `restore`."""
        self.stopping, self.pending = False, None
        return {signum: signal.signal(signum, self.handler) for signum in self.EXIT}

    @staticmethod
    def restore(previous: dict[int, Any]) -> None:
        for signum, old in previous.items():
            signal.signal(signum, old)

    def hold(self) -> None:
        """From here until the matching `release`, a signal waits (signals land in the main thread:
        other threads' steps are not theirs to hold)."""
        if threading.current_thread() is threading.main_thread():
            self.depth += 1

    def release(self) -> None:
        """The step is over: a signal that came meanwhile is raised now."""
        if threading.current_thread() is not threading.main_thread():
            return
        self.depth -= 1
        if not self.depth and self.pending is not None:
            exc, self.pending = self.pending, None
            raise exc

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """Inside, a signal waits for the step to end. Keep it short: never around a wait."""
        self.hold()
        try:
            yield
        finally:
            self.release()


INTERRUPTS = Interrupts()
