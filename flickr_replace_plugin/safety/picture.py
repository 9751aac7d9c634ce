"""Is this file the same picture as the photo on Flickr? A small digest of each, and a distance.

Why this design: the edits a photographer makes between two exports (exposure, colour, black
and white, sharpening, noise reduction, a resize, a re-encode, a format change, a crop, a few
degrees of straightening, a quarter turn or a mirror, a border) change pixel values and the
frame, but not where light and dark lie in the scene. So a picture is reduced to its luminance
(colour and saturation drop out) at a small size, aspect kept, and the smaller picture is searched
for inside the larger one (align.py: every orientation, scale down to half the area, a few angles,
every position). At the best placement the two are compared by Pearson correlation, blind to
brightness and contrast, on two bands at once: the luminance, less a smooth surface fitted to both
(a vignette, a graduated filter), and its detail (luminance minus a blur of it), which tells apart
scenes that share a broad layout (sky above, ground below; a stereo pair) but not their edges.
The weaker of the two agreements counts: a same picture agrees in both. Three things an edit does
are not held against it: pixels clipped to white or black in one picture only (an exposure pushed
past the range: nothing is known of the scene there), the few percent of pixels where the two
disagree most (a watermark, a retouched spot), and detail too faint to be more than noise (a
smooth sky, the rest blown out: then the luminance alone is compared). A perceptual hash (DCT,
gradient) was the alternative; it forgives tone but not a crop, which moves every coefficient, and
it gives bits rather than a distance that a message can report (benchmarks/picture_calibration.py
measures both; the table is in README.md). Another shot of the same scene a split second apart (a
burst) may look the same to any pixel measure: capture.py tells those apart by their capture times.

Decoding is cheap by design (reduce.py): JPEG decodes at 1/2..1/8 scale through `Image.draft`,
beyond Pillow's pixel limit too; a large PNG, WebP or TIFF row by row through libvips when pyvips
is installed; only the small digest is kept. Pillow, numpy (and
pillow-heif for HEIC, when installed) are imported inside functions, never when this module is.
"""
from __future__ import annotations

import functools
import io
import math
import os
import threading
import warnings
from dataclasses import dataclass
from typing import Any, BinaryIO

from . import align

DIGEST = 128  # the digest's long side, in pixels
SAMPLE = 64  # the long side at which a placement is judged
DRAFT = 256  # JPEG decodes at the smallest DCT scale that keeps at least this many pixels a side
DETAIL_RADIUS = 3  # the blur whose difference is the detail band, in SAMPLE pixels
ALIAS_RADIUS = 0.7  # ... and the blur that leaves the finest, grid-dependent ripple out of it
THRESHOLD = 0.20  # distances below this are the same picture (calibrated; see module docstring)
OUTLIERS = 0.03  # the share of the picture an edit may change locally (a watermark, a retouch)
OUTLIERS_MOST = 0.08  # ... or up to this share, where the change stands out (OUTLIER_FACTOR x the typical gap)
OUTLIER_FACTOR = 9.0
CLIP = 4  # luminance within this of 0 or 255 is clipped: no information where only one picture is
MIN_INFORMATIVE = 0.15  # below this share of pixels unclipped in both, every pixel is compared
DETAIL_FLOOR = 3.0  # detail weaker than this (RMS, 8-bit levels) is noise: only the luminance is compared
REFINED = 3  # coarse placements refined, best first
ASPECT_TOLERANCE = 0.01  # a resize's rounding; beyond it the frame itself changed
_ORIENTATION = 0x0112
# EXIF orientation -> the Pillow transpose that shows the picture upright (as ImageOps.exif_transpose)
_TRANSPOSE = {2: 0, 3: 3, 4: 1, 5: 5, 6: 4, 7: 6, 8: 2}
# Pillow transpose -> how the picture was turned, for the warning
TURNS = {0: "mirrored", 1: "mirrored and turned 180°", 2: "turned 90°", 3: "turned 180°", 4: "turned 270°",
         5: "mirrored and turned 90°", 6: "mirrored and turned 270°"}


@dataclass(frozen=True)
class Picture:
    """A small, comparable digest of one picture (EXIF orientation applied)."""

    width: int  # of the full image as decoded (before reduction), as displayed
    height: int
    grid: bytes  # the digest's luminance samples, row by row (`size` wide and high)
    decoded: tuple[int, int]  # the largest size held in memory at once while decoding
    size: tuple[int, int] = (0, 0)  # the digest's width and height

    @property
    def aspect(self) -> float:
        return self.width / self.height if self.height else 0.0

    def image(self) -> Any:
        from PIL import Image

        return Image.frombytes("L", self.size, self.grid)


@dataclass(frozen=True)
class Comparison:
    """The verdict: `similar` is what the check acts on; the rest is for the message and warnings."""

    distance: float
    threshold: float
    similar: bool
    aspect_changed: bool  # aspect ratio differs by more than a resize's rounding (1 %), after any turn
    orientation_changed: bool = False  # one is the other turned by a quarter or more, or mirrored
    turn: str = ""  # how, from TURNS ("turned 90°", "mirrored", ...); "" when not
    angle: float = 0.0  # degrees of straightening found between the two (rounded)

    def describe(self) -> str:
        verdict = "same picture" if self.similar else "pictures differ"
        text = f"{verdict}: distance {self.distance:.2f} (same picture below {self.threshold:.2f})"
        if self.similar and self.orientation_changed:
            text += f"; the orientation changed ({self.turn})"
        if self.aspect_changed:
            text += "; the aspect ratio changed"
        return text


Verdict = Comparison


def picture_of(source: str | os.PathLike[str] | bytes | BinaryIO) -> Picture | None:
    """The digest of a file (a path, or one already open: read from its start) or of image bytes;
    None when it cannot be decoded (never raises for bad data)."""
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is a dependency; without it nothing is compared
        return None
    try:
        if isinstance(source, (bytes, bytearray)):
            fp: Any = io.BytesIO(source)
        elif hasattr(source, "read"):
            fp = source
            fp.seek(0)
        else:
            fp = os.fspath(source)
        if _looks_heif(fp):
            _register_heif()
        with warnings.catch_warnings():  # Pillow's "corrupt EXIF" and the like: None already says it
            warnings.simplefilter("ignore")
            with _open_unlimited(fp) as image:
                return _digest(image, fp)
    except (OSError, ValueError, TypeError, SyntaxError, EOFError, MemoryError, Image.DecompressionBombError, ZeroDivisionError):
        return None
    except Exception:  # noqa: BLE001 - a decoder's odd exception on hostile bytes is still "cannot decode"
        return None


def _digest(image: Any, source: Any) -> Picture:
    from PIL import Image

    from .reduce import reduced

    full = image.size
    orientation = _orientation(image)
    grey, decoded = reduced(image, DIGEST * 2, _grey, source)
    scale = DIGEST / max(grey.size)
    size = (max(2, round(grey.width * scale)), max(2, round(grey.height * scale)))
    digest = grey.resize(size, Image.Resampling.BOX)
    if orientation in _TRANSPOSE:
        digest = digest.transpose(_TRANSPOSE[orientation])
    width, height = (full[1], full[0]) if orientation in (5, 6, 7, 8) else full
    return Picture(width=width, height=height, grid=digest.tobytes(), decoded=decoded, size=digest.size)


def _open_unlimited(fp: Any) -> Any:
    """Image.open without Pillow's pixel limit: reduce.py decodes a picture beyond it reduced, or not
    at all (`reduced` raises DecompressionBombError for one it could only decode whole)."""
    from PIL import Image

    with _LIMIT:
        limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            return Image.open(fp)
        finally:
            Image.MAX_IMAGE_PIXELS = limit


_LIMIT = threading.Lock()


def _grey(image: Any) -> Any:
    """8-bit luminance of a decoded image of any mode."""
    if image.mode not in ("L", "RGB"):
        image = _flatten(image)
    return image.convert("L")


def _orientation(image: Any) -> int:
    from .reduce import STREAM_ABOVE

    if image.format == "PNG" and "exif" not in image.info and image.width * image.height > STREAM_ABOVE:
        return 1  # Pillow would decode the whole picture to look for an eXIf chunk after the image data
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


def _looks_heif(fp: Any) -> bool:
    """An ISO media file (its `ftyp` box first): HEIC and its kin, the only ones pillow-heif is
    loaded for (about 10 ms of imports the usual JPEG need not pay)."""
    if isinstance(fp, str):
        with open(fp, "rb") as fh:
            head = fh.read(12)
    else:
        head = fp.read(12)
        fp.seek(0)
    return head[4:8] == b"ftyp"


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
    """How far apart two pictures are at the placement of one inside the other that fits best."""
    distance, placement = _closest(a, b)
    distance = round(max(0.0, distance), 4)
    turned = placement.orientation in (2, 4, 5, 6)
    theirs = 1 / b.aspect if turned and b.aspect else b.aspect
    aspect_changed = abs(a.aspect / theirs - 1.0) > ASPECT_TOLERANCE if a.aspect and theirs else False
    similar = distance < THRESHOLD
    orientation = placement.orientation if similar else None
    return Comparison(distance, THRESHOLD, similar, aspect_changed, orientation is not None, TURNS.get(orientation, "") if orientation is not None else "",
                      round(placement.angle, 1))


def _closest(a: Picture, b: Picture) -> tuple[float, align.Placement]:
    """The best placement of either picture inside the other: the coarse candidates judged as they
    are, then refined best first until one is clearly the same picture."""
    starts = []
    for outer, inner in ((a, b), (b, a)):
        judge = _Judge(outer.image(), inner.image())
        # the frames as they are (positions are in units of the outer width): a search may miss it on
        # a picture with little structure (a flat colour has no peak to find)
        whole = align.Placement(None, 0.0, 1.0, 0.5, judge.outer.height / judge.outer.width / 2)
        as_they_are = judge.distance(whole)
        if as_they_are < THRESHOLD / 4:  # clearly the same as they stand (most re-edits): no search
            return as_they_are, whole
        starts += [(as_they_are, whole, judge)]
        starts += [(judge.distance(start), start, judge) for start in align.candidates(judge.outer, judge.inner)]
    starts.sort(key=lambda found: found[0])
    best = (2.0, align.Placement(None, 0.0, 1.0, 0.5, 0.5))
    for _, start, judge in starts[:REFINED]:
        best = min(best, align.refine(start, judge.distance, THRESHOLD / 4), key=lambda found: found[0])
        if best[0] < THRESHOLD / 4:
            break
    return best


class _Judge:
    """The two-band distance of one placement of `inner` inside `outer` (both digests)."""

    def __init__(self, outer: Any, inner: Any) -> None:
        self.outer, self.inner = outer, inner
        self._turned: dict[int | None, tuple[tuple[int, int], Any]] = {}
        self._rotated: dict[float, Any] = {}

    def distance(self, p: align.Placement) -> float:
        from PIL import Image

        size, ours = self._inner(p.orientation)
        rotated = self._rotated.get(p.angle)
        if rotated is None:
            rotated = self._rotated.setdefault(p.angle, self.outer.rotate(p.angle, Image.Resampling.BILINEAR))
        width = p.scale * self.outer.width
        height = width * size[1] / size[0]
        x0, y0 = p.x * self.outer.width - width / 2, p.y * self.outer.width - height / 2
        if width > self.outer.width + 1 or height > self.outer.height + 1:
            return 2.0  # larger than the frame
        # a placement the coarse grid rounded past an edge is moved back inside (a crop at a corner)
        x0 = min(max(0.0, x0), self.outer.width - min(width, self.outer.width))
        y0 = min(max(0.0, y0), self.outer.height - min(height, self.outer.height))
        box = (x0, y0, min(x0 + width, self.outer.width), min(y0 + height, self.outer.height))
        theirs = _bands(rotated.resize(size, Image.Resampling.BILINEAR, box=box))
        informative = ~(ours[2] ^ theirs[2])  # clipped in one only: an exposure pushed it out of range
        if informative.mean() < MIN_INFORMATIVE:
            informative[:] = True  # nearly all clipped in one: compare what is left of it, clip and all
        layout = _agreement(ours[0], theirs[0], informative, True)
        if min(_level(ours[3], informative), _level(theirs[3], informative)) < DETAIL_FLOOR:
            return 1.0 - layout  # no detail left to compare (a smooth area, the rest blown out)
        return 1.0 - min(layout, _agreement(ours[1], theirs[1], informative, False))

    def _inner(self, orientation: int | None) -> tuple[tuple[int, int], Any]:
        if orientation not in self._turned:
            from PIL import Image

            turned = align.oriented(self.inner, orientation)
            scale = SAMPLE / max(turned.size)
            size = (max(8, round(turned.width * scale)), max(8, round(turned.height * scale)))
            window = turned.resize(size, Image.Resampling.BOX)
            self._turned[orientation] = (size, _bands(window))
        return self._turned[orientation]


def _bands(window: Any) -> tuple[Any, Any, Any, Any]:
    """The window's luminance and its fine detail (minus a blur), each with mean 0 and norm 1 (a flat
    band stays all zero, r 0); and where it is clipped to white or black (no information on what
    the scene held there; the detail next to a clip is the blur of the clip, so it counts too).
    The detail as it is, in 8-bit levels, last."""
    import numpy as np
    from PIL import ImageFilter

    clipped = window.point(lambda v: 255 if v >= 255 - CLIP or v <= CLIP else 0).filter(ImageFilter.MaxFilter(5))
    luma = np.asarray(window, dtype=np.float32)
    # the detail is a band: the finest pixel-level ripple is left out, since two resamplings of one
    # picture on grids a fraction of a pixel apart (a crop) disagree there, on text most of all
    sharp = np.asarray(window.filter(ImageFilter.GaussianBlur(ALIAS_RADIUS)), dtype=np.float32)
    fine = np.asarray(window.filter(ImageFilter.GaussianBlur(DETAIL_RADIUS)), dtype=np.float32)
    return _unit(luma), _unit(sharp - fine), np.asarray(clipped) > 0, sharp - fine


def _level(detail: Any, where: Any) -> float:
    """The detail's strength (RMS, in 8-bit levels) where it is compared."""
    import numpy as np

    values = detail[where]
    return float(np.sqrt((values * values).mean())) if values.size else 0.0


def _agreement(ours: Any, theirs: Any, informative: Any, shading: bool) -> float:
    """Pearson's r of two unit bands where both are `informative`, over all but the pixels where they
    disagree most (a watermark, a retouched spot or a moved object changes a small area a lot, and
    should not outweigh the rest of the picture). With `shading`, a smooth surface (a vignette, a
    graduated filter) fitted on those pixels is taken out of both first: a partial correlation.
    A flat band has no structure to agree with (r 0), but two flat bands agree (r 1): a
    plain-coloured picture is the same as itself."""
    import numpy as np

    flat_ours, flat_theirs = not ours.any(), not theirs.any()
    if flat_ours or flat_theirs:
        return 1.0 if flat_ours and flat_theirs else 0.0
    gap = np.abs(ours - theirs)[informative]
    keep = gap <= _cut(gap)
    x, y = ours[informative][keep], theirs[informative][keep]
    if shading:
        basis = _shading_basis(ours.shape)[informative.ravel()][keep]
        gram = basis.T @ basis + 1e-6 * np.eye(basis.shape[1], dtype=basis.dtype)
        x, y = (v - basis @ np.linalg.solve(gram, basis.T @ v) for v in (x, y))
    x, y = x - x.mean(), y - y.mean()
    norm = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum()) / norm if norm > 1e-12 else 0.0


def _cut(gap: Any) -> float:
    """The largest gap kept: all but the OUTLIERS share, and beyond that (up to OUTLIERS_MOST) any gap
    far above the typical one, as a watermark larger than OUTLIERS makes."""
    import numpy as np

    usual, most, typical = np.quantile(gap, (1 - OUTLIERS, 1 - OUTLIERS_MOST, 0.5))
    return float(max(most, min(usual, OUTLIER_FACTOR * typical)))


@functools.lru_cache(maxsize=32)
def _shading_basis(shape: tuple[int, int]) -> Any:
    """1, x, y and x² + y² over the window (centre 0, edges ±1): a slope and a radial falloff."""
    import numpy as np

    y, x = np.mgrid[-1:1:shape[0] * 1j, -1:1:shape[1] * 1j]
    return np.stack([np.ones_like(x), x, y, x * x + y * y], axis=-1).reshape(-1, 4).astype(np.float32)


def _unit(band: Any) -> Any:
    import numpy as np

    band = band - band.mean()
    norm = float(np.sqrt((band * band).sum()))
    return band / norm if norm > 1e-3 * band.size ** 0.5 else band * 0.0
