"""What reached the sandbox, request by request: the evidence tests assert on.

Each entry records what a client really sent (fields, which of them the signature covered,
where the OAuth values were, the photo's name, size and hash) and what it was answered.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from .replies import Reply
from .request import Request


def new_entry(method: str, path: str, route: str) -> dict[str, Any]:
    return {"time": time.time(), "method": method, "path": path, "route": route, "status": None,
            "content_length": None, "fields": {}, "signed_params": set(), "auth_in": None,
            "photo_filename": None, "photo_size": None, "photo_sha256": None, "rest_method": None,
            "faults": [], "error_code": None, "oauth_problem": None,
            "cut_short": False}  # the body ended before its Content-Length: never acted on


def describe_request(entry: dict[str, Any], request: Request, route: str) -> None:
    entry["fields"] = request.fields
    if route == "rest":
        entry["rest_method"] = request.get("method")
    if request.photo is not None:
        entry.update(photo_filename=request.photo.filename, photo_size=request.photo.size,
                     photo_sha256=request.photo.sha256)


def describe_reply(entry: dict[str, Any], reply: Reply) -> None:
    entry.update(status=None if reply.drop else reply.status, error_code=reply.error_code,
                 oauth_problem=reply.oauth_problem)
    if reply.signed is not None:
        entry.update(signed_params=set(reply.signed.signed_params), auth_in=reply.signed.auth_in)


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**e, "fields": dict(e["fields"]), "signed_params": set(e["signed_params"]),
                     "faults": list(e["faults"])} for e in self._entries]

    def as_json(self) -> list[dict[str, Any]]:
        return [{**e, "signed_params": sorted(e["signed_params"])} for e in self.snapshot()]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def rest_calls(self, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for e in self._entries
                       if e["route"] == "rest" and (method is None or e["rest_method"] == method))

    def summary(self) -> dict[str, Any]:
        with self._lock:
            rest = Counter(e["rest_method"] for e in self._entries if e["route"] == "rest")
            return {"requests": len(self._entries),
                    "by_route": dict(Counter(e["route"] for e in self._entries)),
                    "by_status": {str(k): v for k, v in Counter(e["status"] for e in self._entries).items()},
                    "rest_calls": {str(k): v for k, v in rest.items()},
                    "rest_calls_total": sum(rest.values())}
