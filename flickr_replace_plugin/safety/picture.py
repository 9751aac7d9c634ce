"""Is this file the same picture as the photo on Flickr? A small digest of each, and a distance.

Why this design: the edits a photographer makes between two exports (exposure, colour, black
and white, sharpening, noise reduction, a resize, a re-encode, a format change, a modest crop)
change pixel values and the frame, but not where light and dark lie in the scene. So a picture
is reduced to its luminance (colour and saturation drop out) on a small square grid of the whole
frame, and two digests are compared by Pearson correlation, which is blind to brightness and
contrast (mean and spread are normalised away per image and per window), on two bands at once:
the luminance itself and its detail (luminance minus a blur of it), which tells apart scenes that
share a broad layout (sky above, ground below; a stereo pair) but not their edges. The weaker of
the two agreements counts: a same picture agrees in both. A crop is
found by searching, per edge, how far one frame is cut relative to the other (up to
`MAX_CROP`), so a crop of either picture, or crops of both from one original, line up before
they are compared. A perceptual hash (DCT, gradient) was the alternative; it forgives tone but
not a 5 % crop, which moves every coefficient, and it gives bits rather than a distance that a
message can report. The threshold is calibrated on real photographs by
benchmarks/picture_calibration.py (the table is in README.md).

Decoding is cheap by design: JPEG decodes at 1/2..1/8 scale through `Image.draft`, everything
is reduced before any per-pixel work, and only the small grid is kept. Pillow (and pillow-heif
for HEIC, when installed) is imported inside functions, never when this module is imported.
"""
from __future__ import annotations

import io
import math
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

GRID = 96  # the digest: GRID x GRID luminance samples of the whole frame
SAMPLE = 64  # windows are compared at SAMPLE x SAMPLE
DRAFT = 256  # JPEG decodes at the smallest DCT scale that keeps at least this many pixels a side
DETAIL_RADIUS = 3  # the blur whose difference is the detail band, in SAMPLE pixels
MAX_CROP = 0.12  # how much of any edge a crop may take and still be the same picture
THRESHOLD = 0.20  # distances below this are the same picture (calibrated; see module docstring)
ASPECT_TOLERANCE = 0.01  # a resize's rounding; beyond it the frame itself changed
_ORIENTATION = 0x0112
_STEPS = (0.02, 0.01, 0.005)
# EXIF orientation -> the Pillow transpose that shows the picture upright (as ImageOps.exif_transpose)
_TRANSPOSE = {2: 0, 3: 3, 4: 1, 5: 5, 6: 4, 7: 6, 8: 2}


@dataclass(frozen=True)
class Picture:
    """A small, comparable digest of one picture (EXIF orientation applied)."""

    width: int  # of the full image as decoded (before reduction), as displayed
    height: int
    grid: bytes  # GRID * GRID luminance samples, row by row
    decoded: tuple[int, int]  # the size actually decoded (after JPEG draft): what memory held

    @property
    def aspect(self) -> float:
        return self.width / self.height if self.height else 0.0


@dataclass(frozen=True)
class Comparison:
    distance: float
    threshold: float
    similar: bool
    aspect_changed: bool  # aspect ratio differs by more than a resize's rounding (1 %)

    def describe(self) -> str:
        verdict = "same picture" if self.similar else "pictures differ"
        text = f"{verdict}: distance {self.distance:.2f} (same picture below {self.threshold:.2f})"
        if self.aspect_changed:
            text += "; the aspect ratio changed"
        return text


def picture_of(source: str | os.PathLike[str] | bytes | BinaryIO) -> Picture | None:
    """The digest of a file (a path, or one already open: read from its start) or of image bytes;
    None when it cannot be decoded (never raises for bad data)."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency; without it nothing is compared
        return None
    _register_heif()
    try:
        if isinstance(source, (bytes, bytearray)):
            fp: Any = io.BytesIO(source)
        elif hasattr(source, "read"):
            fp = source
            fp.seek(0)
        else:
            fp = os.fspath(source)
        with warnings.catch_warnings():  # Pillow's "corrupt EXIF" and the like: None already says it
            warnings.simplefilter("ignore")
            with Image.open(fp) as image:
                return _digest(image)
    except (OSError, ValueError, TypeError, SyntaxError, EOFError, MemoryError, Image.DecompressionBombError, ZeroDivisionError):
        return None
    except Exception:  # noqa: BLE001 - a decoder's odd exception on hostile bytes is still "cannot decode"
        return None


def _digest(image: Any) -> Picture:
    from PIL import Image

    full = image.size
    orientation = _orientation(image)
    if image.format == "JPEG":
        image.draft("L", (DRAFT, DRAFT))
    decoded = image.size
    if image.mode not in ("L", "RGB"):
        image = _flatten(image)
    grey = image.convert("L")
    # reduce() averages whole blocks cheaply; the final resize then filters what is left
    factor = max(1, min(grey.size) // (GRID * 2))
    if factor > 1:
        grey = grey.reduce(factor)
    grid = grey.resize((GRID, GRID), Image.Resampling.BOX)
    if orientation in _TRANSPOSE:
        grid = grid.transpose(_TRANSPOSE[orientation])
    width, height = (full[1], full[0]) if orientation in (5, 6, 7, 8) else full
    return Picture(width=width, height=height, grid=grid.tobytes(), decoded=decoded)


def _orientation(image: Any) -> int:
    try:
        return int(image.getexif().get(_ORIENTATION, 1))
    except Exception:  # noqa: BLE001 - broken EXIF: show the picture as stored
        return 1


def _flatten(image: Any) -> Any:
    """Transparent pixels over mid grey (Flickr's own renditions flatten too); palettes and 16-bit to RGB/L."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        backdrop = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        return Image.alpha_composite(backdrop, rgba).convert("RGB")
    if image.mode.startswith("I") or image.mode == "F":  # 16-bit and float greys: scale to 8 bits
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    return image.convert("RGB")


def _register_heif() -> None:
    """HEIC through pillow-heif when it is installed; without it a HEIC is simply not decoded."""
    global _heif_tried
    if _heif_tried:
        return
    _heif_tried = True
    try:
        import pillow_heif
    except ImportError:
        return
    pillow_heif.register_heif_opener()


_heif_tried = False


def compare(a: Picture, b: Picture) -> Comparison:
    """How far apart two pictures are, after finding the crop that lines them up best."""
    from PIL import Image

    grids = [Image.frombytes("L", (GRID, GRID), p.grid) for p in (a, b)]
    best = _search(lambda crop: _distance(grids, crop))
    distance = round(max(0.0, best), 4)
    aspect_changed = abs(a.aspect / b.aspect - 1.0) > ASPECT_TOLERANCE if a.aspect and b.aspect else False
    return Comparison(distance, THRESHOLD, distance < THRESHOLD, aspect_changed)


Crop = tuple[float, float, float, float]  # left, top, right, bottom: > 0 cuts a, < 0 cuts b


def _search(cost: Callable[[Crop], float]) -> float:
    """The smallest cost over crops: a coarse scan of each axis alone (a crop rarely mixes axes), then
    coordinate descent from the best scans and from no crop, so a texture's repeats do not trap it."""
    cache: dict[Crop, float] = {}

    def value(crop: Sequence[float]) -> float:
        key: Crop = tuple(round(max(-MAX_CROP, min(MAX_CROP, c)), 4) for c in crop)  # type: ignore[assignment]
        if key not in cache:
            cache[key] = cost(key)
        return cache[key]

    coarse = [i * MAX_CROP / 3 for i in range(-3, 4)]
    horizontal = min(((lo, 0.0, hi, 0.0) for lo in coarse for hi in coarse), key=value)
    vertical = min(((0.0, lo, 0.0, hi) for lo in coarse for hi in coarse), key=value)
    both = (horizontal[0], vertical[1], horizontal[2], vertical[3])
    return min(_descend(value, start) for start in {(0.0,) * 4, horizontal, vertical, both})


def _descend(value: Callable[[Sequence[float]], float], start: Sequence[float]) -> float:
    crop, current = list(start), value(start)
    for step in _STEPS:
        improved = True
        while improved:
            improved = False
            for edge in range(4):
                for delta in (step, -step):
                    trial = list(crop)
                    trial[edge] += delta
                    score = value(trial)
                    if score < current - 1e-9:
                        crop, current, improved = trial, score, True
    return current


def _distance(grids: Sequence[Any], crop: Crop) -> float:
    """1 - the weaker correlation of the two windows' bands: both layout and edges must agree."""
    left, top, right, bottom = crop
    boxes = (
        (max(left, 0), max(top, 0), 1 - max(right, 0), 1 - max(bottom, 0)),
        (max(-left, 0), max(-top, 0), 1 - max(-right, 0), 1 - max(-bottom, 0)),
    )
    (luma_a, detail_a), (luma_b, detail_b) = (_bands(_window(grid, box)) for grid, box in zip(grids, boxes))
    return 1.0 - min(_correlation(luma_a, luma_b), _correlation(detail_a, detail_b))


def _window(grid: Any, box: tuple[float, float, float, float]) -> Any:
    from PIL import Image

    x0, y0, x1, y1 = (v * GRID for v in box)
    return grid.resize((SAMPLE, SAMPLE), Image.Resampling.BILINEAR, box=(x0, y0, x1, y1))


def _bands(window: Any) -> tuple[Any, Any]:
    """Luminance, and its detail (minus a blur) centred on 128: both 8-bit images, so C does the sums."""
    from PIL import ImageChops, ImageFilter

    return window, ImageChops.subtract(window, window.filter(ImageFilter.GaussianBlur(DETAIL_RADIUS)), 1.0, 128)


def _correlation(x: Any, y: Any) -> float:
    """Pearson's r of two 8-bit images, from sums Pillow computes exactly (sum xy from sum (x - y)^2).

    A flat window has no structure to agree with (r 0); two flat windows agree (r 1).
    """
    from PIL import ImageChops, ImageStat

    sx, sy, sd = (ImageStat.Stat(im) for im in (x, y, ImageChops.difference(x, y)))
    n = SAMPLE * SAMPLE
    vx = sx.sum2[0] - sx.sum[0] ** 2 / n
    vy = sy.sum2[0] - sy.sum[0] ** 2 / n
    flat = 1e-6 * n
    if vx < flat or vy < flat:
        return 1.0 if vx < flat and vy < flat else 0.0
    sxy = (sx.sum2[0] + sy.sum2[0] - sd.sum2[0]) / 2
    return (sxy - sx.sum[0] * sy.sum[0] / n) / math.sqrt(vx * vy)
