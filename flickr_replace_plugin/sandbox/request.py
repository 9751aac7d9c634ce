"""One incoming request, read in full before anything acts on it.

Reading the whole declared body first is what makes a truncated upload harmless: a short body
raises before the photo could replace anything. The photo part is streamed to a temp file.
"""
from __future__ import annotations

import hashlib
import os
import queue
import tempfile
import threading
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from .multipart import BodyError, BodyReader, parse_multipart

MAX_FORM_BYTES = 1 << 20
SNIFF_BYTES = 64
PHOTO_FIELD = "photo"


class LengthRequired(BodyError):
    status = 411


@dataclass
class Upload:
    """The received `photo` part: where it was streamed, and what identifies its bytes."""

    path: Path
    filename: str
    size: int
    sha256: str
    head: bytes


@dataclass
class Request:
    method: str
    url: str  # scheme://host/path as the client addressed it: the signature's base URI
    query: list[tuple[str, str]]
    form: list[tuple[str, str]] = field(default_factory=list)
    photo: Upload | None = None
    authorization: str | None = None

    @property
    def fields(self) -> dict[str, str]:
        """Every non-photo parameter, the body's winning over the query's."""
        return dict(self.query + self.form)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.fields.get(name, default)

    def discard_photo(self) -> None:
        """Delete the streamed photo unless the store adopted (moved) it."""
        if self.photo is not None:
            self.photo.path.unlink(missing_ok=True)


class UploadSink:
    """Streams a file part to disk, hashing as it goes, keeping only its first bytes for sniffing.

    Writing happens on a helper thread through a short queue, so disk and network overlap and
    the sandbox keeps up with a client on loopback; memory stays bounded by the queue.
    """

    QUEUE_CHUNKS = 8

    def __init__(self, directory: Path, filename: str | None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, suffix=".part")
        self.path = Path(name)
        self.file = os.fdopen(fd, "wb", buffering=0)
        self.filename = filename or ""
        self.hash = hashlib.sha256()
        self.size = 0
        self.head = b""
        self._queue: queue.Queue[bytes | None] = queue.Queue(self.QUEUE_CHUNKS)
        self._error: OSError | None = None
        self._writer = threading.Thread(target=self._drain, name="sandbox-upload-writer", daemon=True)
        self._writer.start()

    def _drain(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:  # after a failure keep taking chunks, so the reader never blocks
                try:
                    self.file.write(data)
                except OSError as exc:
                    self._error = exc

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        if len(self.head) < SNIFF_BYTES:
            self.head += data[: SNIFF_BYTES - len(self.head)]
        self.hash.update(data)
        self.size += len(data)
        self._queue.put(data)

    def _close(self) -> None:
        self._queue.put(None)
        self._writer.join()
        self.file.close()

    def finish(self) -> Upload:
        self._close()
        if self._error is not None:
            self.path.unlink(missing_ok=True)
            raise self._error
        return Upload(self.path, self.filename, self.size, self.hash.hexdigest(), self.head)

    def abandon(self) -> None:
        self._close()
        self.path.unlink(missing_ok=True)


class NullSink:
    """Swallows a second `photo` part: only the first counts."""

    def write(self, data: bytes) -> None:
        pass


def content_length(headers: Message, method: str) -> int:
    """The declared body length; chunked or undeclared bodies are refused (411), as Flickr may."""
    lengths = headers.get_all("Content-Length") or []
    if headers.get("Transfer-Encoding"):
        if lengths:
            raise BodyError("both Transfer-Encoding and Content-Length")
        raise LengthRequired("a Content-Length is required; chunked bodies are not accepted")
    if not lengths:
        if method in ("GET", "HEAD", "DELETE"):
            return 0
        raise LengthRequired("a Content-Length is required")
    if len(set(lengths)) > 1 or not lengths[0].strip().isdigit():
        raise BodyError("invalid Content-Length")
    return int(lengths[0])


def read_request(method: str, target: str, headers: Message, reader: BodyReader,
                 incoming: Path, default_host: str) -> Request:
    """Parse query and body (urlencoded or multipart) into a Request; raises BodyError."""
    parts = urlsplit(target)
    host = headers.get("Host") or default_host
    request = Request(method=method, url=f"http://{host}{parts.path}",
                      query=parse_qsl(parts.query, keep_blank_values=True, errors="replace"),
                      authorization=headers.get("Authorization"))
    ctype = headers.get_content_type()
    if ctype == "multipart/form-data":
        boundary = headers.get_param("boundary")
        if not isinstance(boundary, str) or not boundary:
            raise BodyError("multipart body without a boundary")
        # The file is the first `photo` part that carries a file name; a plain text field named
        # `photo` (some clients send one before the file) is the file only when no part has a name.
        sinks: dict[bool, UploadSink] = {}

        def sink_for(name: str, filename: str | None) -> UploadSink | NullSink | None:
            if name != PHOTO_FIELD:
                return None
            named = filename is not None
            if named in sinks:
                return NullSink()
            sinks[named] = UploadSink(incoming, filename)
            return sinks[named]

        try:
            request.form = parse_multipart(reader.read, boundary.encode("latin-1"), sink_for)
            reader.discard()  # the epilogue: the declared length must arrive in full
        except BaseException:
            for sink in sinks.values():
                sink.abandon()
            raise
        chosen = sinks.get(True) or sinks.get(False)
        for sink in sinks.values():
            if sink is not chosen:
                sink.abandon()
        if chosen is not None:
            request.photo = chosen.finish()
    elif ctype == "application/x-www-form-urlencoded" or reader.length == 0:
        body = reader.read_all(MAX_FORM_BYTES).decode("utf-8", "replace")
        request.form = parse_qsl(body, keep_blank_values=True, errors="replace")
    else:
        reader.discard()  # a body Flickr would not read: taken off the wire, ignored
    return request
