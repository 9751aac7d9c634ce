"""Misbehaviour on purpose: faults queued for the next matching requests.

Tests and benchmarks need the failures Flickr really produces (temporary codes, 5xx from its
proxies, dropped connections, slow answers, failed tickets) on demand and in a known order.

| kind               | effect on the matching request                                | default scope    |
|--------------------|---------------------------------------------------------------|------------------|
| `error`            | answers Flickr error `code` (default 105), nothing is done    | replace, upload  |
| `http`             | answers HTTP `status` (default 502) with no Flickr payload    | replace, upload  |
| `drop_before_body` | reads part of the body (`after_bytes`, default half), closes  | replace, upload  |
| `drop_after_body`  | reads the whole body, closes without an answer; with          | replace, upload  |
|                    | `apply=True` the request is carried out first (a lost answer) |                  |
| `slow`             | waits `seconds` (default 2) before handling                   | replace, upload, rest |
| `rest_error`       | a REST call of `method` (default checkTickets) answers `code` | rest             |
|                    | (default 105), or HTTP `status` when given                    |                  |
| `ticket_fail`      | the next async ticket ends `complete="2"`                     | replace, upload  |
| `ticket_invalid`   | the next async ticket is reported `invalid="1"`               | replace, upload  |
| `truncate`         | an image file answers its full Content-Length but sends only  | static           |
|                    | `after_bytes` (default half) of it, then closes               |                  |
| `drip`             | the real answer (the request is carried out), sent one byte   | replace, upload, rest |
|                    | every `interval` s (default 0.2), headers too unless          |                  |
|                    | `headers=False`                                               |                  |
| `huge`             | answers HTTP 200 with a body of `size` bytes (default 160 MB) | replace, upload, rest |
|                    | made on the fly; with `length=False` no Content-Length (the   |                  |
|                    | end is the connection's close); nothing is done               |                  |
| `oauth`            | answers HTTP 401 `oauth_problem=NAME` (`problem`, default     | replace, upload, rest |
|                    | `timestamp_refused`; `""`: a bare 401); nothing is done       |                  |
| `retry_after`      | answers HTTP 429 with `Retry-After: seconds` (default 1; an   | replace, upload, rest |
|                    | HTTP date instead with `date=True`); nothing is done          |                  |

`scope` narrows or widens where a fault applies: `replace`, `upload`, `rest`, `oauth`, `static`
(the image files; `http`, `slow`, `drop_after_body`, `truncate`, `drip`, `huge` and `retry_after`
apply there), a list of these,
or `any`. `method` restricts a fault to one REST method (`*`: any).
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Mapping

UPLOADS = frozenset({"replace", "upload"})
REST = frozenset({"rest"})
STATIC = frozenset({"static"})
ALL_SCOPES = UPLOADS | REST | {"oauth"} | STATIC
CHECK_TICKETS = "flickr.photos.upload.checkTickets"

DEFAULT_SCOPES: dict[str, frozenset[str]] = {
    "error": UPLOADS,
    "http": UPLOADS,
    "drop_before_body": UPLOADS,
    "drop_after_body": UPLOADS,
    "slow": UPLOADS | REST,
    "rest_error": REST,
    "ticket_fail": UPLOADS,
    "ticket_invalid": UPLOADS,
    "truncate": STATIC,
    "drip": UPLOADS | REST,
    "huge": UPLOADS | REST,
    "oauth": UPLOADS | REST,
    "retry_after": UPLOADS | REST,
}
ANSWERS = frozenset({"error", "http", "drop_after_body", "rest_error", "huge", "oauth", "retry_after"})
STATIC_ANSWERS = frozenset({"http", "drop_after_body", "truncate", "huge", "retry_after"})
KINDS = frozenset(DEFAULT_SCOPES)


@dataclass
class Fault:
    kind: str
    count: int = 1
    scopes: frozenset[str] = UPLOADS
    method: str | None = None
    opts: dict[str, Any] = field(default_factory=dict)

    def matches(self, kinds: Collection[str], scope: str, method: str | None) -> bool:
        if self.kind not in kinds or scope not in self.scopes:
            return False
        return self.method in (None, "*") or self.method == method

    def opt(self, name: str, default: Any) -> Any:
        return self.opts.get(name, default)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.count, "scope": sorted(self.scopes),
                "method": self.method, **self.opts}


def _scopes(kind: str, scope: str | Iterable[str] | None) -> frozenset[str]:
    if scope is None:
        return DEFAULT_SCOPES[kind]
    names = {scope} if isinstance(scope, str) else set(scope)
    if "any" in names:
        return ALL_SCOPES
    unknown = names - ALL_SCOPES
    if unknown or not names:
        raise ValueError(f"unknown fault scope {sorted(unknown) or scope!r}; known: {sorted(ALL_SCOPES)} or 'any'")
    return frozenset(names)


class FaultQueue:
    """Thread-safe FIFO of faults; each matching request consumes one unit of `count`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self.applied: Counter[str] = Counter()

    def push(self, kind: str, count: int = 1, scope: str | Iterable[str] | None = None,
             method: str | None = None, **opts: Any) -> Fault:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(sorted(KINDS))}")
        if not isinstance(count, int) or count < 1:
            raise ValueError("fault count must be a positive integer")
        if kind == "rest_error" and method is None:
            method = CHECK_TICKETS
        fault = Fault(kind, count, _scopes(kind, scope), method, dict(opts))
        with self._lock:
            self._queue.append(fault)
        return fault

    def push_spec(self, spec: Mapping[str, Any]) -> Fault:
        """A fault from a JSON object (the HTTP control endpoint): `kind`, `count`, `scope`, `method`, options."""
        spec = dict(spec)
        kind = spec.pop("kind", None)
        if not isinstance(kind, str):
            raise ValueError("a fault needs a 'kind'")
        return self.push(kind, spec.pop("count", 1), spec.pop("scope", None), spec.pop("method", None), **spec)

    def take(self, kinds: Collection[str], scope: str, method: str | None = None) -> Fault | None:
        """Consume the first queued fault of one of `kinds` that applies to this request."""
        with self._lock:
            for fault in self._queue:
                if fault.matches(kinds, scope, method):
                    fault.count -= 1
                    if fault.count == 0:
                        self._queue.remove(fault)
                    self.applied[fault.kind] += 1
                    return fault
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.to_dict() for f in self._queue]

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
