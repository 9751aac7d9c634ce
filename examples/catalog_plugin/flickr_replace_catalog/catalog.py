"""The plugin's own SQLite catalog: one table of known photos, one of replace results."""
from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterator, Mapping

SCHEMA = """
CREATE TABLE IF NOT EXISTS photos (path TEXT PRIMARY KEY, photo_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS replacements (
    path TEXT NOT NULL, photo_id TEXT, status TEXT NOT NULL, source TEXT, error TEXT, at REAL NOT NULL
);
"""


def default_path() -> Path:
    if os.environ.get("FLICKR_REPLACE_CATALOG"):
        return Path(os.environ["FLICKR_REPLACE_CATALOG"])
    from platformdirs import user_data_dir

    return Path(user_data_dir("flickr-replace-catalog")) / "catalog.sqlite"


def key(path: str | os.PathLike) -> str:
    """Paths are stored absolute and resolved, so `./a.jpg` and `/home/me/a.jpg` are one photo."""
    return str(Path(path).expanduser().resolve())


class Catalog:
    """A short-lived connection: hooks may run on worker threads, and sqlite3 connections may not
    cross threads."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    @classmethod
    def open(cls, path: str | os.PathLike | None = None) -> "Catalog":
        file = Path(path) if path else default_path()
        file.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(file, timeout=30)
        db.executescript(SCHEMA)
        return cls(db)

    def __enter__(self) -> "Catalog":
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is None:
            self.db.commit()
        self.db.close()

    def add(self, path: str | os.PathLike, photo_id: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO photos (path, photo_id) VALUES (?, ?)", (key(path), str(photo_id)))

    def photo_id(self, path: str | os.PathLike) -> str | None:
        row = self.db.execute("SELECT photo_id FROM photos WHERE path = ?", (key(path),)).fetchone()
        return row[0] if row else None

    def record(self, result: Mapping[str, Any]) -> None:
        error = (result.get("error") or {}).get("message")
        self.db.execute("INSERT INTO replacements VALUES (?, ?, ?, ?, ?, ?)",
                        (key(result["path"]), result.get("photo_id"), result["status"], result.get("source"),
                         error, time.time()))

    def history(self) -> Iterator[dict[str, Any]]:
        cursor = self.db.execute("SELECT path, photo_id, status, source, error, at FROM replacements ORDER BY at")
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row))
