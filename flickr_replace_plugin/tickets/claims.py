"""Claims: each saved ticket is finished by one run only, the run that claimed it.

A run claims tickets under its own lock file (`claims/RUN.lock`), held by the operating system for
as long as the run lives: a run that dies, however it dies, lets go of its claims with it. Whether
another run still lives is asked of that lock alone (never of a process id: on Windows, signal 0 is
Ctrl-C). The claim saved with the ticket (its journal entry's `claim`) also says which run it is (pid, host,
start), for messages.
"""
from __future__ import annotations

import os
import re
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Any

CLAIMS = "claims"
_RUN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


class RunClaim:
    """This run's claim: taken on first use, released when the run ends (or by the OS when it dies)."""

    def __init__(self, state_dir: Path) -> None:
        self.folder = Path(state_dir) / CLAIMS
        self.run = f"{os.getpid()}-{int(time.time())}-{secrets.token_hex(4)}"
        self._record: dict[str, Any] | None = None
        self._lock: Any = None
        self._guard = threading.Lock()

    def hold(self) -> dict[str, Any]:
        """The record saved with each ticket this run claims; the run's lock is taken the first time."""
        with self._guard:
            if self._record is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                lock = _lock(self.folder / f"{self.run}.lock")
                lock.acquire()
                self._lock = lock
                self._record = {"run": self.run, "pid": os.getpid(), "host": socket.gethostname(),
                                "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
            return dict(self._record)

    def mine(self, claim: Any) -> bool:
        return isinstance(claim, dict) and claim.get("run") == self.run

    def release(self) -> None:
        with self._guard:
            if self._lock is not None:
                self._lock.release()
                _forget(self.folder / f"{self.run}.lock")
                self._lock = None
            self._record = None

    def holder(self, claim: Any) -> dict[str, Any] | None:
        """The claim when another run that is still alive holds it; None when it is free to take."""
        if not isinstance(claim, dict) or self.mine(claim) or not _RUN_ID.match(str(claim.get("run", ""))):
            return None
        path = self.folder / f"{claim['run']}.lock"
        if not path.exists():
            return None  # that run ended (it removes its lock file) or never got this far
        from filelock import Timeout

        probe = _lock(path, timeout=0)
        try:
            probe.acquire()
        except Timeout:
            return claim  # its run still lives and holds it
        except OSError:
            return None
        probe.release()  # nobody held it: the run died without removing its file
        _forget(path)
        return None


def _lock(path: Path, timeout: float = -1) -> Any:
    """A lock any thread of the run may release (filelock before 3.11 has no thread-local locks)."""
    from filelock import FileLock

    try:
        return FileLock(os.fspath(path), timeout=timeout, thread_local=False)
    except TypeError:
        return FileLock(os.fspath(path), timeout=timeout)


def _forget(path: Path) -> None:
    try:
        path.unlink()
    except OSError:  # another process has it open (Windows), or it is gone already
        pass


def describe_holder(claim: dict[str, Any]) -> str:
    """`run 1234 on HOST, started 2026-01-02 03:04:05 UTC`, from what the claim recorded."""
    return (f"run {claim.get('pid', '?')} on {claim.get('host', '?')}, started {claim.get('started', '?')}")
