"""The photo's small image, and its original for the backup, asked before getInfo answers, at the
addresses the photo's last send through this tool left them (its static server then, the secrets
Flickr gave the new version, the original's format as it was), so neither download waits a round
trip behind getInfo.

A guess is only a head start, never an answer: its bytes are used only when the address getInfo
then gives is exactly the one guessed. A photo replaced on flickr.com since, or moved to another
server (whether a replace may move it is not documented; the server is taken as a guess too),
costs one wasted download (a 404, unless a cache still serves the old address) and the check and
the backup fetch the right addresses as before. A guessed backup not taken is deleted."""
from __future__ import annotations

import io
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, BinaryIO, Callable

from ..safety.backup import BackupFailed, Saved, discard, write_record
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
        """`download`, answered from the guess when asked for the guessed address and it came."""
        def fetch(url: str, into: BinaryIO, max_bytes: int | None = None) -> int:
            data = self.fetched.result() if url == self.url else None
            if data is None:
                return download(url, into, max_bytes)
            into.write(data)
            return len(data)
        return fetch


class GuessedBackup:
    """The backup's download begun at a guessed address of the original."""

    def __init__(self, url: str, saving: "Future[Saved]") -> None:
        self.url, self.saving = url, saving

    def taken_for(self, info: PhotoInfo, base_url: str | None) -> "Future[Saved] | None":
        """The backup, once saved and recorded with getInfo's own answer, when getInfo names the
        guessed address; else None, the guessed file deleted (waited for: it is in the backup folder)."""
        if info.static_url(base_url, "o") != self.url:
            self.abandon()
            return None
        taken: "Future[Saved]" = Future()
        taken.set_running_or_notify_cancel()

        def recorded(saving: "Future[Saved]") -> None:
            try:
                saved = saving.result()
                write_record(saved, info)
            except BaseException as exc:  # noqa: BLE001 - handed on: the backup stage words it
                taken.set_exception(exc)
            else:
                taken.set_result(saved)

        self.saving.add_done_callback(recorded)
        return taken

    def abandon(self) -> None:
        """Not taken (a wrong guess, or the file's stages ended before the backup's): whatever it
        saved is deleted, once its download is over (waited for: it writes in the backup folder)."""
        if self.saving.cancel():
            return
        try:
            discard(self.saving.result())
        except BackupFailed:
            pass  # nothing was saved (the usual wrong guess: the address is gone)


def guess_backup(photo_id: str, services: "Services", last: dict[str, Any] | None,
                 save: Callable[[PhotoInfo], Saved]) -> GuessedBackup | None:
    """The original's download begun at the address `last` (send) left it (`save` saves it as a
    backup); None when there is no such send."""
    previous = (last or {}).get("previous") or {}
    if not last or not last.get("originalsecret") or not previous.get("originalformat"):
        return None
    guess = PhotoInfo(photo_id, {"server": last["server"], "originalsecret": last["originalsecret"],
                                                   "originalformat": previous["originalformat"]})
    url = guess.static_url(services.config.base_url, "o")
    return GuessedBackup(url, services.ahead(lambda: save(guess))) if url else None


def guess_small(photo_id: str, services: "Services", last: dict[str, Any] | None) -> Guessed | None:
    """The small image's download begun at the address `last` (send) left it; None when there is no
    such send (nothing is asked then)."""
    if not last or not last.get("secret"):
        return None
    url = PhotoInfo(photo_id, {"server": last["server"], "secret": last["secret"]}).static_url(
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
