"""The photo's small image, and its original for the backup, asked before getInfo answers, at the
addresses the photo's last send through this tool left them (its static server then, the secrets
Flickr gave the new version, the original's format as it was), so neither download waits a round
trip behind getInfo.

A guess is only a head start, never an answer: its bytes are used only when the address getInfo
then gives is exactly the one guessed. A photo replaced on flickr.com since, or moved to another
server (whether a replace may move it is not documented; the server is taken as a guess too),
costs one wasted download (a 404, unless a cache still serves the old address) and the check and
the backup fetch the right addresses as before. A guessed original keeps its temporary name until
it is taken, and is deleted when it is not (a run killed first leaves it as a `.part` file)."""
from __future__ import annotations

import io
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, BinaryIO, Callable

from ..safety.backup import BackupFailed, Downloaded, Saved, discard, keep
from ..safety.same import MAX_SMALL_BYTES, SIZES
from ..safety.targets import PhotoInfo

if TYPE_CHECKING:
    from .services import Services

Download = Callable[..., int]


class Guessed:
    """One small image asked at a guessed address."""

    def __init__(self, url: str, fetched: "Future[bytes | None]") -> None:
        self.url, self.fetched = url, fetched

    def or_else(self, download: Download) -> Download:
        """`download`, answered from the guess when asked for the guessed address and it came (a
        guess still waiting for a worker is dropped, not waited for)."""
        def fetch(url: str, into: BinaryIO, max_bytes: int | None = None) -> int:
            data = self.fetched.result() if url == self.url and not self.fetched.cancel() else None
            if data is None:
                return download(url, into, max_bytes)
            into.write(data)
            return len(data)
        return fetch


class GuessedBackup:
    """The original downloaded at a guessed address, under a temporary name until it is taken."""

    def __init__(self, url: str, downloading: "Future[Downloaded]") -> None:
        self.url, self.downloading = url, downloading

    def taken_for(self, info: PhotoInfo, base_url: str | None, undo: bool = False) -> "Future[Saved] | None":
        """The backup, once downloaded and kept as the backup of the photo getInfo described, when
        getInfo names the guessed address; else None, the download dropped."""
        if info.static_url(base_url, "o") != self.url:
            self.abandon()
            return None
        taken: "Future[Saved]" = Future()
        taken.set_running_or_notify_cancel()

        def kept(downloading: "Future[Downloaded]") -> None:
            try:
                saved = keep(downloading.result(), info, undo=undo)
            except BaseException as exc:  # noqa: BLE001 - BackupFailed, handed on for the stage to word
                taken.set_exception(exc)
            else:
                taken.set_result(saved)

        self.downloading.add_done_callback(kept)
        return taken

    def abandon(self) -> None:
        """Not taken (a wrong guess, or the file's stages ended before the backup's): its download is
        deleted once it ends, without waiting for it here (a run's end waits for its workers)."""
        if self.downloading.cancel():
            return

        def drop(downloading: "Future[Downloaded]") -> None:
            try:
                discard(downloading.result())
            except BackupFailed:
                pass  # nothing was kept (the usual wrong guess: the address is gone)

        self.downloading.add_done_callback(drop)


def guessed_photo(photo_id: str, last: dict[str, Any] | None) -> PhotoInfo | None:
    """The photo as the journal's `last` send to it left it: the server it was on then, the
    secrets Flickr gave that send, the original's format as it was (None when no server is known)."""
    if not last or not last.get("server"):
        return None
    previous = last.get("previous") or {}
    return PhotoInfo(photo_id, {"server": last["server"], "secret": last.get("secret"),
                                "originalsecret": last.get("originalsecret"),
                                "originalformat": previous.get("originalformat")})


def guess_backup(guess: PhotoInfo, services: "Services",
                 fetch: Callable[[PhotoInfo], Downloaded]) -> GuessedBackup | None:
    """The original's download begun at its guessed address (`fetch` downloads it into the backup
    folder); None when the guess has no such address."""
    url = guess.static_url(services.config.base_url, "o")
    return GuessedBackup(url, services.ahead(lambda: fetch(guess))) if url else None


def guess_small(guess: PhotoInfo, services: "Services") -> Guessed | None:
    """The small image's download begun at its guessed address; None when the guess has no such
    address (nothing is asked then)."""
    url = guess.static_url(services.config.base_url, SIZES[0])
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
