"""A send that landed (at once, or when its ticket finished): the result's final state and the id
recorded next to the file, so that its next export finds the photo."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..flickr.responses import FlickrFailure
from ..photoid.candidates import CALLER_SOURCES
from ..result import ReplaceResult, Status
from ..photoid.record import record_photo_id
from .metadata import follow
from .origin import record_upload, source_image

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger("flickr_replace.core")


def replaced(result: ReplaceResult, services: "Services") -> None:
    """The photo holds the file now, and its metadata follows; a caller's id is recorded with --record
    (next to the source image when a host named one: never beside a temporary export)."""
    result.status = Status.REPLACED
    follow(result, services)
    if services.config.record and result.source in CALLER_SOURCES:
        try:
            record_photo_id(source_image(result.path, services.options.metadata) or result.path, result.photo_id)
        except Exception as exc:  # the replace is done; only the note for next time is missing
            log.warning("could not record the photo id next to %s: %s", result.path,
                        getattr(exc, "strerror", None) or type(exc).__name__)


def uploaded(result: ReplaceResult, photo_id: str, services: "Services") -> None:
    """A new photo: recorded next to the source image, so its next export replaces it."""
    result.status, result.photo_id = Status.UPLOADED, photo_id
    if result.secret is None:  # skip-unchanged knows the photo still holds this send by its secrets
        fill_secrets(result, services)
    follow(result, services)
    record_new(result, photo_id, services)


def record_new(result: ReplaceResult, photo_id: str, services: "Services") -> None:
    """A new photo's id next to the source image (a warning when it cannot be written)."""
    result.photo_id = photo_id
    record_upload(result, services.options.metadata, services.config.state_path)


def fill_secrets(result: ReplaceResult, services: "Services") -> None:
    """The photo's new secrets (getInfo); replaced all the same when they stay unknown (null)."""
    try:
        result.secret, result.originalsecret = services.retry(
            lambda: services.client().photo_secrets(result.photo_id or ""))
    except FlickrFailure as exc:
        log.warning("photo %s sent, but its new secrets are unknown: %s", result.photo_id, exc.error.message)
