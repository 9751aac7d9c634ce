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


class Withheld(Exception):
    """The checks refused the file: the body begun beside them is cut short (never retried)."""


class EarlySend:
    """One body on its way while the checks run; `go` lets it end, `abort` cuts it short.

    :param send: the whole send (retries included), given the `hold` its body's end waits on."""

    def __init__(self, services: "Services", result: "ReplaceResult",
                 send: "Callable[[Callable[[], None]], UploadAnswer]") -> None:
        self._verdict = threading.Event()
        self._go = False
        self.result = result
        self.future: "Future[UploadAnswer]" = services.in_background(lambda: send(self.hold))

    def hold(self) -> None:
        """Before the body's last bytes (on the sending thread): the checks' verdict."""
        self._verdict.wait()
        if not self._go:
            raise Withheld

    def go(self) -> "UploadAnswer":
        """Every check passed: the body ends, and Flickr's answer (or the send's failure) comes."""
        self._go = True
        self._verdict.set()
        return self.future.result()

    def abort(self) -> None:
        """A stage ended the file's run before the send (a refusal, a skip): the body is cut short
        and the attempt it made is not counted (nothing it sent could replace the photo)."""
        if self._verdict.is_set():
            return
        self._verdict.set()
        self.future.exception()  # the sending thread has let go of the file and the connection
        self.result.attempts = 0


class Positional:
    """The checked file read at an offset of its own (os.pread): the body and the checks read the
    one open file side by side without moving each other's place; the path is never opened again,
    so what was checked is what is sent."""

    def __init__(self, file: BinaryIO) -> None:
        self.fd, self.offset = file.fileno(), 0

    def fileno(self) -> int:
        return self.fd

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence != os.SEEK_SET:
            raise ValueError("only absolute offsets")
        self.offset = offset
        return offset

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = max(0, os.fstat(self.fd).st_size - self.offset)
        block = os.pread(self.fd, size, self.offset)  # type: ignore[attr-defined]  # POSIX only
        self.offset += len(block)
        return block


def can_read_beside() -> bool:
    """The system reads one open file at two places at once (Windows has no os.pread: there the
    ordinary send after the checks does it all)."""
    return hasattr(os, "pread")
