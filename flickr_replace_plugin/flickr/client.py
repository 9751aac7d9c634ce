"""Talking to Flickr: OAuth 1.0a signed requests (oauth1.py), the streamed multipart upload, REST calls.

One FlickrClient per worker thread: each owns a requests Session so connections are reused.
Transport errors become FlickrFailure values in one place (`_send`).
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import secrets
import time
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping, Protocol
from urllib.parse import urlencode

from ..version import __version__
from ..config import Config
from .oauth1 import authorization
from .ratelimit import CallLimiter, ThrottledFile
from .responses import FlickrFailure, UploadAnswer, parse_rest_json, parse_upload
from .transport import SLOW_LINK, Answer, exchange, new_session
from ..result import ResultError

log = logging.getLogger("flickr_replace.transport")
USER_AGENT = f"flickr-replace/{__version__}"
FORM = "application/x-www-form-urlencoded"
MAX_DOWNLOAD = 1 << 30  # a backup with no size limit given: more than any original Flickr keeps


class ReadWatch(Protocol):
    """Sees an upload's file: its descriptor when opened and closed, every block read in between,
    and (`ending`) the moment the whole file was read, before the body's closing boundary goes out:
    raising there cuts the body short, which Flickr refuses."""

    def opened(self, fd: int) -> None: ...
    def update(self, block: bytes) -> None: ...
    def ending(self) -> None: ...
    def closed(self, fd: int, read: int) -> None: ...


def upload_timeout(size: int, minimum: float = 60.0, limit_rate: int | None = None) -> float:
    """An upload's whole deadline, generous for big files: a fixed minimum plus time for a slow
    (100 kB/s) link, or for the speed the user capped it at when that is slower."""
    rate = min(SLOW_LINK, limit_rate) if limit_rate else SLOW_LINK
    return minimum + size / rate


def wire_name(path: str) -> str:
    """The file name sent in the multipart body: a name that is not UTF-8 keeps its extension."""
    return os.path.basename(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class FlickrClient:
    def __init__(self, config: Config, limiter: CallLimiter | None = None) -> None:
        self.config = config.require_credentials()
        self.endpoints = config.endpoints
        self.limiter = limiter
        self.session = new_session(USER_AGENT)

    def close(self) -> None:
        self.session.close()

    # -- signing -------------------------------------------------------------------------------
    def sign_fields(self, url: str, fields: Mapping[str, str]) -> str:
        """The Authorization header for a POST whose signed fields are `fields` (photo left out).

        Signs as if the fields were form-encoded, then the multipart body goes out with this
        header: a stock OAuth library signing the multipart request would leave them out.
        A fresh nonce and timestamp every call, so a retry is a new request.
        """
        c = self.config
        header = authorization("POST", url, fields, consumer_key=c.api_key or "", consumer_secret=c.api_secret or "",
                               token=c.oauth_token or "", token_secret=c.oauth_token_secret or "")
        log.debug("signed %s: Authorization: %s", url, header)  # masked by the log filter
        return header

    # -- requests --------------------------------------------------------------------------------
    def _send(self, method: str, url: str, *, what: str, seconds: float | None = None, **kwargs: Any) -> Answer:
        """One exchange within `seconds` (default http_timeout), its answer capped (see transport)."""
        # Flickr's 3,600-an-hour limit is on API method calls; uploads are paced by their own bytes.
        if self.limiter is not None and url == self.endpoints.rest:
            self.limiter.acquire()
        log.debug("%s %s (%s)", method, url, what)
        answer = exchange(self.session, method, url, what=what,
                          seconds=self.config.http_timeout if seconds is None else seconds, **kwargs)
        log.debug("%s answered HTTP %s (%d bytes)", what, answer.status, answer.size)
        return answer

    def upload_file(self, path: str, fields: Mapping[str, str], *, replace: bool = True,
                    content_type: str = "application/octet-stream",
                    progress: Callable[[int], None] | None = None, file: BinaryIO | None = None,
                    watch: "ReadWatch | None" = None) -> UploadAnswer:
        """One signed, streamed upload: the body is read from disk as it is sent, with a Content-Length.

        :param file: `path` already open (the caller's checks read it); sent from its start, left open.
        :param watch: sees the open file before and after, and every block as it is read (hashing
            the bytes sent without reading the file twice).
        """
        url = self.endpoints.replace if replace else self.endpoints.upload
        auth = self.sign_fields(url, fields)
        with contextlib.ExitStack() as stack:
            raw = file if file is not None else stack.enter_context(open(path, "rb", buffering=0))
            raw.seek(0)
            # The size of what is open now, not of an earlier check: a file still being written
            # must not go out cut short under an old Content-Length.
            size = os.fstat(raw.fileno()).st_size
            if watch is not None:
                watch.opened(raw.fileno())
            sending = ThrottledFile(raw, size, self.config.limit_rate, progress, watch)
            body = MultipartBody(fields, wire_name(path), sending, content_type,
                                 ending=watch.ending if watch is not None else None)
            try:
                answer = self._send("POST", url, what="upload", data=body, auth=auth,
                                    headers={"Content-Type": body.content_type},
                                    seconds=upload_timeout(size, self.config.http_timeout, self.config.limit_rate))
            finally:
                if watch is not None:
                    watch.closed(raw.fileno(), sending.sent)
        return parse_upload(answer.status, answer.body, answer.headers)

    def rest(self, method: str, *, until: float | None = None, **params: str) -> dict:
        """A signed REST call in JSON; POST so long ticket lists never hit a URL length limit.

        :param until: a time.monotonic() past which the call must not go (a ticket wait's end)."""
        url = self.endpoints.rest
        data = {"method": method, "format": "json", "nojsoncallback": "1", **params}
        auth = self.sign_fields(url, data)
        seconds = self.config.http_timeout
        if until is not None:
            seconds = min(seconds, until - time.monotonic())
        answer = self._send("POST", url, what=method, data=urlencode(data), auth=auth, headers={"Content-Type": FORM},
                            seconds=seconds)
        return parse_rest_json(answer.status, answer.body, answer.headers)

    # -- Flickr methods the tool uses ---------------------------------------------------------------
    def check_tickets(self, ticket_ids: Iterable[str], until: float | None = None) -> dict:
        return self.rest("flickr.photos.upload.checkTickets", until=until, tickets=",".join(ticket_ids))

    def photo_secrets(self, photo_id: str) -> tuple[str | None, str | None]:
        photo = _member(self.rest("flickr.photos.getInfo", photo_id=photo_id), "photo")
        secret, original = photo.get("secret"), photo.get("originalsecret")
        return (str(secret) if secret else None), (str(original) if original else None)

    def photo_info(self, photo_id: str) -> dict:
        """flickr.photos.getInfo's `photo`, whole: owner, media, secrets, server, dates..."""
        return _member(self.rest("flickr.photos.getInfo", photo_id=photo_id), "photo")

    def photo_exif(self, photo_id: str) -> dict[str, str]:
        """flickr.photos.getExif: the original's EXIF values by tag name (`DateTimeOriginal`,
        `SubSecTimeOriginal`, ...), raw as the camera wrote them; the first of a name wins."""
        found: dict[str, str] = {}
        entries = _member(self.rest("flickr.photos.getExif", photo_id=photo_id), "photo").get("exif")
        for entry in entries if isinstance(entries, list) else [entries] if isinstance(entries, dict) else []:
            raw = entry.get("raw") if isinstance(entry, dict) else None
            value = raw.get("_content") if isinstance(raw, dict) else raw
            if isinstance(entry, dict) and isinstance(entry.get("tag"), str) and isinstance(value, (str, int)):
                found.setdefault(entry["tag"], str(value))
        return found

    def download(self, url: str, into: BinaryIO, max_bytes: int | None = None) -> int:
        """A static file (no API call) streamed into `into`; its size, checked against Content-Length.

        Raises FlickrFailure for a network error, an HTTP error, a short body or one over `max_bytes`."""
        answer = self._send("GET", url, what="download", into=into, transfer=True,
                            cap=max_bytes if max_bytes is not None else MAX_DOWNLOAD)
        if answer.status != 200:  # 5xx and 429 pass; a 404 stays a 404
            raise FlickrFailure(dataclasses.replace(ResultError.network(f"download: HTTP {answer.status}"),
                                                    retryable=_temporary(answer.status)))
        expected = answer.headers.get("Content-Length")
        if expected is not None and expected.isdigit() and int(expected) != answer.size:
            raise FlickrFailure(ResultError.network(f"download: {answer.size} of {expected} bytes arrived"))
        return answer.size

    def upload_status(self) -> dict:
        return _member(self.rest("flickr.people.getUploadStatus"), "user")

    def max_upload_bytes(self) -> int | None:
        """The account's file-size limit: `filesize maxbytes` (maxmb rounds small limits to 0)."""
        filesize = _member(self.upload_status(), "filesize")
        try:
            return int(filesize.get("maxbytes"))
        except (TypeError, ValueError):
            return None

    def test_login(self) -> dict:
        return _member(self.rest("flickr.test.login"), "user")

    def photo_page(self, method: str, page: int, per_page: int, extras: str, **params: str) -> dict:
        """One page of a photo list (`flickr.people.getPhotos`, `flickr.photos.recentlyUpdated`):
        the `photos` object, whose `photo` is always a list."""
        photos = _member(self.rest(method, page=str(page), per_page=str(per_page), extras=extras, **params),
                         "photos")
        listed = photos.get("photo")
        photos["photo"] = [p for p in (listed if isinstance(listed, list) else [listed] if listed else [])
                           if isinstance(p, dict)]
        return photos

    def fetch(self, url: str, max_bytes: int = 20 * 1024 * 1024) -> bytes:
        """An image at an address Flickr gave (static files need no signature)."""
        answer = self._send("GET", url, what="image download", cap=max_bytes, transfer=True)
        if answer.status != 200:
            raise FlickrFailure(dataclasses.replace(ResultError.network(f"image download: HTTP {answer.status}"),
                                                    retryable=_temporary(answer.status)))  # a 404 stays a 404
        return answer.body


class MultipartBody:
    """A multipart/form-data body streamed from an open file: the text fields, then the file part.

    Iterable with a length, so it goes out with a Content-Length (never chunked), each piece as it
    comes: the file in the throttle's blocks, with constant memory whatever the file's size.
    """

    def __init__(self, fields: Mapping[str, str], filename: str, file: ThrottledFile, content_type: str,
                 name: str = "photo", ending: Callable[[], None] | None = None) -> None:
        self.boundary = secrets.token_hex(16)
        self.file = file
        self.ending = ending  # called before the closing boundary: the body is not whole until it returns
        dash = f"--{self.boundary}\r\n"
        head = "".join(f'{dash}Content-Disposition: form-data; name="{_quote(k)}"\r\n\r\n{v}\r\n'
                       for k, v in fields.items())
        head += (f'{dash}Content-Disposition: form-data; name="{_quote(name)}"; filename="{_quote(filename)}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n")
        self.head = head.encode("utf-8")
        self.tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self.head) + self.file.size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        left = self.file.size
        while left > 0:
            chunk = self.file.read(min(self.file.block_size, left))
            if not chunk:
                raise OSError(f"the file shrank while it was being sent ({left} bytes missing)")
            left -= len(chunk)
            yield chunk
        if self.ending is not None:
            self.ending()
        yield self.tail


def _quote(value: str) -> str:
    """A form-data name or file name in quotes, escaped as browsers and urllib3 do (HTML5)."""
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _temporary(status: int) -> bool:
    return status >= 500 or status == 429


def _member(data: dict, key: str) -> dict:
    """A nested object of a JSON answer, or {} when Flickr sent another shape."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}
