"""Stages 2 to 5, all decided before Flickr sees the file: the local checks, the plugins' veto, the
caller's id against the file's own, and the duplicate guard."""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from ..photoid.candidates import CALLER_SOURCES
from ..photoid.resolve import resolve_photo_id
from ..preflight import check_size
from ..result import ResultError, Status
from ..safety.caller import CALLER_KEYS, caller_disagrees
from .ahead import ask_ahead
from .context import FileRun, Outcome
from .earlier import earlier_upload

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger("flickr_replace.core")


def local_checks(file: FileRun, services: "Services") -> Outcome:
    """The file is there and an image Flickr takes, its id is known (or it is a new photo), and it
    fits the account's size limit."""
    if isinstance(file.checked, ResultError):  # before the id's verdict: "no such file" says more
        return file.checked
    resolution = file.resolution
    if resolution is not None and resolution.error is not None and not _uploads_missing(file, services):
        return resolution.error
    log.info("%s: local checks passed (%s, %d bytes)", file.path, file.file.kind, file.file.size)
    ask_ahead(file, services)
    return fits(file, services)


def fits(file: FileRun, services: "Services") -> Outcome:
    """The open file's size now within the account's limit; asked again just before sending, since
    a `before_replace` plugin may have rewritten the file in place since it was opened."""
    result = file.result
    result.bytes = os.fstat(file.file.file.fileno()).st_size
    limit, limit_error = (None, None) if services.options.dry_run else services.size_limit()
    return check_size(file.path, result.bytes, limit) or limit_error


def _uploads_missing(file: FileRun, services: "Services") -> bool:
    """No source named any id (not: ids that conflict or are not ids)."""
    resolution = file.resolution
    return bool(services.config.upload_missing and resolution is not None and not resolution.candidates
                and resolution.error is not None and resolution.error.reason == "no_photo_id")


def before_hooks(file: FileRun, services: "Services") -> Outcome:
    """The plugins' `before_replace`: a veto skips the file."""
    result = file.result
    veto = services.plugins.before_replace(file.path, result.photo_id, services.options.for_plugins(result.source))
    if veto is None:
        return None
    plugin, reason = veto
    result.status, result.error = Status.SKIPPED, ResultError.refusal("vetoed", f"{reason} (plugin {plugin})")
    return result


def caller_check(file: FileRun, services: "Services") -> Outcome:
    """The caller's id wins; a warning when the file's own sources name another photo."""
    result = file.result
    if result.source not in CALLER_SOURCES or file.resolution is None:
        return None
    own = [c for c in file.resolution.candidates if c.source not in CALLER_SOURCES]
    if not own:  # the caller's id won outright, so the file's own sources were not read: read them now
        metadata = {k: v for k, v in services.options.metadata.items() if k not in CALLER_KEYS}
        own = resolve_photo_id(file.path, metadata=metadata, plugins=services.plugins, checked=file.checked).candidates
    result.warnings += caller_disagrees(result.photo_id, own)
    return None


def duplicate_guard(file: FileRun, services: "Services") -> Outcome:
    """A new photo that an earlier attempt uploaded, or that is probably on Flickr already, is not
    uploaded again; two paths of the run that name one photo are neither sent."""
    earlier = earlier_upload(file, services)  # a photo an earlier attempt made of this file
    if earlier is not None:
        return earlier
    if file.new and services.remote:
        return services.guard().refusal(file.path)
    return services.duplicates.get(file.path)
