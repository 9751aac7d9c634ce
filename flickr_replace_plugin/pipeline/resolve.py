"""Stage 1, resolve: which photo the file replaces. Each file is resolved once per run."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..errors import PluginError
from ..photoid.resolve import resolve_photo_id
from ..preflight import Checked, open_checked
from ..result import ResultError
from ..safety.targets import duplicate_targets
from .context import FileRun, Outcome

if TYPE_CHECKING:
    from ..photoid.candidates import Resolution
    from .services import Services

log = logging.getLogger("flickr_replace.core")


def resolve_all(paths: list[str], services: "Services") -> None:
    """Resolve every path before any upload (cheap, local): two paths naming one photo send nothing.

    Only files that pass the local checks count: a missing file next to a good one names nothing.
    A single path cannot collide: it is resolved once, by its own run. Each resolution (or the
    plugin error it met) is kept for its file's run, which does not resolve it again."""
    if len(paths) < 2:
        return
    ids: dict[str, str | None] = {}
    for path in paths:
        checked = open_checked(path)
        try:
            services.resolved[path] = resolution = _resolve(path, checked, services)
        except PluginError as exc:
            services.resolved[path] = exc  # reported with the file's own result
            continue
        finally:
            if isinstance(checked, Checked):
                checked.close()
        if resolution.error is None and isinstance(checked, Checked):
            ids[path] = resolution.photo_id
    services.duplicates = duplicate_targets(ids)


def _resolve(path: str, checked: Checked | ResultError, services: "Services") -> "Resolution":
    options = services.options
    return resolve_photo_id(path, metadata=options.metadata, photo_id=options.photo_id, plugins=services.plugins,
                            checked=checked)


def resolve(file: FileRun, services: "Services") -> Outcome:
    """The file's id and its source, from Run.prepare when it resolved the batch, else read now."""
    known = services.resolved.pop(file.path, None)
    if isinstance(known, PluginError):
        raise known  # as the first look met it: this file stops like a veto
    resolution = file.resolution = known or _resolve(file.path, file.checked, services)
    result = file.result
    result.photo_id, result.source = resolution.photo_id, resolution.source
    if services.options.command == "undo" and resolution.error is None:
        result.source = "backup"
    if resolution.photo_id:
        log.info("%s: photo %s, id from %s", file.path, resolution.photo_id, _where(resolution))
    return None


def _where(resolution: "Resolution") -> str:
    """The chosen source with the field it was read from, as `resolve -v` lists it."""
    first = resolution.candidates[0] if resolution.candidates else None
    return f"{resolution.source} ({first.detail})" if first is not None and first.detail else str(resolution.source)
