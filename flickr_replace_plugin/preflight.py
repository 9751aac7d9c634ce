"""Local checks before any upload: a file that would fail on Flickr is never sent."""
from __future__ import annotations

import os
import stat

from .formats.sniff import SNIFF_BYTES, sniff_format
from .result import ResultError


def check_file(path: str, max_bytes: int | None = None) -> tuple[int, str] | ResultError:
    """(size, format) for a file Flickr will take, else the error Flickr would have answered."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return ResultError(f"no such file: {path}")
    except OSError as exc:
        return ResultError(f"cannot read {path}: {exc.strerror}")
    if stat.S_ISDIR(st.st_mode):
        return ResultError(f"is a directory, not a photo: {path}")
    if not stat.S_ISREG(st.st_mode):
        return ResultError(f"not a regular file: {path}")
    if st.st_size == 0:
        return ResultError.flickr(4, f"file is empty: {path}").local()
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        return ResultError(f"cannot read {path}: {exc.strerror}")
    kind = sniff_format(head)
    if kind == "video":
        return ResultError.flickr(8, f"Videos can't be replaced: {path} is a video").local()
    if kind is None:
        return ResultError.flickr(5, f"not an image Flickr takes (JPEG, PNG, GIF, TIFF, WebP, HEIC): {path}").local()
    return check_size(path, st.st_size, max_bytes) or (st.st_size, kind)


def check_size(path: str, size: int, max_bytes: int | None) -> ResultError | None:
    """Flickr's error 6, found before sending, when the file is over the account's limit."""
    if max_bytes is not None and size > max_bytes:
        return ResultError.flickr(6, f"{path} is {size} bytes, over the account's limit of {max_bytes} bytes").local()
    return None
