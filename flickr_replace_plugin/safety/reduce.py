"""Decode a picture reduced, in bounded memory, whatever its size.

Why: the comparison needs about 256 pixels a side, but a 6000x4000 PNG decoded whole holds 72 MB
and a 180-megapixel panorama over half a gigabyte. JPEG decodes at 1/8 scale through its DCT
(`Image.draft`); other formats decode whole only when small, else a band of rows at a time
(bands.py), each band reduced before the next is read.
"""
from __future__ import annotations

from typing import Any, Callable

WHOLE = 4_000_000  # pixels decoded whole: beyond this, a format that can is decoded in bands


def reduced(image: Any, side: int, convert: Callable[[Any], Any]) -> tuple[Any, tuple[int, int]]:
    """`convert` of `image` at about `side` pixels on its short side or more; and the largest size
    held at once while decoding."""
    if image.format == "JPEG":
        image.draft("L", (side, side))
    elif image.width * image.height > WHOLE:
        from .bands import in_bands

        banded = in_bands(image, side, convert)
        if banded is not None:
            return banded
    decoded = image.size
    return shrink(convert(image), side), decoded


def shrink(image: Any, side: int) -> Any:
    """Whole blocks averaged (cheap, exact) down to no less than `side` on the short side."""
    factor = max(1, min(image.size) // side)
    return image.reduce(factor) if factor > 1 else image
