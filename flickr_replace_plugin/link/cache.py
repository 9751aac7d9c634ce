"""The user's photo list, kept in SQLite in the user cache dir so a run reads it from Flickr once.

Refreshing: a full read (`flickr.people.getPhotos`, 500 a page) the first time and with
`--refresh`; otherwise, once the cache is older than `FRESH_S`, an incremental read of
`flickr.photos.recentlyUpdated` since the newest `lastupdate` seen (Flickr's own clock, so no
clock skew): it brings new uploads and edited titles and dates. It cannot see deletions, so a
deleted photo may stay listed until `--refresh` or until a getInfo answers "not found" for it
(`forget`: the upload guard asks before refusing a file as a duplicate of it).
"""
from __future__ import annotations

import hashlib
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

PER_PAGE = 500
FRESH_S = 300.0  # a list read this recently is used as it is: back-to-back runs send no list call
EXTRAS = "date_taken,o_dims,url_s,last_update"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS photos (id TEXT PRIMARY KEY, title TEXT, taken TEXT, width INTEGER,
    height INTEGER, url TEXT, lastupdate INTEGER, secret TEXT);
CREATE INDEX IF NOT EXISTS photos_title ON photos (title COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS photos_taken ON photos (taken);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS thumbs (id TEXT, secret TEXT, data BLOB, PRIMARY KEY (id, secret));
"""
Pager = Callable[..., dict]  # (method, page, per_page, extras, **params) -> Flickr's `photos` object


@dataclass(frozen=True)
class Listed:
    """One of the user's photos as the list gives it: what a match compares."""

    photo_id: str
    title: str
    taken: str | None  # 'YYYY-MM-DD HH:MM:SS', None when Flickr does not know it (it shows the upload time)
    width: int | None  # of the original
    height: int | None
    url: str | None  # a small rendition, for the picture comparison
    secret: str = ""

    @property
    def aspect(self) -> float | None:
        return self.width / self.height if self.width and self.height else None


def cache_file(cache_dir: Path, base_url: str | None, oauth_token: str | None) -> Path:
    """One cache per account and Flickr (token and base URL), named by a digest: no secret on disk."""
    key = hashlib.sha256(f"{base_url or 'flickr'}\n{oauth_token or ''}".encode()).hexdigest()[:16]
    return cache_dir / f"photos-{key}.sqlite"


def from_flickr(item: dict) -> tuple[Any, ...]:
    def number(name: str) -> int | None:
        try:
            return int(item.get(name)) or None
        except (TypeError, ValueError):
            return None

    width, height = number("o_width"), number("o_height")
    if not (width and height):  # no original size shown: the small rendition has its aspect
        width, height = number("width_s"), number("height_s")
    taken = str(item.get("datetaken") or "") or None
    if str(item.get("datetakenunknown", "0")) == "1":
        taken = None
    return (str(item.get("id")), str(item.get("title") or ""), taken, width, height,
            item.get("url_s") or None, number("lastupdate") or 0, str(item.get("secret") or ""))


def mark_stale(cache_dir: Path, base_url: str | None, oauth_token: str | None) -> None:
    """The account changed through this tool (a replace, an upload): the next `link` or upload
    check brings the list up to date (one recentlyUpdated call) instead of trusting it as fresh."""
    path = cache_file(cache_dir, base_url, oauth_token)
    if not path.exists():
        return
    db = sqlite3.connect(path)
    try:
        with db:
            db.execute("UPDATE meta SET value = '0' WHERE key = 'read_at'")
    finally:
        db.close()


class PhotoCache:
    def __init__(self, path: Path, scratch: bool = False) -> None:
        """`scratch` (a dry run): read the file as it is, keep what is learnt in memory only."""
        self.path = path
        if scratch:
            self.db = sqlite3.connect(":memory:", check_same_thread=False)
            if path.exists():
                with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as disk:
                    disk.backup(self.db)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, check_same_thread=False)
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def refresh(self, pages: Pager, full: bool = False, now: Callable[[], float] = time.time) -> int:
        """Bring the list up to date; returns how many pages were read (0 when it was fresh)."""
        read_at = self._meta("read_at")
        if not full and read_at is not None and now() - float(read_at) < FRESH_S:
            return 0
        incremental = not full and read_at is not None
        since = self.db.execute("SELECT MAX(lastupdate) FROM photos").fetchone()[0] or 0
        method = "flickr.photos.recentlyUpdated" if incremental else "flickr.people.getPhotos"
        params = {"min_date": str(max(0, since - 1))} if incremental else {}
        count, rows = 0, []
        for page in _pages(lambda n: pages(method, n, PER_PAGE, EXTRAS, **params)):
            count += 1
            rows.extend(from_flickr(item) for item in page)
        with self.db:
            if not incremental:
                self.db.execute("DELETE FROM photos")
            self.db.executemany("INSERT OR REPLACE INTO photos VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('read_at', ?)", (str(now()),))
        return count

    def by_title_or_taken(self, title: str, taken: str | None) -> list[Listed]:
        rows = self.db.execute(
            "SELECT * FROM photos WHERE title = ? COLLATE NOCASE OR (taken IS NOT NULL AND taken = ?)",
            (title, taken or "")).fetchall()
        return [Listed(r[0], r[1], r[2], r[3], r[4], r[5], r[7]) for r in rows]

    def add(self, listed: Iterable[Listed]) -> None:
        """Photos this tool just uploaded: known at once, with no list call."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO photos VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                                [(p.photo_id, p.title, p.taken, p.width, p.height, p.url, p.secret) for p in listed])

    def forget(self, photo_id: str) -> None:
        """A photo deleted on Flickr: neither listed nor its small image kept."""
        with self.db:
            self.db.execute("DELETE FROM photos WHERE id = ?", (photo_id,))
            self.db.execute("DELETE FROM thumbs WHERE id = ?", (photo_id,))

    def thumb(self, photo: Listed, fetch: Callable[[str], bytes]) -> bytes:
        """The photo's small image, fetched once per secret (a replace changes the secret)."""
        row = self.db.execute("SELECT data FROM thumbs WHERE id = ? AND secret = ?",
                              (photo.photo_id, photo.secret)).fetchone()
        if row:
            return bytes(row[0])
        assert photo.url
        data = fetch(photo.url)
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO thumbs VALUES (?, ?, ?)", (photo.photo_id, photo.secret, data))
        return data


def _pages(read: Callable[[int], dict]) -> Iterator[list[dict]]:
    """Every page of a list, trusting `pages` from the first answer (Flickr's paging)."""
    page, pages = 1, 1
    while page <= pages:
        answer = read(page)
        try:
            pages = int(answer.get("pages") or 0)
        except (TypeError, ValueError):
            pages = 0
        yield answer.get("photo") or []
        page += 1
