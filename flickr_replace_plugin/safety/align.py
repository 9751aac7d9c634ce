"""Where one picture lies inside the other: the search behind the same-picture check.

Why this design: a re-edit may crop the frame (half of it or more, at any position and aspect),
straighten it (a few degrees, cropped to the largest upright rectangle), turn it a quarter or
mirror it, or add a border (the old frame then lies inside the new one). All of these put the
smaller picture, uniformly scaled, somewhere inside the larger one. So the search tries every
placement at once: for each of the 8 orientations, a geometric ladder of scales (from "fills the
frame" down to half its area) and a few angles, normalised cross-correlation over every
translation in one batch of FFTs on a coarse copy (about 50 px a side). The best few placements
are then refined on the fine digests, where the caller's two-band distance judges them.
A search by crop per edge (the alternative, and this module's predecessor) needs a descent per
start and misses crops far from its starts; the FFT sees all translations for the price of one.
numpy is imported inside functions, never when this module is imported.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

COARSE = 48  # the long side of the outer picture in the coarse search
MIN_AREA = 0.45  # the smallest share of the outer frame the inner may cover (a crop keeping half, less rounding)
SCALE_STEP = 1.05  # ratio between neighbouring scales of the ladder
ANGLES = (-4.0, -2.0, 0.0, 2.0, 4.0)  # degrees; straightening up to 5 degrees is within 1 of one of them
KEEP = 3  # placements refined per direction
# Pillow's Image.Transpose values; None is the picture as it is
ORIENTATIONS: tuple[int | None, ...] = (None, 0, 1, 2, 3, 4, 5, 6)


@dataclass(frozen=True)
class Placement:
    """The inner picture (turned by `orientation`) at `scale` x its size, rotated by `angle` degrees,
    its centre at (`x`, `y`) of the outer picture; all lengths as fractions of the outer's width."""

    orientation: int | None
    angle: float
    scale: float
    x: float
    y: float
    score: float = 0.0


def oriented(image: Any, orientation: int | None) -> Any:
    return image if orientation is None else image.transpose(orientation)


def candidates(outer: Any, inner: Any) -> list[Placement]:
    """The best placements of `inner` (an 8-bit Pillow image) inside `outer`, best first."""
    import numpy as np

    small = _shrink(outer, COARSE)
    height, width = small.size[1], small.size[0]
    arrays = np.stack([np.asarray(f, dtype=np.float64) for f in _fills(small)])
    tables = (_table(arrays), _table(arrays * arrays))
    templates = [(orientation, np.asarray(turned.resize(size, 2), dtype=np.float64))
                 for orientation, turned, size in _templates(inner, small.size)]
    if not templates:
        return []
    products = _correlations(np.fft.rfft2(arrays), [t for _, t in templates], (height, width))
    found: list[Placement] = []
    for (orientation, template), product in zip(templates, products):
        size = (template.shape[1], template.shape[0])
        scores = _ncc(product, tables, template)
        for angle, (value, y, x) in zip(ANGLES, scores):
            found.append(Placement(orientation, angle, size[0] / width,
                                   (x + size[0] / 2) / width, (y + size[1] / 2) / width, value))
    found.sort(key=lambda p: -p.score)
    return _distinct(found)[:KEEP]


def _templates(inner: Any, frame: tuple[int, int]) -> list[tuple[int | None, Any, tuple[int, int]]]:
    """Every orientation of `inner` at every scale of the ladder that fits in `frame`, with its size."""
    out = []
    for orientation in ORIENTATIONS:
        turned = oriented(inner, orientation)
        for scale in _ladder(frame, turned.size):
            size = (max(2, round(turned.width * scale)), max(2, round(turned.height * scale)))
            if size[0] <= frame[0] and size[1] <= frame[1]:
                out.append((orientation, turned, size))
    return out


def _correlations(spectra: Any, templates: list[Any], shape: tuple[int, int]) -> Any:
    """The cross-correlation of each (mean-removed) template with each turned outer picture, in one
    batch of FFTs: [template, angle, y, x]."""
    import numpy as np

    padded = np.zeros((len(templates), *shape))
    for i, t in enumerate(templates):
        padded[i, : t.shape[0], : t.shape[1]] = t - t.mean()
    return np.fft.irfft2(spectra[None] * np.conj(np.fft.rfft2(padded))[:, None], s=shape)


def _shrink(image: Any, side: int) -> Any:
    factor = side / max(image.size)
    return image.resize((max(2, round(image.width * factor)), max(2, round(image.height * factor))), 1)


def _fills(image: Any) -> list[Any]:
    """The outer picture turned by each angle, its empty corners filled with its mean."""
    from PIL import ImageStat

    mean = round(ImageStat.Stat(image).mean[0])
    return [image if angle == 0 else image.rotate(angle, 2, fillcolor=mean) for angle in ANGLES]


def _ladder(outer: tuple[int, int], inner: tuple[int, int]) -> list[float]:
    """Scales from the largest that fits down to the one covering MIN_AREA of the outer frame."""
    top = min(outer[0] / inner[0], outer[1] / inner[1])
    bottom = math.sqrt(MIN_AREA * outer[0] * outer[1] / (inner[0] * inner[1]))
    if bottom > top:
        return []
    steps = max(1, math.ceil(math.log(top / bottom) / math.log(SCALE_STEP)))
    return [top * (bottom / top) ** (i / steps) for i in range(steps + 1)]


def _ncc(products: Any, tables: tuple[Any, Any], t: Any) -> list[tuple[float, int, int]]:
    """For each turned outer picture, the best normalised correlation with template `t` wholly inside it."""
    import numpy as np

    th, tw = t.shape
    t = t - t.mean()
    norm = float(np.sqrt((t * t).sum()))
    if norm < 1e-3 * th * tw:
        return [(0.0, 0, 0)] * len(products)
    numerator = products[:, : products.shape[1] - th + 1, : products.shape[2] - tw + 1]
    total, squares = (_box(table, th, tw) for table in tables)
    spread = squares - total * total / (th * tw)
    score = numerator / (norm * np.sqrt(np.maximum(spread, 1e-6)))
    score[spread < 1e-3 * th * tw] = 0.0
    results = []
    for plane in score:
        y, x = np.unravel_index(int(np.argmax(plane)), plane.shape)
        results.append((float(plane[y, x]), int(y), int(x)))
    return results


def _table(values: Any) -> Any:
    """Summed-area tables of a stack of images, one zero row and column in front."""
    import numpy as np

    table = np.zeros((values.shape[0], values.shape[1] + 1, values.shape[2] + 1))
    table[:, 1:, 1:] = values.cumsum(1).cumsum(2)
    return table


def _box(table: Any, th: int, tw: int) -> Any:
    """The sum of every th x tw window."""
    return table[:, th:, tw:] - table[:, :-th, tw:] - table[:, th:, :-tw] + table[:, :-th, :-tw]


def _distinct(found: list[Placement]) -> list[Placement]:
    """Drop placements that are near neighbours of a better one (the same peak seen twice)."""
    kept: list[Placement] = []
    for p in found:
        if not any(q.orientation == p.orientation and abs(q.x - p.x) + abs(q.y - p.y) < 0.05
                   and abs(q.scale / p.scale - 1) < 0.08 for q in kept):
            kept.append(p)
        if len(kept) >= KEEP:
            break
    return kept


def refine(start: Placement, cost: Callable[[Placement], float], good: float) -> tuple[float, Placement]:
    """Descent on position, scale and angle from a coarse placement, until no neighbour is better
    or the cost is below `good` (a clear match needs no polish)."""
    best, current = start, cost(start)
    for step in (1.0, 0.5, 0.25, 0.125, 0.0625):  # down to about a digest pixel: fine strokes (text) need it
        for _ in range(8):
            if current < good:
                return current, best
            value, trial = min(((cost(t), t) for t in _neighbours(best, step)), key=lambda found: found[0])
            if value >= current - 1e-6:
                break
            best, current = trial, value
    return current, best


def _neighbours(p: Placement, step: float) -> list[Placement]:
    move = step / COARSE
    return [Placement(p.orientation, p.angle, p.scale, p.x + dx, p.y + dy)
            for dx, dy in ((move, 0), (-move, 0), (0, move), (0, -move))] + [
        Placement(p.orientation, p.angle, p.scale * (1 + 0.02 * step * s), p.x, p.y) for s in (1, -1)] + [
        Placement(p.orientation, p.angle + 1.0 * step * s, p.scale, p.x, p.y) for s in (1, -1)]
