"""The sandbox's own endpoints under `/_sandbox/`, for tests and benchmarks in another process.

| request                          | does                                                      |
|----------------------------------|-----------------------------------------------------------|
| `GET /_sandbox/stats`            | request and REST call counts, photos, tickets, faults, RSS |
| `GET /_sandbox/requests`         | the request log as JSON (`DELETE` clears it)              |
| `POST /_sandbox/faults`          | queue a fault `{"kind", "count", "scope", "method", ...}` (or a list); `GET` lists, `DELETE` clears |
| `POST /_sandbox/photos?filename=N` | seed a photo from the raw body; answers its record      |
| `GET /_sandbox/photos/ID`        | a photo's record (secrets, sha256, size, replacements)    |

These are not Flickr's: they are never logged, never delayed, and need no signature.
"""
from __future__ import annotations

import json
import resource
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, parse_qsl

from .multipart import BodyReader
from .replies import Reply
from .store import Photo, record

if TYPE_CHECKING:
    from .app import Sandbox

PREFIX = "/_sandbox/"
MAX_JSON = 1 << 20


def photo_json(photo: Photo) -> dict[str, Any]:
    return {**record(photo), "data_path": str(photo.data_path), "media": photo.media}


def handle(sandbox: "Sandbox", method: str, url: SplitResult, reader: BodyReader) -> Reply:
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
        photo = sandbox.store.add_photo(iter(reader.read, b""), query.get("filename", "photo.jpg"),
                                        query.get("title", ""))
        return Reply.json(photo_json(photo))
    if what.startswith("photos/") and method == "GET":
        sandbox.store.settle()
        photo = sandbox.store.photo(what.split("/", 1)[1])
        return Reply.json(photo_json(photo)) if photo else Reply.json({"error": "no such photo"}, 404)
    reader.discard()
    return Reply.json({"error": f"unknown sandbox endpoint {method} {url.path}"}, 404)


def peak_rss_kb() -> int:
    """This process's peak RSS. VmHWM, not ru_maxrss: the latter keeps a forking parent's peak across exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
