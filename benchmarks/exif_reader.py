"""How fast is our EXIF reader next to exifread, on the same JPEGs, in one process?

Writes JPEGs (Pillow) with ImageDescription, XPKeywords and UserComment, then reads the three
text fields of every file with our reader (`read_embedded` + `exif_fields`) and with
``exifread.process_file(details=True)`` (UserComment needs details), and prints the ratio.
Reads the files once first so both runs find them in the page cache. Exits 1 if ours is not
at least TARGET times faster (exifread needs `pip install exifread`: the test extra has it).

    python benchmarks/exif_reader.py [--files N] [--repeat N]
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

from common import Targets

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/X.py` from a checkout
    sys.path.insert(0, str(ROOT))

TARGET = 2.0


def _write(folder: Path, count: int) -> list[str]:
    from PIL import Image

    paths = []
    picture = Image.new("RGB", (640, 480), (120, 80, 40))
    for n in range(count):
        exif = Image.Exif()
        exif[0x010E] = f"Harbour at dusk, https://flic.kr/p/8SPTwJ #{n}"
        exif[0x9C9E] = "harbour;boats;flickr:photo_id=5169665786\x00".encode("utf-16-le")
        exif[0x0110] = "Camera Model"
        exif.get_ifd(0x8769)[0x9286] = b"ASCII\x00\x00\x00" + f"comment {n}".encode()
        out = io.BytesIO()
        picture.save(out, "JPEG", exif=exif, quality=80)
        path = folder / f"IMG_{n:04d}.jpg"
        path.write_bytes(out.getvalue())
        paths.append(str(path))
    return paths


def _ours(paths: list[str]) -> int:
    from flickr_replace_plugin.formats.containers import read_embedded
    from flickr_replace_plugin.sources.exif import exif_fields

    return sum(len(list(exif_fields(read_embedded(path).exif, path))) for path in paths)


def _exifread(paths: list[str]) -> int:
    import exifread

    found = 0
    for path in paths:
        with open(path, "rb") as fh:
            tags = exifread.process_file(fh, details=True)
        found += sum(name in tags for name in ("Image ImageDescription", "Image XPKeywords", "EXIF UserComment"))
    return found


def _best(reader, paths: list[str], repeat: int) -> tuple[float, int]:
    times, found = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        found = reader(paths)
        times.append(time.perf_counter() - started)
    return min(times), found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500, help="JPEGs to write and read (default 500)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each reader; the best counts (default 5)")
    Targets.add_argument(parser)
    args = parser.parse_args(argv)
    try:
        import exifread  # noqa: F401
    except ImportError:
        print("exifread is not installed (pip install exifread)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        paths = _write(Path(folder), args.files)
        for path in paths:
            Path(path).read_bytes()
        ours, ours_found = _best(_ours, paths, args.repeat)
        theirs, theirs_found = _best(_exifread, paths, args.repeat)
    if ours_found != theirs_found or ours_found != 3 * args.files:
        print(f"the readers disagree: ours found {ours_found} fields, exifread {theirs_found}", file=sys.stderr)
        return 2
    ratio = theirs / ours
    print(f"{'reader':<12}{'files':>8}{'best s':>10}{'ms/file':>10}")
    print(f"{'ours':<12}{args.files:>8}{ours:>10.3f}{1000 * ours / args.files:>10.3f}")
    print(f"{'exifread':<12}{args.files:>8}{theirs:>10.3f}{1000 * theirs / args.files:>10.3f}")
    targets = Targets(args.timing_gate)
    targets.check(f"ours at least {TARGET:.0f}x faster than exifread", ratio >= TARGET,
                  f"exifread takes {ratio:.1f}x our time", timing=True)
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
