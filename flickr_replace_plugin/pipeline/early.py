"""A replace's body sent beside its checks: once the target check has passed (a wrong id sends
nothing), the file's bytes go out while the picture check and the backup run, and the body's last
bytes wait for their verdict.

Flickr takes no body cut short (a request whose body ends before its Content-Length is never
processed: the same reading whole versions and the backup's wait already rest on), so a file the
checks refuse has its body cut short and nothing is replaced. What this buys: the upload no
longer waits for the small image's round trip (on a photo this tool never sent) nor for the
picture comparison, and runs beside the backup's download from its start.

Left to the ordinary send: a new photo (its duplicate searches decide whether it goes at all), an
undo, a dry run, metadata only, and a file sent last with these very bytes (it is probably skipped
as unchanged: sending it anyway would waste the bytes)."""
from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, BinaryIO, Callable

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ..flickr.responses import UploadAnswer
    from ..result import ReplaceResult
    from .services import Services


MAX_HOLD_S = 20.0  # a body's end held longer is cut, and the file sent the ordinary way after the checks

# How long Flickr's front end lets a request body sit idle is not documented: the hold is kept short,
# and what outlasts it (checks slowed by retries, a busy batch) costs a second send, never a wrong one.


class Withheld(Exception):
    """The checks refused the file (or took too long): the body begun beside them is cut short."""


class EarlySend:
    """One body on its way while the checks run; `go` lets it end, `abort` cuts it short."""

    def __init__(self, services: "Services", result: "ReplaceResult") -> None:
        self._verdict = threading.Event()
        self._go = False
        self.services, self.result = services, result
        self.future: "Future[UploadAnswer] | None" = None

    def start(self, send: "Callable[[Callable[[], None]], UploadAnswer]") -> None:
        """`send`: the whole send (retries included), given the `hold` its body's end waits on."""
        self.future = self.services.in_background(lambda: send(self.hold))

    def hold(self) -> None:
        """Before the body's last bytes (on the sending thread): the checks' verdict."""
        if not self._verdict.wait(MAX_HOLD_S):
            raise Withheld("the checks took too long")
        if not self._go:
            raise Withheld("a check refused the file")

    def refused(self) -> bool:
        """A verdict against the file: the body stops at its next block."""
        return self._verdict.is_set() and not self._go

    def go(self) -> "UploadAnswer | None":
        """Every check passed: the body ends, and Flickr's answer (or the send's failure) comes;
        None when the body was cut for waiting too long (the caller sends the file itself)."""
        self._go = True
        self._verdict.set()
        assert self.future is not None, "started before the checks"
        try:
            return self.future.result()
        except Withheld:
            self.result.attempts = 0  # nothing it sent could replace the photo
            return None

    def abort(self) -> None:
        """A stage ended the file's run before the send (a refusal, a skip): the body is cut short
        and the attempt it made is not counted (nothing it sent could replace the photo)."""
        if self._verdict.is_set() or self.future is None:
            return
        self._verdict.set()
        self.future.exception()  # the sending thread has let go of the file and the connection
        self.result.attempts = 0


class Positional:
    """The checked file read at an offset of its own (os.pread): the body and the checks read the
    one open file side by side without moving each other's place; the path is never opened again,
    so what was checked is what is sent. Once a check refuses the file, the next read ends the body
    (not the whole file sent for nothing)."""

    def __init__(self, file: BinaryIO, refused: Callable[[], bool]) -> None:
        self.fd, self.offset, self.refused = file.fileno(), 0, refused

    def fileno(self) -> int:
        return self.fd

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence != os.SEEK_SET:
            raise ValueError("only absolute offsets")
        self.offset = offset
        return offset

    def read(self, size: int = -1) -> bytes:
        if self.refused():
            raise Withheld("a check refused the file")
        if size < 0:
            size = max(0, os.fstat(self.fd).st_size - self.offset)
        block = os.pread(self.fd, size, self.offset)  # type: ignore[attr-defined]  # POSIX only
        self.offset += len(block)
        return block


def can_read_beside() -> bool:
    """The system reads one open file at two places at once (Windows has no os.pread: there the
    ordinary send after the checks does it all)."""
    return hasattr(os, "pread")
