"""`link_photos()`: the photo list read once per run, every file matched, then each answered and,
with `write`, recorded.

All files are matched before any is answered: a photo two files of the run match (a burst's
frames) is linked to neither, so no answer can be given before the last file was looked at.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

from ..config import Config, load_config
from ..errors import JournalUnavailable
from ..flickr.responses import FlickrFailure
from ..flickr.retry import retrying
from ..result import ResultError
from .cache import PhotoCache, cache_file
from .claims import Claims, same_file
from .match import FileFacts, Match, SmallPictures, find_matches
from .paths import expand
from .result import LinkCandidate, LinkResult, LinkStatus

log = logging.getLogger("flickr_replace.link")
T = TypeVar("T")
Examined = tuple[LinkResult, "Match | None"]  # the match is None when the file was answered already


class Linker:
    """One run's photo list, small pictures and client; `match` answers per file, `link_all` per run."""

    def __init__(self, config: Config, plugins: Any = None, *, refresh: bool = False,
                 cache_dir: Path | None = None, client: Any = None, scratch: bool = False) -> None:
        from ..flickr.client import FlickrClient
        from ..plugins import get_plugins
        from ..safety.journal import Journal

        self.config = config.require_credentials()
        self.plugins = plugins or get_plugins()
        self.client = client or FlickrClient(config)
        self._own_client = client is None
        path = cache_file(cache_dir or config.user_dirs.cache, config.base_url, config.oauth_token)
        self.cache = PhotoCache(path, scratch)
        self.pictures = SmallPictures(self.cache, lambda url: self._retrying(lambda: self.client.fetch(url)))
        self.claims = Claims(Journal(config.state_path))
        self.refresh = refresh
        self._ready = False

    def close(self) -> None:
        self.cache.close()
        if self._own_client:
            self.client.close()

    def _retrying(self, call: Callable[[], T]) -> T:
        """Flickr's temporary failures retried as a replace retries them (`retries`, `backoff`)."""
        return retrying(call, self.config.retries, self.config.backoff)

    def _list(self) -> None:
        """Read (or bring up to date) the photo list, once per run and only when a file needs it."""
        if not self._ready:
            pages = self.cache.refresh(lambda *a, **k: self._retrying(lambda: self._page(*a, **k)),
                                       full=self.refresh)
            log.info("photo list: %d page(s) read into %s", pages, self.cache.path)
            self._ready = True

    def _page(self, method: str, page: int, per_page: int, extras: str, **params: str) -> dict:
        if method == "flickr.people.getPhotos":
            params["user_id"] = "me"
        return self.client.photo_page(method, page, per_page, extras, **params)

    def match(self, path: str) -> Match:
        """The match for a file known to have no id; raises FlickrFailure when Flickr cannot be read."""
        self._list()
        return find_matches(FileFacts.of(path), self.cache, self.pictures)

    def link(self, path: str, write: bool = False) -> LinkResult:
        """One file as a run of its own."""
        return self.link_all([path], write)[0]

    def link_all(self, paths: list[str], write: bool = False) -> list[LinkResult]:
        """Every file matched first, then each answered: a photo is linked to one file or to none."""
        examined = [self._examine(path) for path in paths]
        held: dict[str, list[str]] = {}  # photo id -> the files of this run that carry or match it
        for result, match in examined:
            for photo_id in _held_by(result, match):
                held.setdefault(photo_id, []).append(result.path)
        for result, match in examined:
            if match is not None:
                self._answer(result, match, held, write)
        return [result for result, _ in examined]

    def _examine(self, path: str) -> Examined:
        from ..photoid.resolve import resolve_photo_id

        result = LinkResult(path=str(path))
        resolution = resolve_photo_id(path, plugins=self.plugins)
        if resolution.photo_id is not None:
            result.status, result.photo_id = LinkStatus.ALREADY, resolution.photo_id
            return result, None
        if resolution.candidates or not os.path.isfile(path):  # conflicting ids, or no such file
            return _failed(result, resolution.error or ResultError(f"not a file: {path}")), None
        try:
            return result, self.match(path)
        except FlickrFailure as exc:
            return _failed(result, exc.error), None

    def _answer(self, result: LinkResult, match: Match, held: dict[str, list[str]], write: bool) -> None:
        result.candidates = [LinkCandidate(p.photo_id, p.title, p.taken) for p in match.photos]
        result.matched_on = match.matched_on
        if not match.photos:
            return
        try:
            others = self._others(result.path, match, held)
        except JournalUnavailable as exc:
            _failed(result, ResultError(f"not linked: {exc}"))
            return
        if len(match.photos) == 1 and match.confirmed and not others:
            result.status, result.photo_id = LinkStatus.LINKED, match.photos[0].photo_id
            if write:
                self._write(result)
            return
        result.status = LinkStatus.AMBIGUOUS
        if others:
            which = f"photo {match.photos[0].photo_id} belongs" if len(match.photos) == 1 else \
                f"photos {', '.join(p.photo_id for p in match.photos)} belong"
            result.error = ResultError.refusal("duplicate_target", (
                f"{which} to another file too ({', '.join(others)}); one photo is one file, so none of them "
                "is linked. If this file is the photo, give its id yourself: `flickr-replace replace "
                f"--photo-id {match.photos[0].photo_id if len(match.photos) == 1 else 'ID'} {result.path}`"))

    def _others(self, path: str, match: Match, held: dict[str, list[str]]) -> list[str]:
        """The other files (of this run, or recorded before) that any of the matched photos belongs to."""
        others: list[str] = []
        for photo in match.photos:
            for other in held.get(photo.photo_id, []) + self.claims.others(photo.photo_id, path):
                if not same_file(other, path) and not any(same_file(other, known) for known in others):
                    others.append(other)
        return others

    def _write(self, result: LinkResult) -> None:
        from ..photoid.record import record_photo_id

        try:
            result.written = record_photo_id(result.path, result.photo_id or "")
        except OSError as exc:
            _failed(result, ResultError(f"found photo {result.photo_id} but cannot write next to {result.path}: "
                                        f"{exc.strerror or exc}; check the folder's permissions"))


def _held_by(result: LinkResult, match: Match | None) -> list[str]:
    """The photos a file of the run stands for: those it matches, or the id it already carries."""
    if match is not None:
        return [p.photo_id for p in match.photos]
    return [result.photo_id] if result.status is LinkStatus.ALREADY and result.photo_id else []


def _failed(result: LinkResult, error: ResultError) -> LinkResult:
    result.status, result.error = LinkStatus.FAILED, error
    return result


def link_photos(paths: Iterable[str | os.PathLike], *, write: bool = False, refresh: bool = False,
                config: Config | None = None, plugins: Any = None, recursive: bool = False,
                cache_dir: str | os.PathLike | None = None) -> Iterator[LinkResult]:
    """Match files that carry no id to the user's own photos; one LinkResult per file, in order.

    A folder stands for its image files (`recursive`: its subfolders' too). Raises ConfigError
    only for a wrong configuration (no credentials)."""
    config = config or load_config(plugins=plugins)
    linker = Linker(config, plugins, refresh=refresh, cache_dir=Path(cache_dir) if cache_dir else None)

    def results() -> Iterator[LinkResult]:
        try:
            yield from linker.link_all(list(expand(paths, recursive)), write)
        finally:
            linker.close()

    return results()
