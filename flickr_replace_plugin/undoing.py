"""Undo: replace each photo with the backup taken before this tool's last send to it.

It is a replace like any other (checks 1 and 2 apply, it is journalled as `undo`), with undo's own
rules (pipeline/remote.py): no picture check or skip-unchanged, and a fresh backup always taken
first, so an undo can itself be undone. Which backup goes back, and whether it is still as it was
saved, is decided before anything is sent (safety/undoable.py)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .core import replace_many
from .errors import JournalUnavailable
from .options import run_options
from .pipeline.remote import UNDO
from .result import ReplaceResult, ResultError
from .safety.journal import Journal
from .safety.targets import duplicate_targets
from .safety.undoable import Chosen, choose, replaced_outside

if TYPE_CHECKING:
    from .config import Config
    from .plugins import Plugins

log = logging.getLogger("flickr_replace.core")


def undo_many(photo_ids: Iterable[str], *, to: str | None = None, config: "Config | None" = None,
              plugins: "Plugins | None" = None, **options: Any) -> Iterator[ReplaceResult]:
    """One result per photo id, `source` `backup`; `failed` with reason `no_backup` (no backup of the
    version to put back) or `backup_damaged` (not as it was saved), nothing sent then.

    :param to: put back the backup taken before the send at this time (as `history` prints it)."""
    from .plugins import get_plugins

    ids = [str(p).strip() for p in photo_ids]
    plugins = plugins or get_plugins()
    config = run_options(config, plugins).config
    journal = Journal(config.state_path)
    duplicates = duplicate_targets({f"photo {pid} #{n}": pid for n, pid in enumerate(ids)})
    for n, pid in enumerate(ids):
        chosen = duplicates.get(f"photo {pid} #{n}") or _chosen(journal, pid, config, to)
        if isinstance(chosen, ResultError):
            yield ReplaceResult(path=pid, photo_id=pid, source="backup").fail(chosen)
            continue
        if chosen.note:
            log.warning("photo %s: %s", pid, chosen.note)
        for result in replace_many([str(chosen.backup)], photo_id=pid, config=config, plugins=plugins,
                                   command=UNDO, **options):
            yield _told(result, chosen)


def undo(photo_id: str, **options: Any) -> ReplaceResult:
    """Put back one photo's original from before this tool's last replace of it (a ReplaceResult)."""
    [result] = undo_many([photo_id], **options)
    return result


def _chosen(journal: Journal, pid: str, config: "Config", to: str | None) -> Chosen | ResultError:
    try:
        return choose(journal.versions(pid), pid, config.backup_path, to)
    except JournalUnavailable as exc:
        return ResultError.refusal("journal_failed", f"photo {pid} was not put back: {exc}")
    except OSError as exc:  # the backup went away while it was checked
        return ResultError.refusal("no_backup", f"the backup of photo {pid} cannot be read "
                                                f"({exc.strerror or exc}): nothing sent")


def _told(result: ReplaceResult, chosen: Chosen) -> ReplaceResult:
    """The result says what went back when that may surprise, and names the version a replace on
    flickr.com left there since this tool's last send (undo's fresh backup holds it)."""
    if chosen.note:
        result.warnings.append(chosen.note)
    if result.backup and replaced_outside(chosen, result.previous):
        warning = (f"photo {result.photo_id} was replaced outside this tool since its last send "
                   f"({chosen.last['time']}); that version is saved in {result.backup} "
                   f"(`flickr-replace undo {result.photo_id}` puts it back)")
        result.warnings.append(warning)
        log.warning("%s", warning)
    return result
