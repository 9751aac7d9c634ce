"""Reading the `tickets.json` an earlier version wrote, whatever state it is in: every ticket still
readable is recovered, entry by entry, and the file itself is moved aside whole (never overwritten,
never over an earlier copy), so no saved ticket is lost."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fsutil import reserve_aside

Entry = dict[str, Any]
_TEXT, _WHOLE, _NUMBER, _MAPPING, _LIST = "text", "a whole number", "a number", "an object", "a list of text"
# Each field a saved ticket may hold, what it must be, and whether it must be there (more are kept as they are).
FIELDS: dict[str, tuple[str, bool]] = {
    "ticket_id": (_TEXT, True), "path": (_TEXT, True), "photo_id": (_TEXT, False), "source": (_TEXT, False),
    "attempts": (_WHOLE, False), "bytes": (_WHOLE, False), "previous": (_MAPPING, False),
    "backup": (_TEXT, False), "sha256": (_TEXT, False), "warnings": (_LIST, False), "journal": (_WHOLE, False),
    "saved_at": (_NUMBER, False), "claim": (_MAPPING, False),
}
# Where an entry may start in text that is no longer JSON: `"TICKET_ID": {`.
_ENTRY_START = re.compile(r'"((?:[^"\\\n]|\\.){1,200})"\s*:\s*\{')


@dataclass
class Read:
    """What one reading found: the valid tickets, the bad entries with why, and why the file as a
    whole is damaged (None when it is whole JSON of the right shape)."""

    tickets: dict[str, Entry] = field(default_factory=dict)
    bad: dict[str, str] = field(default_factory=dict)
    damaged: str | None = None

    @property
    def needs_warning(self) -> bool:
        return self.damaged is not None or bool(self.bad)


def read_tickets(path: Path) -> Read:
    """The file's tickets; {} when there is none. Raises OSError when it cannot be read at all."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Read()
    read = Read()
    text = data.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        read.damaged = f"it is not whole JSON ({exc})" if text.strip() else "it is empty"
        candidates = _salvage(text)
    else:
        tickets = parsed.get("tickets") if isinstance(parsed, dict) else None
        if isinstance(tickets, dict):
            candidates = list(tickets.items())
        else:
            read.damaged = "it is JSON, but not the shape of a ticket list ({\"version\": 1, \"tickets\": {...}})"
            candidates = _entries_in(parsed)
    for key, entry in candidates:
        entry = _coerced(entry)
        problem = entry_problem(str(key), entry)
        if problem is None:
            read.tickets[str(key)] = entry
        else:
            read.bad[str(key)] = problem
    return read


def _coerced(entry: Any) -> Any:
    """A photo id saved as a JSON number (`52345678901`) is the same id as text."""
    if isinstance(entry, dict) and type(entry.get("photo_id")) is int and entry["photo_id"] >= 0:
        return {**entry, "photo_id": str(entry["photo_id"])}
    return entry


def entry_problem(key: str, entry: Any) -> str | None:
    """Why an entry cannot be finished (a wrong type, a missing field), or None when it is fine."""
    if not isinstance(entry, dict):
        return f"it is {_kind(entry)}, not an object"
    for name, (kind, required) in FIELDS.items():
        value = entry.get(name)
        if value is None:
            if required:
                return f"it has no {name}"
            continue
        if not _is(kind, value):
            return f"its {name} must be {kind}, not {_kind(value)} {json.dumps(value)[:40]}"
    if entry["ticket_id"] != key:
        return f"it is saved under {key!r} but names ticket {entry['ticket_id']!r}"
    if entry.get("photo_id") is not None and not entry["photo_id"].isdigit():
        return f"its photo_id {entry['photo_id']!r} is not a Flickr photo id"
    return None


def _is(kind: str, value: Any) -> bool:
    if kind == _TEXT:
        return isinstance(value, str) and bool(value)
    if kind == _WHOLE:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if kind == _NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == _MAPPING:
        return isinstance(value, dict)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _kind(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)


def _entries_in(value: Any) -> list[tuple[str, Any]]:
    """Every object in a JSON value of the wrong shape that names a ticket, under its ticket id."""
    found: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        if "ticket_id" in value:
            return [(str(value.get("ticket_id")), value)]
        for key, item in value.items():
            found += [(str(key), item)] if isinstance(item, dict) and "ticket_id" in item else _entries_in(item)
    elif isinstance(value, list):
        for item in value:
            found += _entries_in(item)
    return found


def _salvage(text: str) -> list[tuple[str, Any]]:
    """The `"ID": {...}` entries that still decode, one by one, from text that is no longer JSON
    (cut short, or garbled in the middle): an object holding a `ticket_id` is an entry (one that
    does not name its own key, or holds a wrong type, is then named as bad by `entry_problem`)."""
    decoder = json.JSONDecoder()
    found: list[tuple[str, Any]] = []
    position = 0
    while (match := _ENTRY_START.search(text, position)) is not None:
        try:
            key = json.loads(f'"{match.group(1)}"')
            entry, end = decoder.raw_decode(text, match.end() - 1)
        except ValueError:
            position = match.end()
            continue
        if isinstance(entry, dict) and "ticket_id" in entry:  # a ticket, whole or not: checked, then named if bad
            found.append((key, entry))
            position = end
        else:  # a nested object (`"previous": {...}`), or not one of ours
            position = match.end()
    return found


def move_aside(path: Path, label: str) -> Path:
    """Rename the file to `NAME.LABEL-STAMP`, a name no earlier copy has: the name is taken first
    (created empty, exclusively), then the file replaces that empty placeholder in one step."""
    aside = reserve_aside(path, label)
    try:
        os.replace(path, aside)
    except BaseException:
        _forget(aside)
        raise
    return aside


def _forget(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def describe(path: Path, read: Read, aside: Path) -> str:
    """The warning a user reads: what happened, where the copy is, what to do."""
    parts = []
    if read.damaged is not None:
        parts.append(f"{path} was damaged ({read.damaged}); {len(read.tickets)} ticket(s) recovered from it")
    if read.bad:
        bad = "; ".join(f"{key!r}: {why}" for key, why in sorted(read.bad.items()))
        parts.append(f"{len(read.bad)} saved ticket(s) could not be read and were left out ({bad})")
    return (". ".join(parts) + f". The file as it was is kept in {aside}: look there for any ticket "
            "not recovered (a photo it names may need a fresh replace), then delete that copy")
