"""Reading request bodies as a real server does: exactly Content-Length bytes, multipart streamed.

Memory stays constant whatever the upload size: the body is read in fixed chunks and the file
part goes straight to a sink (a file on disk), so a 1 GiB photo costs what a small one does.
"""
from __future__ import annotations

import re
from typing import BinaryIO, Callable, Protocol
from urllib.parse import unquote

CHUNK = 1 << 20
MAX_PART_HEADERS = 16 << 10
MAX_FIELD_BYTES = 1 << 20  # all non-file fields together: Flickr's fields are short strings


class BodyError(Exception):
    """A body the server refuses; the connection is closed after the answer."""

    status = 400


class ShortBody(BodyError):
    """Fewer bytes arrived than Content-Length announced: a truncated upload, never acted on."""


class TooLarge(BodyError):
    status = 413


class BodyReader:
    """Hands out at most `length` bytes of `stream`; the stream ending sooner is a ShortBody."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self.stream = stream
        self.length = length
        self.remaining = length

    def read(self, size: int = CHUNK) -> bytes:
        if self.remaining <= 0:
            return b""
        want = min(size, self.remaining)
        try:
            data = self.stream.read(want)
        except OSError as exc:  # includes socket timeouts: a stalled client sent a short body
            raise ShortBody(f"body stopped after {self.length - self.remaining} of {self.length} bytes ({exc})") from None
        self.remaining -= len(data)
        if len(data) < want:
            raise ShortBody(f"body ended after {self.length - self.remaining} of {self.length} bytes")
        return data

    def read_all(self, limit: int) -> bytes:
        if self.length > limit:
            raise TooLarge(f"body of {self.length} bytes is over the {limit} byte limit")
        return self.read(self.length) if self.length else b""

    def discard(self) -> None:
        while self.read():
            pass


class Sink(Protocol):
    def write(self, data: bytes) -> object: ...


_PARAM = re.compile(r';\s*([\w*.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')
_HTML5_ESCAPES = {"%22": '"', "%0D": "\r", "%0A": "\n", "%0d": "\r", "%0a": "\n"}


def parse_disposition(value: str) -> tuple[str | None, str | None]:
    """(name, filename) of a Content-Disposition, accepting the three ways clients write file names:
    raw UTF-8 in quotes (browsers, urllib3 2, curl), backslash escapes, RFC 5987 `filename*=`."""
    params: dict[str, str] = {}
    for key, raw in _PARAM.findall(value):
        raw = raw.strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[key.lower()] = raw
    filename = params.get("filename")
    if filename is not None:
        filename = re.sub(r"%22|%0[DdAa]", lambda m: _HTML5_ESCAPES[m.group()], filename)
    extended = params.get("filename*")
    if extended and extended.count("'") >= 2:
        charset, _, encoded = extended.split("'", 2)
        try:
            filename = unquote(encoded, encoding=charset or "utf-8", errors="strict")
        except (LookupError, UnicodeDecodeError):
            pass
    return params.get("name"), filename


def _part_headers(block: bytes) -> dict[str, str]:
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        text = block.decode("latin-1")
    headers: dict[str, str] = {}
    for line in text.split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def parse_multipart(read: Callable[[], bytes], boundary: bytes,
                    sink_for: Callable[[str, str | None], Sink | None]) -> list[tuple[str, str]]:
    """Stream a multipart/form-data body; return its in-memory fields in order.

    `sink_for(name, filename)` gives a sink for parts to stream elsewhere (the photo), or None to
    keep the part as a text field. Stops at the closing boundary: the caller still owes the rest
    of Content-Length (the epilogue) and must check it arrives.
    """
    delim = b"\r\n--" + boundary
    keep = len(delim) - 1  # a delimiter may straddle two chunks
    buf = bytearray(b"\r\n")  # the first boundary has no CRLF before it; lend it one
    fields: list[tuple[str, str]] = []
    field_bytes = 0

    def fill() -> None:
        chunk = read()
        if not chunk:
            raise BodyError("multipart body ended before its closing boundary")
        buf.extend(chunk)

    while (i := buf.find(delim)) < 0:  # the preamble
        del buf[: max(0, len(buf) - keep)]
        fill()
    del buf[: i + len(delim)]
    while True:
        while len(buf) < 2:
            fill()
        if buf.startswith(b"--"):
            return fields
        while (end := buf.find(b"\r\n\r\n")) < 0:  # padding, CRLF, header lines, blank line
            if len(buf) > MAX_PART_HEADERS:
                raise BodyError("multipart part headers too long")
            fill()
        start = buf.find(b"\r\n")
        if buf[:start].strip(b" \t"):
            raise BodyError("malformed multipart boundary line")
        headers = _part_headers(bytes(buf[start + 2: end]))
        del buf[: end + 4]
        name, filename = parse_disposition(headers.get("content-disposition", ""))
        if name is None:
            raise BodyError("multipart part without a name")
        sink = sink_for(name, filename)
        value = bytearray()
        emit = sink.write if sink is not None else value.extend
        while (i := buf.find(delim)) < 0:
            if len(buf) > keep:
                emit(bytes(buf[: len(buf) - keep]))
                del buf[: len(buf) - keep]
            if sink is None and len(value) + field_bytes > MAX_FIELD_BYTES:
                raise TooLarge("form fields too large")
            fill()
        emit(bytes(buf[:i]))
        del buf[: i + len(delim)]
        if sink is None:
            field_bytes += len(value)
            if field_bytes > MAX_FIELD_BYTES:
                raise TooLarge("form fields too large")
            fields.append((name, value.decode("utf-8", "replace")))
