"""One small photo replaced once: what a host that exports one photo at a time waits for.

flickr-replace with every check on (target, picture, backup) replaces a photo with an edit of
itself, next to the flickrapi package's bare replace of the same file (no check at all), each a
fresh process against a sandbox in another process, in paired rounds (each goes first in turn),
on loopback and with the sandbox's latency fault (every request answered after that delay: a
round trip to a distant server). flickr-replace replaces a photo it sent last (the re-edit loop;
the targets are for this one) and, reported beside it, a photo it never sent. Reported: medians,
their ratio, and the requests each client made.

    python benchmarks/single.py                    # 15 rounds at 0 and 100 ms; exits 1 on a missed target
    python benchmarks/single.py --rounds 3 --no-timing-gate   # quick
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import ROOT, SandboxProcess, Targets, cli_command, compile_package, median, run_measured, table
from upload import FLICKRAPI_SCRIPT

TARGETS = {0.0: 1.0, 0.1: 1.2}  # latency (s) -> at most this times flickrapi's wall time
DATA = ROOT / "flickr_replace_plugin" / "data"


OURS, FIRST, THEIRS = "flickr-replace", "flickr-replace, first send", "flickrapi"


def ours(path: Path, photo_id: str) -> list[str]:
    return [*cli_command(), "replace", str(path), "--photo-id", photo_id, "--sync", "--json",
            "--force"]  # --force: the same bytes go again each round (every check still runs)


def measure(latency: float, rounds: int, folder: Path) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Wall times per client, and the requests of each client's last run.

    Each client replaces a photo of its own, so that one's replace never changes the photo the other
    replaces next: flickr-replace's photo was last sent by flickr-replace (the re-edit loop: the
    small image and the original are asked beside getInfo at the addresses that send left), and
    "first send" replaces a photo flickr-replace never sent (uploaded on the website: they wait
    for getInfo's answer), a new one each round."""
    path = folder / "edited.jpg"
    path.write_bytes((DATA / "sample-edited.jpg").read_bytes())
    original = (DATA / "sample.jpg").read_bytes()
    times: dict[str, list[float]] = {}
    calls: dict[str, int] = {}
    with SandboxProcess(latency=latency, ticket_delay=0) as sandbox:
        mine, theirs = sandbox.seed_photo(original), sandbox.seed_photo(original)
        cmds = {OURS: lambda: ours(path, mine), FIRST: lambda: ours(path, sandbox.seed_photo(original)),
                THEIRS: lambda: [sys.executable, "-c", FLICKRAPI_SCRIPT, sandbox.base_url, str(path), theirs]}
        names = list(cmds)
        for name in names:  # a first run each, not measured: a token's remembered answers are in
            run_measured(cmds[name](), env=sandbox.env()).check(name)
        for i in range(rounds):
            for name in names[i % len(names):] + names[:i % len(names)]:
                cmd = cmds[name]()
                sandbox.clear_requests()
                run = run_measured(cmd, env=sandbox.env()).check(name)
                times.setdefault(name, []).append(run.wall_s)
                calls[name] = len(sandbox.requests())
    return times, calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="paired rounds per latency (default 15)")
    parser.add_argument("--latency", type=float, nargs="+", default=list(TARGETS),
                        help="per-request latencies in seconds (default 0 0.1)")
    Targets.add_argument(parser)
    args = parser.parse_args()
    compile_package()
    targets = Targets(args.timing_gate)
    rows = []
    with tempfile.TemporaryDirectory(prefix="flickr-single-bench-") as tmp:
        for latency in args.latency:
            times, calls = measure(latency, args.rounds, Path(tmp))
            ours, theirs = median(times[OURS]), median(times[THEIRS])
            rows += [(f"{latency * 1000:.0f} ms", name, f"{median(t):.3f} s", f"{min(t):.3f} s", calls[name])
                     for name, t in times.items()]
            limit = TARGETS.get(latency)
            if limit is not None:
                targets.check(f"{latency * 1000:.0f} ms a request: every check on <= {limit}x flickrapi's bare "
                              "replace", ours <= limit * theirs,
                              f"{ours:.3f} s vs {theirs:.3f} s ({ours / theirs:.2f}x)", timing=True)
    print(table(rows, ("latency", "client", "wall (median)", "fastest", "requests")))
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
