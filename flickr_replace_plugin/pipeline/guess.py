"""The photo's small image asked before getInfo answers, at the address the photo's last send
through this tool left it (its static server then, the secret Flickr gave the new version), so
the picture check's download does not wait a round trip behind getInfo.

A guess is only a head start, never an answer: its bytes are used only when the address getInfo
then gives is exactly the one guessed. A photo replaced on flickr.com since, or moved to another
server (whether a replace may move it is not documented; the server is taken as a guess too),
costs one small wasted download and the check fetches the right address as before."""
from __future__ import annotations

import io
from typing import TYPE_CHECKING, BinaryIO, Callable

from ..safety.same import MAX_SMALL_BYTES, SIZES
from ..safety.targets import PhotoInfo
from .context import FileRun

if TYPE_CHECKING:
    from concurrent.futures import Future

    from .services import Services

Download = Callable[..., int]


class Guessed:
    """One small image asked at a guessed address."""

    def __init__(self, url: str, fetched: "Future[bytes | None]") -> None:
        self.url, self.fetched = url, fetched

    def or_else(self, download: Download) -> Download:
        """`download`, answered from the guess when asked for the guessed address and it came."""
        def fetch(url: str, into: BinaryIO, max_bytes: int | None = None) -> int:
            data = self.fetched.result() if url == self.url else None
            if data is None:
                return download(url, into, max_bytes)
            into.write(data)
            return len(data)
        return fetch


def guess_small(file: FileRun, services: "Services") -> Guessed | None:
    """The small image's download begun at the address its last send left it; None when the
    journal knows no such send (nothing is asked then)."""
    pid = file.result.photo_id or ""
    last = services.journal.last_sent(pid)
    if not last or not last.get("server") or not last.get("secret"):
        return None
    url = PhotoInfo(pid, {"server": last["server"], "secret": last["secret"]}).static_url(
        services.config.base_url, SIZES[0])
    if url is None:
        return None

    def fetch() -> bytes | None:
        buffer = io.BytesIO()
        try:
            services.download(url, buffer, MAX_SMALL_BYTES)
        except Exception:  # noqa: BLE001 - a wrong guess (404) or the network: the check asks again
            return None
        return buffer.getvalue()

    return Guessed(url, services.ahead(fetch))
