"""Exit statuses and the injectable environment: a leaf module every command may import."""
from __future__ import annotations

import enum
import os
import sys
from dataclasses import dataclass, field
from typing import IO, Mapping

from ..interrupts import Terminated  # re-exported: the CLI's name for it

__all__ = ["Environment", "ExitStatus", "Terminated"]


class ExitStatus(enum.IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    INTERRUPTED = 130
    TERMINATED = 143


@dataclass
class Environment:
    """Where the CLI reads and writes: injectable, so tests need no patching."""

    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
