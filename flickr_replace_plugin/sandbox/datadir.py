"""The sandbox's own folder inside `--data DIR`: it never deletes or changes what it did not create.

Everything the sandbox writes lives in `DIR/flickr-sandbox/`, marked as its own. A `DIR` that
already holds other files and no such folder is refused rather than shared: the user may have
pointed `--data` at a folder of their own photos by mistake.
"""
from __future__ import annotations

import json
from pathlib import Path

OWN_FOLDER = "flickr-sandbox"
MARKER = ".flickr-sandbox.json"  # inside OWN_FOLDER; its presence is what makes the folder ours


class DataDirError(ValueError):
    """A --data folder the sandbox will not use; the message says what to give instead."""


def claim(data_dir: str | Path) -> Path:
    """The folder to keep the sandbox's files in (created if need be), or DataDirError."""
    data_dir = Path(data_dir).expanduser().resolve()
    own = data_dir / OWN_FOLDER
    if (own / MARKER).is_file():
        return own
    if own.exists():
        raise DataDirError(f"{own} exists but was not made by the sandbox; it is left alone. "
                           "Give --data a new or empty folder.")
    if data_dir.exists() and not data_dir.is_dir():
        raise DataDirError(f"--data {data_dir} is not a folder. Give --data a new or empty folder.")
    if data_dir.is_dir() and any(data_dir.iterdir()):
        raise DataDirError(f"--data {data_dir} already holds files that are not the sandbox's; they are "
                           "left alone. Give --data a new or empty folder (the sandbox keeps its files "
                           f"in DIR/{OWN_FOLDER}/).")
    own.mkdir(parents=True, exist_ok=True)
    (own / MARKER).write_text(json.dumps({"made_by": "flickr-replace sandbox"}) + "\n", encoding="utf-8")
    return own
