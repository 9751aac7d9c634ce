"""Local checks before any upload: a file that would fail on Flickr is never sent."""
from __future__ import annotations

import os
import stat

from .formats.raw import raw_format
from .formats.sniff import sniff_file
from .result import ResultError


def check_file(path: str, max_bytes: int | None = None) -> tuple[int, str] | ResultError:
    """(size, format) for a file Flickr will take, else the error Flickr would have answered."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return ResultError.refusal("no_file", f"no such file: {path} (check the path)")
    except OSError as exc:
        return ResultError.refusal("no_file", f"cannot read {path}: {exc.strerror}")
    if stat.S_ISDIR(st.st_mode):
        return ResultError.refusal("not_a_file", f"is a directory, not a photo: {path} (give the image files inside it)")
    if not stat.S_ISREG(st.st_mode):
        return ResultError.refusal("not_a_file", f"not a regular file: {path}")
    if st.st_size == 0:
        return ResultError.refusal("empty", f"file is empty: {path} (export it again)", code=4)
    try:
        with open(path, "rb") as fh:
            kind = sniff_file(fh)
            raw = raw_format(fh) if kind == "raw" else None
    except OSError as exc:
        return ResultError.refusal("no_file", f"cannot read {path}: {exc.strerror}")
    if kind == "video":
        return ResultError.refusal("video", f"Videos can't be replaced: {path} is a video", code=8)
    if raw:
        # Flickr's answer to a raw is unknown (a TIFF-based one may even be taken as a TIFF and
        # shown wrong): refuse it here, with no Flickr code.
        return ResultError.refusal("raw", f"{path} is a camera RAW file ({raw.upper()}), which Flickr cannot show: "
                                   "export a JPEG or TIFF from it first, and replace with that")
    if kind is None:
        return ResultError.refusal("not_an_image", f"not an image Flickr takes (JPEG, PNG, GIF, TIFF, WebP, HEIC): {path}", code=5)
    return check_size(path, st.st_size, max_bytes) or (st.st_size, kind)


def check_size(path: str, size: int, max_bytes: int | None) -> ResultError | None:
    """Flickr's error 6, found before sending, when the file is over the account's limit."""
    if max_bytes is not None and size > max_bytes:
        return ResultError.refusal("too_big", f"{path} is {size} bytes, over the account's limit of {max_bytes} bytes (export a smaller file)", code=6)
    return None
