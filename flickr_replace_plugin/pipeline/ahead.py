"""What a file's remote stages will ask, asked before they run so that independent calls go out
together: the run's shared answers (size limit, user) and, while those are still on their way,
the photo's getInfo. Nothing is sent and nothing is decided here; the stages wait for the answers."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..flickr.responses import FlickrFailure
from ..result import ResultError
from ..safety.targets import PhotoInfo
from .context import FileRun

if TYPE_CHECKING:
    from .services import Services

INFO = "info"


def ask_ahead(file: FileRun, services: "Services") -> None:
    """Starts the shared questions; the photo's getInfo too when it would otherwise wait for them."""
    waiting = services.prefetch()
    if waiting and needs_info(file, services):
        pid = file.result.photo_id or ""
        file.ahead[INFO] = services.ahead(lambda: photo_info(pid, services))


def needs_info(file: FileRun, services: "Services") -> bool:
    return not file.new and (services.verify or services.backup)


def photo_info(pid: str, services: "Services") -> PhotoInfo | ResultError:
    """getInfo's answer (retried), or why there is none."""
    try:
        return PhotoInfo(pid, services.retry(lambda: services.client().photo_info(pid)))
    except FlickrFailure as exc:
        return exc.error


def info_for(file: FileRun, services: "Services") -> PhotoInfo | ResultError:
    """The answer asked ahead, else asked now."""
    started = file.ahead.pop(INFO, None)
    return started.result() if started is not None else photo_info(file.result.photo_id or "", services)
