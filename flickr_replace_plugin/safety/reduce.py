"""Decode a picture reduced, in bounded memory, whatever its size.

Why: the comparison needs about 256 pixels a side, but a 6000x4000 PNG decoded whole holds 72 MB
(Pillow's WebP decoder about 370 MB) and a 180-megapixel panorama over half a gigabyte. JPEG
decodes at 1/8 scale through its DCT (`Image.draft`), so a JPEG of any size costs little. Pillow
has no reduced decoding for PNG, WebP or TIFF: a large one of those goes through libvips (pyvips,
with its library from the pyvips-binary wheel), which streams PNG and TIFF rows and
shrinks WebP while decoding (under 64 MiB for the whole process, measured by
benchmarks/picture_calibration.py). Where libvips cannot load, such a picture is decoded whole by Pillow, within
Pillow's pixel limit; beyond the limit it is not compared (the check warns).
"""
from __future__ import annotations

import math
from typing import Any, Callable

STREAM_ABOVE = 4_000_000  # pixels: a PNG, WebP or TIFF larger than this goes through libvips when it is there


def reduced(image: Any, side: int, convert: Callable[[Any], Any], source: Any = None) -> tuple[Any, tuple[int, int]]:
    """`convert` of `image` at about `side` pixels on its short side or more; and the largest size
    held at once while decoding. `source` is what `image` was opened from (a path or a file)."""
    if image.format == "JPEG":
        image.draft("L", (side, side))
    elif source is not None and image.width * image.height > STREAM_ABOVE:
        streamed = _through_vips(source, image.size, side)
        if streamed is not None:
            return streamed, streamed.size
        _check_limit(image)
    else:
        _check_limit(image)
    decoded = image.size
    return shrink(convert(image), side), decoded


def shrink(image: Any, side: int) -> Any:
    """Whole blocks averaged (cheap, exact) down to no less than `side` on the short side."""
    factor = max(1, min(image.size) // side)
    return image.reduce(factor) if factor > 1 else image


def _through_vips(source: Any, size: tuple[int, int], side: int) -> Any:
    """An 8-bit grey Pillow image of the picture, its short side `side` or more, decoded by libvips row
    by row as it shrinks (a WebP shrunk while decoding); EXIF orientation left to the caller,
    transparency over mid grey. None without pyvips or when libvips cannot read it."""
    try:
        import pyvips
    except (ImportError, OSError):  # not installed, or its libvips missing
        return None
    from PIL import Image

    factor = max(1, min(size) // side)
    try:
        pyvips.cache_set_max(0)  # a decoded picture is not kept for later calls
        picture = pyvips.Image.new_from_source(_vips_source(pyvips, source), "", access="sequential")
        if picture.get("vips-loader").startswith("webpload") and factor > 1:
            picture = pyvips.Image.new_from_source(_vips_source(pyvips, source), "", access="sequential",
                                                   scale=1 / factor)
            factor = 1
        if picture.hasalpha():
            picture = picture.flatten(background=[128] * (picture.bands - 1))
        picture = picture.colourspace("b-w")[0]
        if picture.format != "uchar":
            picture = (picture / (256 if picture.format in ("ushort", "short") else 1)).cast("uchar")
        if factor > 1:
            picture = picture.shrink(factor, factor)
        return Image.frombytes("L", (picture.width, picture.height), picture.write_to_memory())
    except pyvips.Error:
        return None


def _vips_source(pyvips: Any, source: Any) -> Any:
    if isinstance(source, str):
        return pyvips.Source.new_from_file(source)
    source.seek(0)
    custom = pyvips.SourceCustom()
    custom.on_read(lambda length: source.read(length))
    custom.on_seek(lambda offset, whence: source.seek(offset, whence))
    return custom


def _check_limit(image: Any) -> None:
    """Pillow's own limit for a picture that can only be decoded whole (opened without it)."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > 2 * limit:
        raise Image.DecompressionBombError(f"{image.width}x{image.height} can only be decoded whole")
