"""Local checks before any upload: a file that would fail on Flickr is never sent.

A file is looked at once: `open_checked` opens it, decides whether it is there, a regular file,
not empty and an image Flickr takes, and keeps it open. The metadata walk and the upload then read
that same open file, so what was checked is what is sent.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import BinaryIO

from .formats.raw import raw_format
from .formats.sniff import CONTENT_TYPES, sniff_file
from .result import ResultError


@dataclass
class Checked:
    """A file that passed the local checks, still open."""

    path: str
    file: BinaryIO
    size: int
    kind: str  # the container, by its bytes: jpeg, png, gif, tiff, webp, heif

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]

    def close(self) -> None:
        self.file.close()


def open_checked(path: str) -> Checked | ResultError:
    """The file open and checked, else the error Flickr would have answered (nothing stays open)."""
    try:  # O_NONBLOCK: opening a FIFO in a photo's place must not hang; regular files ignore it
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return ResultError.refusal("no_file", f"no such file: {path} (check the path)")
    except OSError as exc:  # a socket cannot be opened, nor (on Windows) a directory: say which
        try:
            not_regular = _not_regular(path, os.stat(path).st_mode)
        except OSError:
            not_regular = None
        return not_regular or _unreadable(path, exc)
    try:
        st = os.fstat(fd)
        not_regular = _not_regular(path, st.st_mode)
        if not_regular is not None:  # io refuses to wrap a directory: decide before it does
            os.close(fd)
            return not_regular
        file = os.fdopen(fd, "rb")
    except OSError as exc:
        os.close(fd)
        return _unreadable(path, exc)
    try:
        verdict = _check(path, file, st.st_size)
    except OSError as exc:
        verdict = _unreadable(path, exc)
    if isinstance(verdict, ResultError):
        file.close()
    return verdict


def _unreadable(path: str, exc: OSError) -> ResultError:
    return ResultError.refusal("no_file", f"cannot read {path}: {exc.strerror} (check that you may read it)")


def _not_regular(path: str, mode: int) -> ResultError | None:
    if stat.S_ISDIR(mode):
        return ResultError.refusal("not_a_file", f"is a directory, not a photo: {path} (give the image files inside it)")
    return None if stat.S_ISREG(mode) else ResultError.refusal("not_a_file", f"not a regular file: {path} (give an image file)")


def _check(path: str, file: BinaryIO, size: int) -> Checked | ResultError:
    if size == 0:
        return ResultError.refusal("empty", f"file is empty: {path} (export it again)", code=4)
    kind = sniff_file(file)
    raw = raw_format(file) if kind == "raw" else None
    if kind == "video":
        return ResultError.refusal("video", f"Videos can't be replaced: {path} is a video (give a photo)", code=8)
    if raw:
        # Flickr's answer to a raw is unknown (a TIFF-based one may even be taken as a TIFF and
        # shown wrong): refuse it here, with no Flickr code.
        return ResultError.refusal("raw", f"{path} is a camera RAW file ({raw.upper()}), which Flickr cannot show: "
                                   "export a JPEG or TIFF from it first, and replace with that")
    if kind is None:
        return ResultError.refusal("not_an_image", f"not an image Flickr takes: {path} (export it as JPEG, PNG, GIF, TIFF, WebP or HEIC)", code=5)
    return Checked(path, file, size, kind)


def check_size(path: str, size: int, max_bytes: int | None) -> ResultError | None:
    """Flickr's error 6, found before sending, when the file is over the account's limit."""
    if max_bytes is not None and size > max_bytes:
        return ResultError.refusal("too_big", f"{path} is {size} bytes, over the account's limit of {max_bytes} bytes (export a smaller file)", code=6)
    return None
