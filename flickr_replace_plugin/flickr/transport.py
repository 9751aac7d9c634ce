"""One HTTP exchange with limits that hold: an overall deadline, a capped answer, no proxy to loopback.

A per-read timeout alone never ends an answer dripped one byte at a time, so every exchange also
has a wall-clock deadline: a timer shuts the in-flight socket down when it passes, and the reading
loop checks it between blocks. Answers are read in blocks and refused once past a cap, so a huge
answer costs constant memory. Requests to this machine never go through HTTP(S)_PROXY/ALL_PROXY:
a proxy would see the Authorization header and could not reach the sandbox anyway.
"""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.sessions import merge_setting
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from ..config import is_loopback
from ..result import ResultError
from .responses import FlickrFailure

CONNECT_TIMEOUT = 15.0
BLOCK = 256 << 10  # an answer is read in blocks this size: a backup downloading beside an upload adds little memory
MAX_ANSWER = 16 << 20  # REST and XML answers: Flickr's biggest (a 500-photo page) is well under this
SLOW_LINK = 100_000  # bytes a second a transfer's deadline allows for (uploads and downloads)
NO_PROXY = {"http": None, "https": None, "all": None}  # requests drops None entries: no proxy at all

_current = threading.local()  # the Deadline of the exchange this thread is in


class Deadline:
    """A wall-clock limit for one exchange: past it, the connection in use is shut down."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self.conn: Any = None  # the urllib3 connection the exchange took from its pool
        self._lock = threading.Lock()
        self._done = False
        self._timer: threading.Timer | None = None

    def __enter__(self) -> "Deadline":
        _current.deadline = self
        self._arm()
        return self

    def __exit__(self, *exc: Any) -> None:
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()
        _current.deadline = None

    def _arm(self) -> None:
        timer = threading.Timer(max(0.0, self.at - time.monotonic()), self._cut)
        timer.daemon = True
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = timer
        timer.start()

    def extend(self, seconds: float) -> None:
        """More time for a transfer whose size is known now (a download's Content-Length)."""
        self.seconds += seconds
        self.at += seconds
        self._arm()

    def left(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def check(self) -> None:
        if time.monotonic() >= self.at:
            self.expired = True
            raise TimeoutError("deadline passed")

    def _cut(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            # http.client lets go of the socket of an answer that ends with the connection
            # (conn.sock is None then): the socket it connected stays reachable for the cut
            sock = getattr(self.conn, "sock", None) or getattr(self.conn, "connected_sock", None)
        if isinstance(sock, socket.socket):
            # the plain socket's shutdown, also under TLS: the reading thread's recv returns at once
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watched:
    """A pool that tells the thread's Deadline which connection its request uses."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.conn = conn
        return conn


class _Remembered:
    """A connection that keeps the socket it connected, for a Deadline to cut."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.connected_sock = self.sock  # type: ignore[attr-defined]


class _HTTPConnection(_Remembered, HTTPConnection):
    pass


class _HTTPSConnection(_Remembered, HTTPSConnection):
    pass


class _HTTPPool(_Watched, HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(_Watched, HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter with pools whose connections a Deadline can cut; no retries of its own
    (the tool's retry loop counts every attempt)."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if hasattr(manager, "pool_classes_by_scheme"):
            manager.pool_classes_by_scheme = POOLS
        return manager


class _Session(requests.Session):
    """requests' session, reading the environment's proxies and CA bundle once per address: requests
    reads the whole environment twice per request (about 4 ms with the variables a CI machine or a
    desktop session has), which was a third of a batch's CPU time. The environment is taken as it
    is when the session is made, as requests' own `trust_env` documents no later change either."""

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[str, str, Any], dict[str, str]] = {}
        self._ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> dict:
        if not self.trust_env:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if proxies is not None:  # as requests does: the environment's proxies, unless one is given
            parts = urlsplit(url)
            no_proxy = proxies.get("no_proxy")
            key = (parts.scheme, parts.netloc, no_proxy)
            found = self._environment.get(key)
            if found is None:
                found = self._environment[key] = requests.utils.get_environ_proxies(url, no_proxy=no_proxy)
            for name, address in found.items():
                proxies.setdefault(name, address)
        if verify is True or verify is None:
            verify = self._ca_bundle or verify
        return {"proxies": merge_setting(proxies, self.proxies), "stream": merge_setting(stream, self.stream),
                "verify": merge_setting(verify, self.verify), "cert": merge_setting(cert, self.cert)}


def new_session(user_agent: str) -> requests.Session:
    session = _Session()
    session.headers["User-Agent"] = user_agent
    session.trust_env = True  # HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE for Flickr itself
    session.verify = True  # never disabled
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def proxies_for(url: str) -> dict[str, None] | None:
    """No proxy for loopback (127.0.0.0/8, ::1, localhost); the environment's choice otherwise."""
    host = urlsplit(url).hostname
    return dict(NO_PROXY) if host and is_loopback(host) else None


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Any  # requests' case-insensitive mapping
    body: bytes
    size: int  # bytes read (those written to `into` for a download)


def exchange(session: requests.Session, method: str, url: str, *, what: str, seconds: float,
             cap: int = MAX_ANSWER, into: BinaryIO | None = None, transfer: bool = False,
             **kwargs: Any) -> Answer:
    """One request and its whole answer within `seconds` (wall clock), the answer at most `cap` bytes.

    :param into: the body is written there block by block instead of being returned.
    :param transfer: a download: once its size is known, the deadline grows by the time a slow
        link needs for it.
    Raises FlickrFailure (origin network, retryable) for every transport problem.
    """
    seconds = max(0.05, seconds)
    with Deadline(seconds) as deadline:
        try:
            response = session.request(method, url, stream=True, allow_redirects=False,
                                       timeout=(min(CONNECT_TIMEOUT, seconds), seconds),
                                       proxies=proxies_for(url), **kwargs)
            with response:
                declared = response.headers.get("Content-Length", "")
                declared_size = int(declared) if declared.isdigit() else None
                if declared_size is not None and declared_size > cap:
                    raise _too_large(what, cap)
                if transfer:
                    deadline.extend((declared_size if declared_size is not None else cap) / SLOW_LINK)
                body, size = _read(response, what, cap, deadline, into)
        except (requests.RequestException, TimeoutError) as exc:
            if deadline.expired:
                raise FlickrFailure(ResultError.network(
                    f"{what}: Flickr did not answer in time (no whole answer within "
                    f"{round(deadline.seconds, 1):g} s; the network or Flickr is slow: try again later)")) from None
            if isinstance(exc, requests.Timeout):
                raise FlickrFailure(ResultError.network(f"{what}: Flickr did not answer in time")) from None
            if isinstance(exc, requests.ConnectionError):
                raise FlickrFailure(ResultError.network(f"{what}: connection failed ({reason(exc)})")) from None
            raise FlickrFailure(ResultError.network(f"{what}: {type(exc).__name__}")) from None
    return Answer(response.status_code, response.headers, body, size)


def _read(response: requests.Response, what: str, cap: int, deadline: Deadline,
          into: BinaryIO | None) -> tuple[bytes, int]:
    buffer = bytearray()
    size = 0
    for block in response.iter_content(BLOCK):
        size += len(block)
        if size > cap:
            raise _too_large(what, cap)
        deadline.check()
        if into is not None:
            into.write(block)
        else:
            buffer += block
    return bytes(buffer), size


def _too_large(what: str, cap: int) -> FlickrFailure:
    return FlickrFailure(ResultError.network(f"{what}: the answer is larger than {_mib(cap)}, too large to be "
                                             "Flickr's (a proxy or portal in the way?); nothing more was read"))


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.0f} MiB" if size >= 1 << 20 else f"{size} bytes"


def reason(exc: Exception) -> str:
    """A short cause without URLs or headers (they could carry tokens)."""
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Connection aborted", "RemoteDisconnected",
                   "timed out", "Name or service not known", "BrokenPipe", "Broken pipe",
                   "certificate verify failed", "Max retries exceeded"):
        if marker in text:
            return marker.lower() if marker != "Max retries exceeded" else "could not connect"
    return type(exc).__name__
