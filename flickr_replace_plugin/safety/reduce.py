"""Decode a picture reduced, in bounded memory, whatever its size.

Why: the comparison needs about 256 pixels a side, but a 6000x4000 PNG decoded whole holds 72 MB
and a 180-megapixel panorama over half a gigabyte. JPEG decodes at 1/8 scale through its DCT
(`Image.draft`), so a panorama beyond Pillow's pixel limit is compared too; other formats decode
whole, within Pillow's limit.
"""
from __future__ import annotations

from typing import Any, Callable


def reduced(image: Any, side: int, convert: Callable[[Any], Any]) -> tuple[Any, tuple[int, int]]:
    """`convert` of `image` at about `side` pixels on its short side or more; and the largest size
    held at once while decoding."""
    if image.format == "JPEG":
        image.draft("L", (side, side))
    else:
        _check_limit(image)
    decoded = image.size
    return shrink(convert(image), side), decoded


def shrink(image: Any, side: int) -> Any:
    """Whole blocks averaged (cheap, exact) down to no less than `side` on the short side."""
    factor = max(1, min(image.size) // side)
    return image.reduce(factor) if factor > 1 else image


def _check_limit(image: Any) -> None:
    """Pillow's own limit for a picture that can only be decoded whole (opened without it)."""
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > 2 * limit:
        raise Image.DecompressionBombError(f"{image.width}x{image.height} can only be decoded whole")
