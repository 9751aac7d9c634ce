"""Warning 9: the caller's id (`--photo-id`, the host's) wins, but a file that says otherwise is worth a word."""
from __future__ import annotations

from typing import Any, Mapping

CALLER_KEYS = ("photo_id", "photo_id_source")


def caller_disagrees(path: str, photo_id: str | None, metadata: Mapping[str, Any], plugins: Any,
                     checked: Any = None) -> list[str]:
    """A warning when the file's own sources name another photo than the caller gave (none when they agree).

    :param checked: the file as pre-flight opened it, read again from there rather than reopened."""
    from ..photoid.resolve import resolve_photo_id

    own = resolve_photo_id(path, metadata={k: v for k, v in metadata.items() if k not in CALLER_KEYS},
                           plugins=plugins, checked=checked)
    if own.photo_id is None or own.photo_id == photo_id:
        return []
    return [f"the file's own {own.source} names photo {own.photo_id}, but photo {photo_id} was given and replaced "
            f"instead (the caller wins); check that this was the photo meant"]
