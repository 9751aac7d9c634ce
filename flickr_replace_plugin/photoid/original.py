"""The source image a host names per file: `original` in the export's own NAME.EXT.flickr.json / .yaml.

A host exporting a batch to temporary files (darktable) cannot pass one `--original` per file on a
command line; it writes `{"original": "/path/to/source.ext"}` next to each export instead, and that
source's sidecars, metadata and name are then read as `--original`'s would be.
"""
from __future__ import annotations

import json
import os

from ..formats.scope import note
from ..fsutil import read_capped

MAX_NOTE = 64 << 10  # the host writes one line
SUFFIXES = (".flickr.json", ".flickr.yaml")


def original_named_for(path: str) -> str | None:
    """The source image the export's own sidecar names, relative paths from the export's folder."""
    for suffix in SUFFIXES:
        sidecar = path + suffix
        try:
            data = read_capped(sidecar, MAX_NOTE)
        except OSError:
            continue
        if data is None:
            continue
        try:
            if suffix.endswith(".json"):
                doc = json.loads(data)
            else:
                import yaml  # only a file that has one pays for the import

                doc = yaml.safe_load(data)
        except Exception as exc:  # noqa: BLE001 - the sidecar source says what was wrong with it too
            note(f"{os.path.basename(sidecar)}: not read: {type(exc).__name__}")
            continue
        original = doc.get("original") if isinstance(doc, dict) else None
        if isinstance(original, str) and original:
            return os.path.join(os.path.dirname(path), original)
    return None
