"""The static image files, at the addresses getSizes and the url_* extras give.

Only the current secrets open a file: after a replace, the photo's old addresses answer 404.
(Flickr has at times redirected dead addresses to a "photo unavailable" placeholder image;
the sandbox answers 404, and clients should check what they get either way.)
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import BinaryIO

from ..formats.sniff import CONTENT_TYPES
from .records import Photo
from .replies import Reply
from .sizes import BY_SUFFIX, ORIGINAL, available, render
from .store import Store

PATTERN = re.compile(r"^/(?P<server>\d+)/(?P<id>\d+)_(?P<secret>[0-9a-f]+)(?:_(?P<suffix>[a-z]))?(?P<dl>_d)?"
                     r"\.(?P<ext>[A-Za-z0-9]+)$")
CACHE_BYTES = 32 << 20


class Renditions:
    """Resized JPEGs made on first request and kept (bounded) by photo, secret and size."""

    def __init__(self, limit: int = CACHE_BYTES) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: tuple[str, str, str], data: bytes) -> None:
        with self._lock:
            self._items[key] = data
            while sum(len(v) for v in self._items.values()) > self.limit and len(self._items) > 1:
                self._items.popitem(last=False)


def _not_found() -> Reply:
    return Reply.text(404, "Not Found\n")


def serve(store: Store, renditions: Renditions, path: str) -> Reply | None:
    """The answer for a static address, or None when `path` is not shaped like one."""
    match = PATTERN.match(path)
    if match is None:
        return None
    suffix = match["suffix"] or ""
    original = suffix == "o"
    size = ORIGINAL if original else BY_SUFFIX.get(suffix)
    if size is None:
        return _not_found()
    opened = store.open_file(match["id"], match["secret"], original)
    if opened is None:
        return _not_found()
    photo, fh = opened
    expected_ext = photo.originalformat if original else "jpg"
    if match["server"] != photo.server or match["ext"].lower() != expected_ext or size not in available(photo):
        fh.close()
        return _not_found()
    headers = {}
    if match["dl"]:  # `_d`: Flickr's "download" form of an address
        headers["Content-Disposition"] = f'attachment; filename="{path.rsplit("/", 1)[1].replace("_d.", ".")}"'
    if original:
        ctype = CONTENT_TYPES.get(photo.format or "", "video/mp4" if photo.media == "video" else "application/octet-stream")
        return Reply(200, b"", ctype, headers=headers, stream=fh)
    return Reply(200, _rendition(renditions, photo, size.suffix, fh), "image/jpeg", headers=headers)


def _rendition(renditions: Renditions, photo: Photo, suffix: str, fh: BinaryIO) -> bytes:
    key = (photo.id, photo.secret, suffix)
    with fh:
        data = renditions.get(key)
        if data is None:
            data = render(fh, photo, BY_SUFFIX[suffix])
            renditions.put(key, data)
    return data
