"""Calibrate the same-picture threshold on real photographs (scikit-image's bundled samples).

For every edit that keeps the picture, the largest distance over all photos; for different
pictures, the smallest distance over all pairs (the stereo motorcycle pair — two photos of one
scene from a few centimetres apart — among them). The threshold must sit between the two with
a margin on each side; the script exits 1 when it does not. Needs the `test` extra.

    python benchmarks/picture_calibration.py [--markdown]
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests"):  # run as `python benchmarks/X.py` from a checkout
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from pictures import EDITS, PHOTOS, encode, photo

from flickr_replace_plugin.safety.picture import THRESHOLD, compare, picture_of

MIN_MARGIN = 0.04  # each side of the threshold must clear it by at least this


def measure(names: list[str]) -> tuple[dict[str, tuple[float, str]], tuple[float, str], dict[str, float]]:
    originals = {name: photo(name) for name in names}
    digests = {name: picture_of(encode(image)) for name, image in originals.items()}
    edits: dict[str, tuple[float, str]] = {}
    for edit, apply in EDITS.items():
        worst = max((compare(digests[name], picture_of(encode(apply(image), "PNG"))).distance, name)
                    for name, image in originals.items())
        edits[edit] = worst
    pairs = {f"{a} / {b}": compare(digests[a], digests[b]).distance for a, b in itertools.combinations(names, 2)}
    closest = min((d, pair) for pair, d in pairs.items())
    return edits, closest, pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print the table as README markdown")
    parser.add_argument("--photos", type=int, default=len(PHOTOS), help="use the first N photos (quick run)")
    args = parser.parse_args(argv)
    names = sorted(PHOTOS, key=lambda name: not name.startswith("motorcycle"))[:max(2, args.photos)]
    edits, (closest, pair), pairs = measure(names)
    worst_edit = max(d for d, _ in edits.values())
    low, high = THRESHOLD - worst_edit, closest - THRESHOLD
    bar = "|" if args.markdown else " "
    print(f"{bar} same picture, edited {bar} largest distance of {len(names)} photos {bar} reached on {bar}")
    if args.markdown:
        print("|---|---|---|")
    for edit, (distance, name) in edits.items():
        print(f"{bar} {edit} {bar} {distance:.3f} {bar} {name} {bar}")
    print(f"{bar} **different pictures** {bar} **smallest of {len(pairs)} pairs** {bar} {bar}")
    for name, distance in sorted(pairs.items(), key=lambda item: item[1])[:3]:
        print(f"{bar} {name} {bar} {distance:.3f} {bar} {bar}")
    print(f"threshold {THRESHOLD:.3f}: largest edit {worst_edit:.3f} (margin {low:.3f}), "
          f"closest different pair {closest:.3f}, {pair} (margin {high:.3f}); target: both margins >= {MIN_MARGIN}")
    return 0 if min(low, high) >= MIN_MARGIN else 1


if __name__ == "__main__":
    sys.exit(main())
