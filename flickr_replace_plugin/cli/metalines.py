"""The human lines of a result's metadata: what the photo keeps, and one line per changed field."""
from __future__ import annotations

from typing import Any

from ..metadata.tags import tag_key
from ..result import ReplaceResult, Status


def kept_words(result: ReplaceResult) -> str:
    """", kept 1,204 views, 3 comments" on a replaced (or would-be replaced) line; else ""."""
    if not result.kept or result.status not in (Status.REPLACED, Status.DRY_RUN):
        return ""
    views, comments = result.kept.get("views", 0), result.kept.get("comments", 0)
    return f", kept {_count(views, 'view')}, {_count(comments, 'comment')}"


def metadata_lines(result: ReplaceResult) -> str:
    """One indented line per changed field, then the error (and how to retry) when a call failed."""
    metadata = result.metadata or {}
    verb = "would set" if result.status is Status.DRY_RUN else "set"
    lines = [f"\n  {verb} {name}: {_change(name, change)}" for name, change in (metadata.get("changed") or {}).items()]
    if metadata.get("error"):
        warning = next((w for w in result.warnings if metadata["error"] in w), metadata["error"])
        lines.append(f"\n  metadata not all updated: {warning}")
    return "".join(lines)


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _change(name: str, change: dict[str, Any]) -> str:
    before, after = change.get("from"), change.get("to")
    if name == "tags":
        old, new = {tag_key(t) for t in before or []}, {tag_key(t) for t in after or []}
        words = [f"+{t}" for t in after or [] if tag_key(t) not in old]
        words += [f"-{t}" for t in before or [] if tag_key(t) not in new]
        return " ".join(words)
    return f"{_shown(before)} -> {_shown(after)}"


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, list):  # a place: latitude, longitude
        return ", ".join(f"{v:.6f}" for v in value)
    return f'"{value}"' if isinstance(value, str) and not value[:1].isdigit() else str(value)
