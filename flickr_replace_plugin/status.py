"""Every exit status of the command, with what it means: the one place the numbers are written.

A leaf module (standard library only), so the signal handler, the sandbox, the CLI's help and
plugin.yaml all take the codes from here."""
from __future__ import annotations

import enum


class ExitStatus(enum.IntEnum):
    """The command's exit status; `meaning` is the sentence the help and plugin.yaml print."""

    OK = 0
    FAILED = 1
    USAGE = 2
    INTERRUPTED = 130
    TERMINATED = 143

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS = {
    ExitStatus.OK: "every path ended replaced, uploaded, pending, skipped or dry-run",
    ExitStatus.FAILED: "at least one path failed",
    ExitStatus.USAGE: "the command line or the configuration was wrong (nothing sent)",
    ExitStatus.INTERRUPTED: "interrupted by Ctrl-C (SIGINT): known results printed, pending tickets saved",
    ExitStatus.TERMINATED: "terminated by SIGTERM: known results printed, pending tickets saved",
}


def described() -> str:
    """One line per status, code first: the help's epilog and plugin.yaml's comment."""
    return "\n".join(f"{status.value:<4} {status.meaning}" for status in ExitStatus)
