"""Which other files a photo is already recorded for: one photo is one file.

A link would make two files replace one photo (a burst's frames put on one page), so a photo
some other file holds is linked to no one. The records looked at: the plugin's own sidecars
(`NAME.EXT.flickr.yaml` / `.json`) in the folders of this run's files, and the journal's
replaces and uploads (an undo's path is a backup, not a file of the user's). A record whose
file is gone (a deleted temporary export, a sidecar left after a rename) holds nothing.
"""
from __future__ import annotations

import os
from typing import Any

from ..sources.sidecar import OWN_SUFFIXES

NOT_A_FILE_OF_THE_USER = ("undo", "restore")


def same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


class Claims:
    """The files each photo is recorded for, read lazily and once per folder in a run."""

    def __init__(self, journal: Any) -> None:
        self.journal = journal  # a safety.journal.Journal; only read
        self._folders: dict[str, dict[str, list[str]]] = {}

    def others(self, photo_id: str, path: str) -> list[str]:
        """The files other than `path` that already hold `photo_id` (raises JournalUnavailable)."""
        found = list(self._in_folder(os.path.dirname(os.path.abspath(path))).get(photo_id, []))
        for entry in self.journal.entries([photo_id]):
            if entry["photo_id"] == photo_id and entry["command"] not in NOT_A_FILE_OF_THE_USER and entry["path"]:
                found.append(entry["path"])
        unique: list[str] = []
        for other in found:
            if os.path.isfile(other) and not same_file(other, path) and not any(same_file(other, u) for u in unique):
                unique.append(other)
        return unique

    def _in_folder(self, folder: str) -> dict[str, list[str]]:
        if folder not in self._folders:
            self._folders[folder] = _sidecar_records(folder)
        return self._folders[folder]


def _sidecar_records(folder: str) -> dict[str, list[str]]:
    """photo id -> the image files in `folder` whose own sidecar records it."""
    from ..sources.sidecar import find_photo_id

    records: dict[str, list[str]] = {}
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return records
    for name in names:
        suffix = next((s for s in OWN_SUFFIXES if name.lower().endswith(s)), None)
        image = os.path.join(folder, name[: -len(suffix)]) if suffix else None
        if image and os.path.isfile(image):
            for candidate in find_photo_id(image, {}) or []:
                if image not in records.setdefault(candidate.photo_id, []):
                    records[candidate.photo_id].append(image)
    return records
