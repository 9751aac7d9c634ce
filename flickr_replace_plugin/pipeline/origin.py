"""The source image a file was exported from, and where a new photo's id is recorded.

A host that exports to a temporary file (darktable) names the source image (`--original`, or
`original` in the export's own NAME.EXT.flickr.json for a batch). A new photo's id is recorded
next to that source, never next to the temporary export: the export is deleted, and an id file
left beside it would be read by the next export of another image with the same file name.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Mapping

from ..result import ReplaceResult

log = logging.getLogger("flickr_replace.origin")


def source_image(path: str, metadata: Mapping[str, Any] | None) -> str | None:
    """The source image `path` was exported from: `--original` (``metadata["original"]``), else
    the one the host's per-file note beside the export names; None when neither names one."""
    original = (metadata or {}).get("original")
    if isinstance(original, (str, os.PathLike)) and os.fspath(original):
        return os.fspath(original)
    from ..photoid.original import original_named_for

    return original_named_for(path)


def record_upload(result: ReplaceResult, metadata: Mapping[str, Any] | None, state_dir: str | os.PathLike) -> None:
    """Record a new photo's id next to its source image, so the source's next export replaces it.

    The source is the one named now, else the one the journal kept with the upload (a ticket that
    `flickr-replace tickets` finishes after the host removed its export). With no source, the id
    goes next to the file itself only while it is still there; otherwise a warning says what to do."""
    from ..photoid.record import record_photo_id

    photo_id = str(result.photo_id)
    where = source_image(result.path, metadata) or _journalled_source(result, state_dir)
    if where is None and os.path.exists(result.path):
        where = result.path
    if where is None:
        result.warnings.append(f"uploaded as photo {photo_id}, but {result.path} is gone and no source image was "
                               f"named, so its id is recorded nowhere: tag or record photo {photo_id} on the "
                               "source image, or a second copy would be uploaded")
        return
    try:
        record_photo_id(where, photo_id)
    except (OSError, ValueError) as exc:
        result.warnings.append(f"uploaded as photo {photo_id}, but its id could not be recorded next to "
                               f"{where} ({getattr(exc, 'strerror', None) or exc}): pass --photo-id "
                               f"{photo_id} next time, or a second copy would be uploaded")


def _journalled_source(result: ReplaceResult, state_dir: str | os.PathLike) -> str | None:
    if result.journal_entry is None:
        return None
    from ..errors import JournalUnavailable
    from ..safety.journal import Journal

    try:
        return Journal(state_dir).original_of(result.journal_entry)
    except JournalUnavailable as exc:  # the upload is done; the warning below names what is missing
        log.warning("%s", exc)
        return None
