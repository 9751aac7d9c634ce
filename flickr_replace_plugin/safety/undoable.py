"""Which backup an undo puts back: chosen from the journal, found and checked before anything is sent.

Undo never skips a version. By default it puts back the backup taken before this tool's last send
to the photo; when that send ran without one, the version it overwrote was never saved, and undo
fails `no_backup` rather than put back an older one (`--to TIME` chooses one on purpose). A backup
goes back only as it was saved: the size and sha256 recorded then (in the journal, and in
`UTCSTAMP.json` beside it) must still be the file's, else `backup_damaged`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..result import ResultError
from .backup import recorded
from .journal import SENT_STATUSES
from .versions import file_sha256

RESTORE = "restore"  # a put-back after a mixed upload: the photo holds its failed replace's backup again
LISTS = "`flickr-replace history {pid}` lists each version's backup; `flickr-replace undo {pid} --to TIME` puts back one"


@dataclass(frozen=True)
class Chosen:
    """The backup to send, and what the journal says of the photo's versions around it."""

    backup: Path           # where it is now (under the current backup_dir when it was moved there)
    entry: dict[str, Any]  # the send it was taken before
    last: dict[str, Any]   # this tool's last send to the photo: the secrets it left there
    note: str | None       # what goes back, when that may surprise (an undo undone)


def choose(entries: list[dict[str, Any]], photo_id: str, backup_dir: Path, to: str | None = None) -> Chosen | ResultError:
    """The photo's backup to put back; `entries` are its journal entries, newest first."""
    sends = [e for e in entries if e["status"] in SENT_STATUSES]
    if not sends:
        return _no_backup(f"this tool has not replaced photo {photo_id}, so it keeps no earlier version of it "
                          f"to put back ({LISTS.format(pid=photo_id)})")
    if to is not None:
        entry = _at(entries, photo_id, to)
        if isinstance(entry, ResultError):
            return entry
    else:  # a restore put back its failed replace's backup: the version before is the one undone to
        entry = next((e for e in sends if e["command"] != RESTORE), sends[0])
    if not entry["backup"]:
        return _unsaved(entry, photo_id)
    backup = _found(Path(entry["backup"]), photo_id, backup_dir)
    if isinstance(backup, ResultError):
        return backup
    damaged = _damaged(backup, entry, photo_id)
    if damaged is not None:
        return damaged
    note = None
    if entry["command"] == "undo" and to is None:
        note = (f"this undoes the undo of {entry['time']}: it puts back the version that undo overwrote, "
                f"{_version(entry)}, from {backup}; {LISTS.format(pid=photo_id)}")
    return Chosen(backup, entry, sends[0], note)


def replaced_outside(chosen: Chosen, now: dict[str, Any] | None) -> bool:
    """The photo's secrets before the undo (`now`) are not the ones this tool's last send left."""
    left = (chosen.last.get("secret"), chosen.last.get("originalsecret"))
    return bool(now) and None not in left and left != (now.get("secret"), now.get("originalsecret"))


def _at(entries: list[dict[str, Any]], photo_id: str, to: str) -> dict[str, Any] | ResultError:
    """The entry at `to`: its time as history prints it, the full ISO time, or a shorter start of it."""
    wanted = _digits(to)
    matches = [e for e in entries if wanted and _digits(e["time"]).startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        return _no_backup(f"the journal has no entry of photo {photo_id} at {to}; {LISTS.format(pid=photo_id)}")
    return _no_backup(f"{len(matches)} entries of photo {photo_id} match {to} ("
                      f"{', '.join(e['time'] for e in matches[:5])}): give one time as history prints it")


def _digits(text: str) -> str:
    return "".join(re.findall(r"\d", text))


def _unsaved(entry: dict[str, Any], photo_id: str) -> ResultError:
    """No backup before that send: say which version is missing, and how to go further back on purpose."""
    if entry["command"] == "upload":
        return _no_backup(f"photo {photo_id} was uploaded new by this tool ({entry['time']}): it has no earlier "
                          "version to put back")
    return _no_backup(f"the {entry['command']} of photo {photo_id} at {entry['time']} (from {entry['path']}) ran "
                      f"without a backup (--no-backup or `backup: false`), so the version it overwrote, "
                      f"{_version(entry)}, was not saved and cannot be put back; nothing sent. Undo does not skip "
                      f"it silently: {LISTS.format(pid=photo_id)} older than that")


def _version(entry: dict[str, Any]) -> str:
    previous = entry.get("previous") or {}
    secret = previous.get("originalsecret")
    return f"the one with original secret {secret}" if secret else "the one before it"


def _found(backup: Path, photo_id: str, backup_dir: Path) -> Path | ResultError:
    """The recorded path, else the same name under the current backup_dir (the backups were moved)."""
    if backup.is_file():
        return backup
    moved = backup_dir / photo_id / backup.name
    if moved.is_file():
        return moved
    return _no_backup(f"the backup of photo {photo_id} is gone: neither {backup} nor {moved} is there. If you "
                      f"moved the backups, point `backup_dir` at the folder holding {photo_id}/{backup.name}")


def _damaged(backup: Path, entry: dict[str, Any], photo_id: str) -> ResultError | None:
    """Refused unless the file has every size and sha256 recorded for it when it was saved."""
    records = [(entry["backup_bytes"], entry["backup_sha256"])] if entry.get("backup_sha256") else []
    beside = recorded(backup)
    if beside.get("sha256"):
        records.append((beside.get("size"), beside["sha256"]))
    if not records:
        return _refuse(backup, photo_id, "no size or sha256 was recorded when it was saved (an earlier version of "
                       "this tool saved it), so it cannot be told whole; look at it, and if it is right, send it "
                       f"yourself: `flickr-replace replace {backup} --photo-id {photo_id}`")
    size = backup.stat().st_size
    for want_size, want_sha in records:
        if size != want_size:
            return _refuse(backup, photo_id, f"it was saved with {want_size} bytes and has {size} now (cut short or "
                           "rewritten)")
    with open(backup, "rb") as fh:
        digest = file_sha256(fh)
    if any(digest != want_sha for _, want_sha in records):
        return _refuse(backup, photo_id, "its bytes are not the ones saved (rewritten since: an image viewer's "
                       "rotate or an editor's save does that)")
    return None


def _refuse(backup: Path, photo_id: str, why: str) -> ResultError:
    return ResultError.refusal("backup_damaged", f"the backup {backup} of photo {photo_id} was not put back, "
                               f"nothing sent: {why}; {LISTS.format(pid=photo_id)}")


def _no_backup(message: str) -> ResultError:
    return ResultError.refusal("no_backup", message)
