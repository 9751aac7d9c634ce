"""The sandbox's own endpoints under `/_sandbox/`, for tests and benchmarks in another process.

| request                          | does                                                      |
|----------------------------------|-----------------------------------------------------------|
| `GET /_sandbox/stats`            | request and REST call counts, photos, tickets, faults, RSS |
| `GET /_sandbox/requests`         | the request log as JSON (`DELETE` clears it)              |
| `POST /_sandbox/faults`          | queue a fault `{"kind", "count", "scope", "method", ...}` (or a list); `GET` lists, `DELETE` clears |
| `POST /_sandbox/photos?filename=N` | seed a photo from the raw body; answers its record. More |
|                                  | query fields: `title`, `owner` (another user's name), `media=video`, |
|                                  | `description`, `tags` (Flickr's syntax), `is_public`/`is_friend`/`is_family` (0/1), `date_taken` |
| `POST /_sandbox/seed?n=N`        | add N photos holding the raw body's picture (or the sample); `title`, `filename`, `date_taken` may hold `{i}`; answers the ids |
| `GET /_sandbox/photos/ID`        | a photo's record (secrets, sha256, size, replacements, owner, dates) |
| `GET /_sandbox/photos/ID/bytes`  | the bytes the photo holds now                              |
| `DELETE /_sandbox/photos/ID`     | delete the photo as its owner would on the website          |
| `PUT /_sandbox/photos/ID?filename=N` | replace its image with the raw body, as the website's Replace would (new secrets) |
| `PATCH /_sandbox/photos/ID`      | edit it as its owner would on the website: a JSON object of `title`, `description`, `tags`, `taken`, `views`, `comments`, `location`, ... |
| `POST /_sandbox/photos/ID/tags?tags=T&author=NAME` | add tags as another user (created on first use) |

These are not Flickr's: they are never logged, never delayed, and need no signature.
"""
from __future__ import annotations

import json
import sys
from typing import Any, Protocol
from urllib.parse import SplitResult, parse_qsl

from ..formats.sniff import sniff_format
from .api import FlickrApi
from .faults import FaultQueue
from .multipart import BodyReader
from .records import Photo, add_tags, record, split_tags
from .replies import Reply
from .requestlog import RequestLog
from .static import Renditions
from .store import Store


class Served(Protocol):
    """What the server and these endpoints need of a running sandbox (`app.Sandbox`), named here
    so that neither imports the module that starts them."""

    api: FlickrApi
    faults: FaultQueue
    log: RequestLog
    store: Store
    renditions: Renditions
    latency: float

    def stats(self) -> dict[str, Any]: ...
    def seed(self, n: int, data: Any = None, **fields: Any) -> list[str]: ...

PREFIX = "/_sandbox/"
MAX_JSON = 1 << 20
MAX_SEED = 64 << 20  # the one picture a seeded account's photos share


def photo_json(photo: Photo) -> dict[str, Any]:
    return {**record(photo), "data_path": str(photo.data_path), "media": photo.media}


def handle(sandbox: Served, method: str, url: SplitResult, reader: BodyReader) -> Reply:
    what = url.path[len(PREFIX):].strip("/")
    query = dict(parse_qsl(url.query))
    if what == "stats" and method == "GET":
        return Reply.json(sandbox.stats())
    if what == "requests":
        if method == "DELETE":
            sandbox.log.clear()
        return Reply.json(sandbox.log.as_json())
    if what == "faults":
        if method == "POST":
            try:
                spec = json.loads(reader.read_all(MAX_JSON) or b"null")
                for item in spec if isinstance(spec, list) else [spec]:
                    if not isinstance(item, dict):
                        raise ValueError("a fault is a JSON object")
                    sandbox.faults.push_spec(item)
            except (ValueError, TypeError) as exc:
                return Reply.json({"error": str(exc)}, 400)
        elif method == "DELETE":
            sandbox.faults.clear()
        return Reply.json(sandbox.faults.pending())
    if what == "photos" and method == "POST":
        flags = {k: int(query[k] == "1") for k in ("is_public", "is_friend", "is_family") if k in query}
        photo = sandbox.store.add_photo(iter(reader.read, b""), query.get("filename", "photo.jpg"),
                                        query.get("title", ""), owner=query.get("owner"), media=query.get("media"),
                                        description=query.get("description"), tags=split_tags(query.get("tags", "")),
                                        taken=query.get("date_taken"), **flags)
        return Reply.json(photo_json(photo))
    if what == "seed" and method == "POST":
        data = reader.read_all(MAX_SEED) or None
        try:
            count = int(query.get("n", "0"))
        except ValueError:
            count = -1
        if count < 0:
            return Reply.json({"error": "n must be a count"}, 400)
        fields = {k: query[k] for k in ("filename", "title", "date_taken", "owner") if k in query}
        return Reply.json(sandbox.seed(count, data, **fields))
    if what.startswith("photos/") and method in ("DELETE", "PUT", "PATCH") or what.endswith("/tags") and method == "POST":
        return _edit_photo(sandbox, method, what.split("/", 1)[1], query, reader)
    if what.startswith("photos/") and method == "GET":
        photo_id, _, part = what.split("/", 1)[1].partition("/")
        sandbox.store.settle()
        photo = sandbox.store.photo(photo_id)
        if photo is None or part not in ("", "bytes"):
            return Reply.json({"error": "no such photo"}, 404)
        if part == "bytes":
            return Reply(200, b"", "application/octet-stream", stream=open(photo.data_path, "rb"))
        return Reply.json(photo_json(photo))
    reader.discard()
    return Reply.json({"error": f"unknown sandbox endpoint {method} {url.path}"}, 404)


def _edit_photo(sandbox: Served, method: str, what: str, query: dict[str, str], reader: BodyReader) -> Reply:
    """What the website does to a photo behind the tool's back: DELETE deletes it, PUT (the new
    image as the body) replaces its image, PATCH (a JSON object of record fields) edits it as the
    owner would, POST .../tags adds `tags` as the user `author`."""
    photo_id, _, part = what.partition("/")
    sandbox.store.settle()
    photo = sandbox.store.photo(photo_id)
    if photo is None:
        reader.discard()
        return Reply.json({"error": "no such photo"}, 404)
    if method == "DELETE":
        reader.discard()
        sandbox.store.delete_photo(photo_id)
        return Reply.json({"deleted": photo_id})
    if part == "tags":
        reader.discard()
        author = sandbox.store.user_for(query.get("author"))
        sandbox.store.edit(photo_id, lambda p: add_tags(p, split_tags(query.get("tags", "")), author))
        return Reply.json(photo_json(sandbox.store.photo(photo_id) or photo))
    if method == "PATCH":
        try:
            edited = sandbox.store.update_photo(photo_id, json.loads(reader.read_all(MAX_JSON) or b"{}"))
        except (ValueError, TypeError) as exc:
            return Reply.json({"error": str(exc)}, 400)
        return Reply.json(photo_json(edited))
    upload = sandbox.store.receive(iter(reader.read, b""), query.get("filename", "web.jpg"))
    return Reply.json(photo_json(sandbox.store.replace_photo(photo_id, upload, sniff_format(upload.head))))


def peak_rss_kb() -> int:
    """This process's peak RSS in kB (0 where it cannot be read).

    VmHWM, not ru_maxrss, where there is /proc: the latter keeps a forking parent's peak across
    exec. ru_maxrss is kB on Linux but bytes on macOS; Windows has no `resource` module at all.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak
