"""Undo: replace each photo with the backup taken before this tool's last send to it.

It is a replace like any other (checks 1 and 2 apply, a fresh backup is taken first and it is
journalled as `undo`), so an undo can itself be undone."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from .core import replace_many
from .errors import JournalUnavailable
from .options import run_options
from .result import ReplaceResult, ResultError
from .safety.journal import Journal
from .safety.targets import duplicate_targets

if TYPE_CHECKING:
    from .config import Config
    from .plugins import Plugins


def undo_many(photo_ids: Iterable[str], *, config: "Config | None" = None, plugins: "Plugins | None" = None,
              **options: Any) -> Iterator[ReplaceResult]:
    """One result per photo id, `source` `backup`; without a backup: `failed`, reason `no_backup`."""
    from .plugins import get_plugins

    ids = [str(p).strip() for p in photo_ids]
    plugins = plugins or get_plugins()
    config = run_options(config, plugins).config
    journal = Journal(config.state_path)
    duplicates = duplicate_targets({f"photo {pid} #{n}": pid for n, pid in enumerate(ids)})
    for n, pid in enumerate(ids):
        refused = duplicates.get(f"photo {pid} #{n}")
        try:
            entry = None if refused else journal.last_backup(pid)
        except JournalUnavailable as exc:
            entry, refused = None, ResultError.refusal("journal_failed", f"photo {pid} was not put back: {exc}")
        backup = entry["backup"] if entry else None
        if refused is None and (backup is None or not os.path.isfile(backup)):
            where = f" ({backup} is gone)" if backup else ""
            refused = ResultError.refusal("no_backup", f"no backup of photo {pid} to put back{where}: this tool "
                                          "keeps one only for photos it replaced with backups on "
                                          "(`flickr-replace history` lists them)")
        if refused is not None:
            yield ReplaceResult(path=backup or pid, photo_id=pid, source="backup").fail(refused)
            continue
        yield from replace_many([backup], photo_id=pid, config=config, plugins=plugins, command="undo", force=True,
                                **options)


def undo(photo_id: str, **options: Any) -> ReplaceResult:
    """Put back one photo's original from before this tool's last replace of it (a ReplaceResult)."""
    [result] = undo_many([photo_id], **options)
    return result
