"""The injectable environment every command runs in, and the exit statuses: a leaf module every
command may import."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Mapping

from ..interrupts import Terminated  # re-exported: the CLI's name for it
from ..status import ExitStatus  # re-exported: the CLI's name for it

__all__ = ["Environment", "ExitStatus", "Terminated"]


@dataclass
class Environment:
    """Where a command reads and writes: its streams, its variables (config, state, cache and
    backup dirs all come from `env`) and its folder. `main` always runs with one, the process's own
    by default, so a test that injects its own runs the very path a user's command runs.

    `owns_process`: the streams and signals are the process's, so `main` may install its SIGINT /
    SIGTERM handler; an environment made for an in-process caller leaves the caller's handlers alone.
    """

    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    cwd: Path = field(default_factory=Path.cwd)
    owns_process: bool = False

    @classmethod
    def from_process(cls) -> "Environment":
        """The console command's environment: sys's streams, os.environ, the current folder."""
        return cls(owns_process=True)

    def path(self, given: str) -> Path:
        """A path the user typed: `~` is this environment's HOME, a relative one is in its folder."""
        from ..config import expand_path

        return Path(expand_path(given, self.env, self.cwd))
