"""Flickr's photo sizes: which exist for a photo, their static addresses, and the resized JPEGs.

Addresses have live.staticflickr.com's shape, `{server}/{id}_{secret}_{suffix}.jpg` and
`{server}/{id}_{originalsecret}_o.{originalformat}`, served from the sandbox's own origin. The
secrets are in the address, so a replace (new secrets) makes every old address stop working.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from .records import Photo


@dataclass(frozen=True)
class Size:
    label: str
    suffix: str  # in the static file name; "" for Medium, "o" for the original
    edge: int  # longest side (squares: both sides); 0 for the original
    code: str  # url_CODE extra of people.getPhotos, and the /sizes/CODE/ page
    square: bool = False


SIZES = (
    Size("Square", "s", 75, "sq", True),
    Size("Large Square", "q", 150, "q", True),
    Size("Thumbnail", "t", 100, "t"),
    Size("Small", "m", 240, "s"),
    Size("Small 320", "n", 320, "n"),
    Size("Medium", "", 500, "m"),
    Size("Medium 640", "z", 640, "z"),
    Size("Medium 800", "c", 800, "c"),
    Size("Large", "b", 1024, "l"),
)
ORIGINAL = Size("Original", "o", 0, "o")
BY_SUFFIX = {s.suffix: s for s in SIZES}
BY_CODE = {s.code: s for s in (*SIZES, ORIGINAL)}


def dimensions(photo: Photo, size: Size) -> tuple[int, int]:
    """Pixel size of `size` of this photo: squares are cropped, the rest fit, never enlarged."""
    if size is ORIGINAL:
        return photo.width, photo.height
    if size.square:
        return size.edge, size.edge
    longest = max(photo.width, photo.height)
    scale = min(1.0, size.edge / longest)
    return max(1, round(photo.width * scale)), max(1, round(photo.height * scale))


def available(photo: Photo) -> list[Size]:
    """The sizes Flickr lists for this photo, smallest first, Original last.

    The squares and the thumbnail always exist; a larger size only when the original reaches it
    (Flickr does not enlarge; whether it lists a size equal to the original is unknown, so a size
    is listed once the original is at least that large). A picture the sandbox cannot decode (no
    Pillow, HEIC without a plugin) has only its original, which a client must cope with too.
    """
    if photo.media == "video" or not photo.width or not photo.height:
        return [ORIGINAL]
    longest = max(photo.width, photo.height)
    return [s for s in SIZES if s.square or s.suffix == "t" or longest >= s.edge] + [ORIGINAL]


def file_name(photo: Photo, size: Size) -> str:
    if size is ORIGINAL:
        return f"{photo.id}_{photo.originalsecret}_o.{photo.originalformat}"
    return f"{photo.id}_{photo.secret}{'_' + size.suffix if size.suffix else ''}.jpg"


def source(origin: str, photo: Photo, size: Size) -> str:
    return f"{origin}/{photo.server}/{file_name(photo, size)}"


def page(photo: Photo, size: Size) -> str:
    return f"https://www.flickr.com/photos/{photo.owner}/{photo.id}/sizes/{size.code}/"


def render(original: BinaryIO, photo: Photo, size: Size, quality: int = 85) -> bytes:
    """A resized JPEG of the stored original, as Flickr's size renditions are (Pillow, loaded here)."""
    from PIL import Image, ImageOps

    width, height = dimensions(photo, size)
    with Image.open(original) as image:
        image.draft("RGB", (width, height))  # JPEG: decode at a reduced scale, much faster
        picture = image.convert("RGB")
    if size.square:
        picture = ImageOps.fit(picture, (width, height), Image.Resampling.LANCZOS)
    else:
        picture = picture.resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()
