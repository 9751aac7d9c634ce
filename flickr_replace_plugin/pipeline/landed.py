"""A send that landed (at once, or when its ticket finished): the result's final state and the id
recorded next to the file, so that its next export finds the photo."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..photoid.candidates import CALLER_SOURCES
from ..result import ReplaceResult, Status
from ..photoid.record import record_photo_id
from .origin import record_upload, source_image

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger("flickr_replace.core")


def replaced(result: ReplaceResult, services: "Services") -> None:
    """The photo holds the file now; a caller's id is recorded with --record (next to the source
    image when a host named one: never beside a temporary export)."""
    result.status = Status.REPLACED
    if services.config.record and result.source in CALLER_SOURCES:
        try:
            record_photo_id(source_image(result.path, services.options.metadata) or result.path, result.photo_id)
        except Exception as exc:  # the replace is done; only the note for next time is missing
            log.warning("could not record the photo id next to %s: %s", result.path,
                        getattr(exc, "strerror", None) or type(exc).__name__)


def uploaded(result: ReplaceResult, photo_id: str, services: "Services") -> None:
    """A new photo: recorded next to the source image, so its next export replaces it."""
    result.status, result.photo_id = Status.UPLOADED, photo_id
    record_upload(result, services.options.metadata, services.config.state_path)
