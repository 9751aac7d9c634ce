"""`link`: API calls and time per file for files with no id against an account of many photos.

A sandbox holds `--photos` photos (one second apart, titled as Flickr titles uploads: the file
name's stem); `--files` local files are exports of some of them, carrying no id. The first run
reads the photo list (500 a page) and fetches each candidate's small image; the second run, on
the same cache, must send no list call at all.

    python benchmarks/link.py                         # 50 files against 1,200 photos
    python benchmarks/link.py --files 10 --photos 600 # quick (CI)
"""
from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import Targets, table

import flickr_replace_plugin
from flickr_replace_plugin import link_photos
from flickr_replace_plugin.config import Config
from flickr_replace_plugin.sandbox import Sandbox

LIST_METHODS = ("flickr.people.getPhotos", "flickr.photos.recentlyUpdated")


def run(files: list[Path], sandbox: Sandbox, cache: Path, config: Config) -> tuple[float, int, int, int]:
    """(seconds, REST calls, list calls, files linked) for one run of link over `files`."""
    sandbox.clear_requests()
    started = time.perf_counter()
    linked = sum(r.status.value == "linked" for r in link_photos(files, config=config, cache_dir=cache))
    elapsed = time.perf_counter() - started
    return elapsed, sandbox.rest_calls(), sum(sandbox.rest_calls(m) for m in LIST_METHODS), linked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--photos", type=int, default=1200)
    Targets.add_argument(parser)
    args = parser.parse_args()
    targets = Targets(args.timing_gate)
    work = Path(tempfile.mkdtemp(prefix="link-bench-"))
    try:
        with Sandbox(data_dir=work / "sandbox") as sandbox:
            sample = Path(flickr_replace_plugin.__file__).resolve().parent / "data" / "sample.jpg"
            sandbox.seed(args.photos, sample)
            step = max(1, args.photos // args.files)
            files = []
            for n in range(args.files):
                path = work / "files" / f"IMG_{n * step:05d}.jpg"
                path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(sample, path)
                files.append(path)
            config = Config(base_url=sandbox.base_url, state_dir=str(work / "state"), **sandbox.credentials)
            first = run(files, sandbox, work / "cache", config)
            second = run(files, sandbox, work / "cache", config)
        pages = math.ceil(args.photos / 500)
        print(table([(name, f"{t / len(files) * 1000:.1f} ms", calls, lists, f"{linked} / {len(files)}")
                     for name, (t, calls, lists, linked) in (("first run", first), ("cached run", second))],
                    ["run", "time per file", "API calls", "list calls", "linked"]))
        targets.check("first run API calls <= pages + 2", first[1] <= pages + 2, f"{first[1]} (pages: {pages})")
        targets.check("cached run sends no list call", second[2] == 0, f"{second[2]} list calls")
        targets.check("every file linked", first[3] == second[3] == len(files), f"{first[3]}, {second[3]}")
        return targets.finish()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
