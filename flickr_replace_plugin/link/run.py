"""`link_photos()`: the photo list read once per run, then each file matched and, with `write`, recorded."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..config import Config, load_config
from ..flickr.responses import FlickrFailure
from ..result import ResultError
from .cache import PhotoCache, cache_file
from .match import FileFacts, Match, find_matches
from .result import LinkCandidate, LinkResult, LinkStatus

log = logging.getLogger("flickr_replace.link")


class Linker:
    """One run's photo list and client; `match` answers per file."""

    def __init__(self, config: Config, plugins: Any = None, *, refresh: bool = False,
                 cache_dir: Path | None = None, client: Any = None) -> None:
        from ..flickr.client import FlickrClient
        from ..plugins import get_plugins

        self.config = config.require_credentials()
        self.plugins = plugins or get_plugins()
        self.client = client or FlickrClient(config)
        self._own_client = client is None
        path = cache_file(cache_dir or config.user_dirs.cache, config.base_url, config.oauth_token)
        self.cache = PhotoCache(path)
        self.refresh = refresh
        self._ready = False

    def close(self) -> None:
        self.cache.close()
        if self._own_client:
            self.client.close()

    def _list(self) -> None:
        """Read (or bring up to date) the photo list, once per run and only when a file needs it."""
        if not self._ready:
            pages = self.cache.refresh(self._page, full=self.refresh)
            log.info("photo list: %d page(s) read into %s", pages, self.cache.path)
            self._ready = True

    def _page(self, method: str, page: int, per_page: int, extras: str, **params: str) -> dict:
        if method == "flickr.people.getPhotos":
            params["user_id"] = "me"
        return self.client.photo_page(method, page, per_page, extras, **params)

    def match(self, path: str) -> Match:
        """The match for a file known to have no id; raises FlickrFailure when Flickr cannot be read."""
        self._list()
        return find_matches(FileFacts.of(path), self.cache, self.client.fetch)

    def link(self, path: str, write: bool = False) -> LinkResult:
        from ..photoid.resolve import resolve_photo_id

        result = LinkResult(path=str(path))
        resolution = resolve_photo_id(path, plugins=self.plugins)
        if resolution.photo_id is not None:
            result.status, result.photo_id = LinkStatus.ALREADY, resolution.photo_id
            return result
        if resolution.candidates or not os.path.isfile(path):  # conflicting ids, or no such file
            return _failed(result, resolution.error or ResultError(f"not a file: {path}"))
        try:
            match = self.match(path)
        except FlickrFailure as exc:
            return _failed(result, exc.error)
        result.candidates = [LinkCandidate(p.photo_id, p.title, p.taken) for p in match.photos]
        result.matched_on = match.matched_on
        if len(match.photos) == 1 and match.confirmed:
            result.status, result.photo_id = LinkStatus.LINKED, match.photos[0].photo_id
            if write:
                self._write(result)
        elif match.photos:
            result.status = LinkStatus.AMBIGUOUS
        return result

    def _write(self, result: LinkResult) -> None:
        from ..sources.sidecar import record_photo_id

        try:
            result.written = record_photo_id(result.path, result.photo_id or "")
        except OSError as exc:
            _failed(result, ResultError(f"found photo {result.photo_id} but cannot write next to {result.path}: "
                                        f"{exc.strerror or exc}; check the folder's permissions"))


def _failed(result: LinkResult, error: ResultError) -> LinkResult:
    result.status, result.error = LinkStatus.FAILED, error
    return result


def link_photos(paths: Iterable[str | os.PathLike], *, write: bool = False, refresh: bool = False,
                config: Config | None = None, plugins: Any = None,
                cache_dir: str | os.PathLike | None = None) -> Iterator[LinkResult]:
    """Match files that carry no id to the user's own photos; one LinkResult per path, in order.

    Raises ConfigError only for a wrong configuration (no credentials)."""
    config = config or load_config(plugins=plugins)
    linker = Linker(config, plugins, refresh=refresh, cache_dir=Path(cache_dir) if cache_dir else None)

    def results() -> Iterator[LinkResult]:
        try:
            for path in paths:
                yield linker.link(os.fspath(path), write)
        finally:
            linker.close()

    return results()
