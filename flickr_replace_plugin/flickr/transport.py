"""One HTTP exchange with limits that hold: an overall deadline, a capped answer, no proxy to loopback.

A per-read timeout alone never ends an answer dripped one byte at a time, so every exchange also
has a wall-clock deadline: a timer shuts the in-flight socket down when it passes, and the reading
loop checks it between blocks. Answers are read in blocks and refused once past a cap, so a huge
answer costs constant memory. Requests to this machine never go through HTTP(S)_PROXY/ALL_PROXY:
a proxy would see the Authorization header and could not reach the sandbox anyway.

Built on the standard library's http.client: keep-alive connections per host, TLS verified against
certifi's bundle (or REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE), the environment's proxies (an http://
proxy; CONNECT for https) and NO_PROXY. It costs a replace about 15 ms of imports where requests and
urllib3 cost 60-100 ms, paid by every process a host starts for a photo; TLS, certifi and the proxy
lookup are loaded only for a host that is not this machine.
"""
from __future__ import annotations

import base64
import contextlib
import dataclasses
import http.client
import logging
import os
import selectors
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Iterable, Iterator, Mapping, Union
from urllib.parse import SplitResult, unquote, urlsplit

from ..config import is_loopback
from ..result import ResultError
from .responses import FlickrFailure

CONNECT_TIMEOUT = 15.0
BLOCK = 256 << 10  # an answer is read in blocks this size: a backup downloading beside an upload adds little memory
MAX_ANSWER = 16 << 20  # REST and XML answers: Flickr's biggest (a 500-photo page) is well under this
SLOW_LINK = 100_000  # bytes a second a transfer's deadline allows for (uploads and downloads)
DEFAULT_PORTS = {"http": 80, "https": 443}
Body = Union[bytes, str, Iterable[bytes], None]

if TYPE_CHECKING:
    import ssl

log = logging.getLogger("flickr_replace.http")

_current = threading.local()  # the Deadline of the exchange this thread is in


class Deadline:
    """A wall-clock limit for one exchange: past it, the connection in use is shut down."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self.sock: socket.socket | None = None  # the connection's socket, once connected
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

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Time spent inside is not the network's: the limit moves on by as much."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
        started = time.monotonic()
        try:
            yield
        finally:
            self.extend(time.monotonic() - started)

    def check(self) -> None:
        if time.monotonic() >= self.at:
            self.expired = True
            raise TimeoutError("deadline passed")

    def _cut(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sock = self.sock
        if isinstance(sock, socket.socket):
            # the plain socket's shutdown, also under TLS: the reading thread's recv returns at once
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


Key = tuple  # a kept connection's (scheme, host, port, proxy)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """This thread's exchange waits on this machine (a body's end held for the checks or for the
    backup): the wait does not count against its deadline."""
    deadline = getattr(_current, "deadline", None)
    if deadline is None:
        yield
        return
    with deadline.paused():
        yield


class Session:
    """One thread's open connections, kept alive between requests, by scheme, host, port and proxy;
    the environment's proxy for each address read once."""

    def __init__(self, user_agent: str) -> None:
        self.user_agent = user_agent
        self._open: dict[Key, http.client.HTTPConnection] = {}
        self._proxies: dict[tuple[str, str], "Proxy | None"] = {}

    def close(self) -> None:
        for conn in self._open.values():
            conn.close()
        self._open.clear()

    def send(self, method: str, url: str, body: Body, headers: Mapping[str, str], deadline: Deadline,
             connect_s: float) -> tuple[Key, http.client.HTTPConnection, http.client.HTTPResponse]:
        """The request sent whole and its answer's head read; the connection is out of the session
        until the caller hands it back whole (`keep`), or closes it."""
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
        proxy = self._proxy_for(parts, port)
        key = (parts.scheme, parts.hostname or "", port, proxy)
        conn = self._open.pop(key, None)
        if conn is not None and _dropped(conn):
            conn.close()
            conn = None
        if conn is None:
            conn = _connection(parts.scheme, parts.hostname or "", port, proxy, connect_s)
        try:
            if conn.sock is None:
                conn.connect()
            deadline.sock = conn.sock  # type: ignore[assignment]
            conn.sock.settimeout(deadline.seconds)  # type: ignore[union-attr]  # each read's limit
            target = url if proxy is not None and parts.scheme == "http" else _path(parts)
            conn.putrequest(method, target, skip_accept_encoding=True)
            for name, value in _headers(method, self.user_agent, body, headers,
                                        proxy if parts.scheme == "http" else None):
                conn.putheader(name, value)
            conn.endheaders()
            log.debug("%s %s://%s%s", method, parts.scheme, parts.netloc, parts.path)
            response = _sent(conn, body)
        except BaseException:
            conn.close()
            raise
        log.debug('"%s %s" answered %s', method, parts.path, response.status)
        return key, conn, response

    def keep(self, key: Key, conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        """A connection whose answer was read whole, kept for the next request unless it ends."""
        if response.will_close:
            conn.close()
        else:
            self._open[key] = conn

    def _proxy_for(self, parts: SplitResult, port: int) -> "Proxy | None":
        """None for loopback (127.0.0.0/8, ::1, localhost), else the environment's choice."""
        host = parts.hostname or ""
        if is_loopback(host):
            return None
        key = (parts.scheme, f"{host}:{port}")
        if key not in self._proxies:
            self._proxies[key] = environment_proxy(parts.scheme, host, port)
        return self._proxies[key]


class Unusable(OSError):
    """An address this client cannot use (its message says which and what to do)."""


@dataclass(frozen=True)
class Proxy:
    host: str
    port: int
    authorization: str | None  # the Proxy-Authorization header for credentials in the proxy's URL


def environment_proxy(scheme: str, host: str, port: int) -> Proxy | None:
    """The proxy for this address as requests finds it: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (lower
    case first) unless NO_PROXY names it; without them, the system's settings (Windows' registry,
    macOS' network settings). Only an http:// proxy is spoken to."""
    import urllib.request

    proxies = urllib.request.getproxies()
    address = proxies.get(scheme) or proxies.get("all")
    if not address or urllib.request.proxy_bypass(host):
        return None
    if "://" not in address:
        address = "http://" + address
    parts = urlsplit(address)
    try:
        proxy_port = parts.port or 80
    except ValueError:
        proxy_port = 0
    if parts.scheme != "http" or not parts.hostname or not proxy_port:
        raise Unusable(f"the proxy {parts.scheme}://{parts.hostname or ''} is not an http://host:port proxy, the "
                      "only kind this tool speaks to (set HTTPS_PROXY to one, or name Flickr's hosts in NO_PROXY)")
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode("utf-8")
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
    return Proxy(parts.hostname, proxy_port, authorization)


def _connection(scheme: str, host: str, port: int, proxy: Proxy | None, timeout: float) -> http.client.HTTPConnection:
    if scheme == "https":
        conn: http.client.HTTPConnection
        if proxy is None:
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=tls())
        else:  # CONNECT through the proxy, TLS with Flickr end to end
            conn = http.client.HTTPSConnection(proxy.host, proxy.port, timeout=timeout, context=tls())
            tunnel = {"Proxy-Authorization": proxy.authorization} if proxy.authorization else None
            conn.set_tunnel(host, port, headers=tunnel)
        return conn
    if scheme != "http":
        raise Unusable(f"not an http or https address: {scheme}://{host}")
    return http.client.HTTPConnection(proxy.host if proxy else host, proxy.port if proxy else port, timeout=timeout)


_TLS: dict[str, "ssl.SSLContext"] = {}


def tls() -> "ssl.SSLContext":
    """Certificates checked (never turned off) against REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE when set
    (a file or a folder), else certifi's bundle, as requests does; made once per process."""
    import ssl

    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or ""
    if bundle not in _TLS:
        try:
            if not bundle:
                import certifi

                context = ssl.create_default_context(cafile=certifi.where())
            elif os.path.isdir(bundle):
                context = ssl.create_default_context(capath=bundle)
            else:
                context = ssl.create_default_context(cafile=bundle)
        except (OSError, ssl.SSLError) as exc:  # a setting to fix, not a network failure to retry
            raise Unusable(f"cannot load the certificates in {bundle or 'certifi'} ({getattr(exc, 'strerror', None) or exc}); "
                           "fix or unset REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE") from None
        # Python 3.13 checks certificates more strictly than OpenSSL and requests do: a company's
        # TLS-inspecting CA that requests accepted would be refused
        context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
        _TLS[bundle] = context
    return _TLS[bundle]


def _path(parts: SplitResult) -> str:
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _headers(method: str, user_agent: str, body: Body, headers: Mapping[str, str],
             proxy: Proxy | None) -> list[tuple[str, str]]:
    out = [("User-Agent", user_agent), ("Accept-Encoding", "identity"), ("Accept", "*/*")]
    if body is not None or method in ("POST", "PUT", "PATCH"):  # a POST without one is refused (411)
        size = 0 if body is None else len(body.encode("utf-8")) if isinstance(body, str) else len(body)  # type: ignore[arg-type]
        out.append(("Content-Length", str(size)))
    if proxy is not None and proxy.authorization:
        out.append(("Proxy-Authorization", proxy.authorization))
    return out + [(k, v) for k, v in headers.items() if v is not None]


def _sent(conn: http.client.HTTPConnection, body: Body) -> http.client.HTTPResponse:
    """The body sent and the answer's head read. An answer Flickr gives before the body's end (a
    401 for a revoked token, a 413, a 503) and the connection it closes are the answer, not a
    broken pipe: it says what to do, where a retry would send the whole file again for nothing."""
    try:
        if body is not None:
            for block in [body] if isinstance(body, (bytes, str)) else body:
                conn.send(block.encode("utf-8") if isinstance(block, str) else block)
    except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
        try:
            early = conn.getresponse()
        except (OSError, http.client.HTTPException):
            early = None
        if early is None:
            raise
        early.will_close = True  # the body was cut: this connection is done
        return early
    return conn.getresponse()


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """A kept connection the server closed, or that holds bytes nobody asked for: not reused."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        with selectors.DefaultSelector() as ready:  # select() itself stops at descriptor 1024
            ready.register(sock, selectors.EVENT_READ)
            return bool(ready.select(0))
    except (OSError, ValueError):
        return True


def new_session(user_agent: str) -> Session:
    return Session(user_agent)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Any  # http.client's case-insensitive message: .get("Content-Length")
    body: bytes
    size: int  # bytes read (those written to `into` for a download)


def exchange(session: Session, method: str, url: str, *, what: str, seconds: float,
             cap: int = MAX_ANSWER, into: BinaryIO | None = None, transfer: bool = False,
             data: Body = None, auth: str | None = None, headers: Mapping[str, str] | None = None) -> Answer:
    """One request and its whole answer within `seconds` (wall clock), the answer at most `cap` bytes.

    :param into: the body is written there block by block instead of being returned.
    :param transfer: a download: once its size is known, the deadline grows by the time a slow
        link needs for it.
    :param auth: the Authorization header (a signed request's).
    Raises FlickrFailure (origin network, retryable) for every transport problem.
    """
    seconds = max(0.05, seconds)
    sent = {**(headers or {}), **({"Authorization": auth} if auth else {})}
    with Deadline(seconds) as deadline:
        try:
            key, conn, response = session.send(method, url, data, sent, deadline, min(CONNECT_TIMEOUT, seconds))
            try:
                declared = response.headers.get("Content-Length", "")
                declared_size = int(declared) if declared.isdigit() else None
                if declared_size is not None and declared_size > cap:
                    raise _too_large(what, cap)
                if transfer:
                    deadline.extend((declared_size if declared_size is not None else cap) / SLOW_LINK)
                body, size = _read(response, what, cap, deadline, into)
            except BaseException:
                conn.close()  # an answer not read whole: the connection is not reused
                raise
            session.keep(key, conn, response)
        except (OSError, http.client.HTTPException) as exc:
            raise _network(what, exc, deadline) from None
        except _Local as local:
            raise local.exc from None
    return Answer(response.status, response.headers, body, size)


class _Local(Exception):
    """An error of this machine's (writing a download to disk) carried past the network's handler."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(str(exc))
        self.exc = exc


def _network(what: str, exc: BaseException, deadline: Deadline) -> FlickrFailure:
    if deadline.expired:
        return FlickrFailure(ResultError.network(
            f"{what}: Flickr did not answer in time (no whole answer within "
            f"{round(deadline.seconds, 1):g} s; the network or Flickr is slow: try again later)"))
    if isinstance(exc, TimeoutError):
        return FlickrFailure(ResultError.network(f"{what}: Flickr did not answer in time"))
    if isinstance(exc, Unusable):
        return FlickrFailure(dataclasses.replace(ResultError.network(f"{what}: {exc}"), retryable=False))
    if isinstance(exc, http.client.IncompleteRead):
        return FlickrFailure(ResultError.network(f"{what}: the answer was cut short ({len(exc.partial)} bytes "
                                                 "of it arrived)"))
    return FlickrFailure(ResultError.network(f"{what}: connection failed ({reason(exc)})"))


def _read(response: http.client.HTTPResponse, what: str, cap: int, deadline: Deadline,
          into: BinaryIO | None) -> tuple[bytes, int]:
    buffer = bytearray()
    size = 0
    while block := response.read(BLOCK):
        size += len(block)
        if size > cap:
            raise _too_large(what, cap)
        deadline.check()
        if into is not None:
            try:
                into.write(block)
            except OSError as exc:  # the disk's, not the network's: the caller words it (a full disk)
                raise _Local(exc) from None
        else:
            buffer += block
    return bytes(buffer), size


def _too_large(what: str, cap: int) -> FlickrFailure:
    return FlickrFailure(ResultError.network(f"{what}: the answer is larger than {_mib(cap)}, too large to be "
                                             "Flickr's (a proxy or portal in the way?); nothing more was read"))


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.0f} MiB" if size >= 1 << 20 else f"{size} bytes"


def reason(exc: BaseException) -> str:
    """A short cause without URLs or headers (they could carry tokens)."""
    text = f"{type(exc).__name__}: {exc}"
    for marker in ("Connection refused", "Connection reset", "Connection aborted", "RemoteDisconnected",
                   "timed out", "Name or service not known", "BrokenPipe", "Broken pipe",
                   "certificate verify failed", "Tunnel connection failed"):
        if marker in text:
            return marker.lower() if marker != "Tunnel connection failed" else "the proxy refused the connection"
    return type(exc).__name__
