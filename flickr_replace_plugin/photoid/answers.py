"""A find_photo_id answer as candidates: the documented list of `Candidate`, or an older shape."""
from __future__ import annotations

import warnings
from typing import Any

from ..errors import PluginError
from .candidates import Candidate

SHAPE = "a list of flickr_replace_plugin.Candidate"


def as_candidates(plugin: str, value: Any, builtin: bool) -> list[Candidate]:
    """`value` as candidates; a third-party plugin's become ``plugin:NAME`` (its own source is the detail).

    A lone Candidate, a ``(photo_id, source)`` tuple or a list of tuples still work, with a
    DeprecationWarning naming the plugin: that is what plugins answered before the shape was one.
    """
    if isinstance(value, list) and all(isinstance(item, Candidate) for item in value):
        items = value
    elif _is_one(value) or (isinstance(value, (list, tuple)) and value and all(_is_one(i) for i in value)):
        items = [value] if _is_one(value) else list(value)
        warnings.warn(f"plugin {plugin!r} answered find_photo_id with a {type(value).__name__}: return {SHAPE} "
                      "instead (the older shapes will stop working)", DeprecationWarning, stacklevel=2)
    else:
        raise PluginError(f"plugin {plugin!r} returned {value!r}, not {SHAPE}")
    out = []
    for item in items:
        photo_id, source, detail = (*item, "") if isinstance(item, tuple) else (item.photo_id, item.source, item.detail)
        if not builtin:
            source, detail = f"plugin:{plugin}", detail or str(source)
        out.append(Candidate(str(photo_id).strip(), source, detail))
    return out


def _is_one(item: Any) -> bool:
    """One candidate in an older shape: a Candidate alone, or ``(photo_id, source)``."""
    return isinstance(item, Candidate) or (isinstance(item, tuple) and len(item) == 2
                                           and not any(isinstance(part, (tuple, Candidate)) for part in item))
