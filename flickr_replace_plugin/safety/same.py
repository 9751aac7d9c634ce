"""Check 3: the file's picture against the photo's current image on Flickr (a small size, fetched
from its static address: no API call). A different picture is refused, and so is the neighbouring
frame of a burst (the capture times tell it: capture.py); one that cannot be decoded (here or
there) only gets a warning."""
from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, BinaryIO, Callable, Tuple

from ..result import ResultError
from .capture import Capture, capture_time, has_fraction, other_shot
from .targets import PhotoInfo

if TYPE_CHECKING:
    from .picture import Picture

Ours = Tuple[bool, "Picture | None"]  # (a comparison module is installed, the file's digest or None)
log = logging.getLogger("flickr_replace.safety")
# Small 320, else the thumbnail (always there: Flickr lists no size larger than the original).
SIZES = ("n", "t")
MAX_SMALL_BYTES = 4 << 20


def our_picture(file: BinaryIO) -> Ours:
    """The file's digest: the slow half of the check (Pillow's import, the decode), which needs
    nothing from Flickr, so it runs on a worker while the photo's answers are on their way."""
    try:
        from .picture import picture_of
    except ImportError:  # the comparison module is not installed with this build: nothing to compare
        return False, None
    ours = picture_of(file)
    if ours is not None:  # a picture to compare: the comparison's import, here rather than once Flickr's image is in
        try:
            import numpy  # noqa: F401
        except ImportError:
            pass
    return True, ours


def same_picture(path: str, digest: Callable[[], Ours], info: PhotoInfo, base_url: str | None,
                 download: Callable[..., int], warnings: list[str], *, force: bool,
                 photo_time: Callable[[], Capture] | None = None) -> ResultError | None:
    """`not_similar` for a different picture, or for another shot of a burst by the capture times
    (unless `force`); notes in `warnings` otherwise.

    :param digest: our file's digest (`our_picture`), waited for once Flickr's small image is in.
    :param photo_time: the photo's original's capture time (an API call): asked only when the
        file's own time has a fraction of a second and the pictures look alike."""
    small = _fetch_small(info, base_url, download)
    comparable, ours = digest()
    if not comparable:
        return None
    from .picture import compare, picture_of

    if ours is None:
        warnings.append(f"the picture in {path} could not be decoded, so it was not compared with "
                        f"photo {info.photo_id}'s current image: check the id before relying on it")
        return None
    theirs = picture_of(small or b"")
    if theirs is None:
        warnings.append(f"photo {info.photo_id}'s current image on Flickr could not be fetched or decoded, "
                        "so the pictures were not compared")
        return None
    verdict = compare(ours, theirs)
    if getattr(verdict, "orientation_changed", False):
        warnings.append(f"the picture is {verdict.turn} relative to photo {info.photo_id} on Flickr: "
                        "check the orientation; Flickr notes and people tags on the photo may move")
    if verdict.aspect_changed:
        warnings.append(f"the aspect ratio changed ({theirs.width}x{theirs.height} on Flickr, {ours.width}x"
                        f"{ours.height} here): Flickr notes and people tags on the photo may move")
    if verdict.similar:
        problem = _other_shot(path, photo_time, warnings)
        explained = f"{path} is another shot than photo {info.photo_id}: {problem}"
    else:
        problem = verdict.describe()
        explained = f"{path} does not look like photo {info.photo_id}'s current image ({problem})"
    if problem is None:
        return None
    if force:
        warnings.append(f"--force: replaced although {problem}")
        return None
    return ResultError.refusal("not_similar", f"{explained}: check the id; --force replaces it anyway")


def _other_shot(path: str, photo_time: Callable[[], Capture] | None, warnings: list[str]) -> str | None:
    """Why the capture times say the file is another shot of a burst than the photo; None when they
    do not (or cannot tell: no fraction of a second in the file, no answer from Flickr)."""
    if photo_time is None:
        return None
    ours = capture_time(path)
    if not has_fraction(ours):
        return None  # the common case: no call is made
    try:
        theirs = photo_time()
    except Exception as exc:  # FlickrFailure (network, an error answer): the pictures already agree
        warnings.append(f"the capture time of the photo's original could not be read, so the file was not "
                        f"checked for being another shot of a burst ({getattr(getattr(exc, 'error', None), 'message', exc)})")
        return None
    return other_shot(ours, theirs)


def _fetch_small(info: PhotoInfo, base_url: str | None, download: Callable[..., int]) -> bytes | None:
    for suffix in SIZES:
        url = info.static_url(base_url, suffix)
        if url is None:
            return None
        buffer = io.BytesIO()
        try:
            download(url, buffer, MAX_SMALL_BYTES)
            return buffer.getvalue()
        except Exception as exc:  # FlickrFailure (network, 404): try the next size
            log.debug("could not fetch %s: %s", url, getattr(getattr(exc, "error", None), "message", exc))
    return None
