"""A batch: many files replaced async in one run, at several `--jobs`, against a distant sandbox.

The sandbox answers every request `--latency` seconds late (real Flickr is 100-300 ms away) and
completes async tickets after `--ticket-delay`. Each `--jobs` value gets a fresh sandbox (its
state, and so its cost per request, grows with every photo) seeded with one photo per file; each
file's photo id is in its name (Flickr's account export, `{title}_{id}_o.jpg`). REST calls are
counted by the sandbox; CPU is the CLI's and the sandbox's. Each `--jobs` value runs twice: with
every check and metadata on, each file carrying a title its photo lacks (the target's getInfo,
test.login once, the small image and the backup fetched from their static addresses: no API
calls; one setMeta), and with `--no-verify --no-backup` on files that carry no metadata.

    python benchmarks/batch.py                                         # 500 files, jobs 1 16, 100 ms
    python benchmarks/batch.py --files 40 --jobs 1 8 --no-timing-gate  # quick (CI)
"""
from __future__ import annotations

import argparse
import json
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from common import SandboxProcess, Targets, cli_command, compile_package, fail, run_measured, table, write_photo

from flickr_replace_plugin.argtypes import byte_size

# (name, flags, REST calls per photo allowed besides the metadata calls, whether each file carries a
# title its photo lacks): every check and metadata on with one field to change, and `--no-verify
# --no-backup` with nothing to change
MODES = (("all checks, title", (), 2.5, True), ("--no-verify --no-backup", ("--no-verify", "--no-backup"), 1.2, False))
GOAL_WITH_METADATA = 2.5  # issue 23's goal for every call, the metadata's included (reported, not gated yet)
METADATA_METHODS = {f"flickr.photos.{m}" for m in ("setMeta", "addTags", "removeTag", "setDates",
                                                   "geo.setLocation", "geo.removeLocation")}
XMP_TITLE = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
             '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt>'
             '<rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>')
SPEEDUPS = {8: 5.0, 16: 12.0}  # --jobs N at least this many times faster than --jobs 1


@dataclass
class BatchRun:
    jobs: int
    mode: str
    limit: float  # the REST calls per photo allowed in this mode
    files: int
    wall_s: float
    cpu_s: float
    sandbox_cpu_s: float
    rest_calls: dict[str, int]
    tickets_per_check: list[int]
    statuses: dict[str, int]

    @property
    def files_per_s(self) -> float:
        return self.files / self.wall_s

    @property
    def rest_per_photo(self) -> float:
        return sum(self.rest_calls.values()) / self.files

    @property
    def checks_per_photo(self) -> float:
        """REST calls per photo besides those that change its metadata."""
        return sum(n for m, n in self.rest_calls.items() if m not in METADATA_METHODS) / self.files

    @property
    def check_calls(self) -> int:
        return self.rest_calls.get("flickr.photos.upload.checkTickets", 0)


def make_batch(sandbox: SandboxProcess, folder: Path, count: int, size: int, titled: bool = False) -> list[Path]:
    """`count` photos seeded on the sandbox, and a new export of each named after its id (titled:
    carrying a title in XMP, which the seeded photo lacks)."""
    paths = []
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        photo_id = sandbox.seed_photo()
        path = write_photo(folder / f"holiday-{i:04d}_{photo_id}_o.jpg", size, seed=i)
        if titled:
            add_title(path, f"Holiday {i}")
        paths.append(path)
    return paths


def add_title(path: Path, title: str) -> None:
    """An XMP APP1 segment carrying `title`, right after the JPEG's SOI."""
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + XMP_TITLE.format(title=title).encode("utf-8")
    data = path.read_bytes()
    path.write_bytes(data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:])


def run_batch(sandbox: SandboxProcess, paths: list[Path], jobs: int, mode: tuple = MODES[0]) -> BatchRun:
    name, flags, limit, titled = mode
    sandbox.clear_requests()
    cmd = [*cli_command(), "replace", *map(str, paths), "--json", "--jobs", str(jobs), *flags]
    sandbox_cpu = sandbox.cpu_s
    run = run_measured(cmd, env=sandbox.env())
    sandbox_cpu = sandbox.cpu_s - sandbox_cpu
    results = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    if run.returncode != 0 or statuses.get("replaced") != len(paths):
        fail(f"--jobs {jobs}: {statuses} (exit {run.returncode})\n{run.stderr[-2000:]}")
    log = sandbox.requests()
    rest: dict[str, int] = {}
    for entry in log:
        if entry["route"] == "rest":
            rest[entry["rest_method"]] = rest.get(entry["rest_method"], 0) + 1
    if titled and rest.get("flickr.photos.setMeta") != len(paths):  # the metadata this mode measures was made
        fail(f"--jobs {jobs}, {name}: {rest.get('flickr.photos.setMeta', 0)} setMeta calls for {len(paths)} titled files")
    per_check = [len(e["fields"].get("tickets", "").split(",")) for e in log
                 if e.get("rest_method") == "flickr.photos.upload.checkTickets"]
    return BatchRun(jobs, name, limit, len(paths), run.wall_s, run.cpu_s, sandbox_cpu, rest, per_check, statuses)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=500, help="files in the batch (default 500)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 16], help="--jobs values to run (default 1 16)")
    parser.add_argument("--latency", type=float, default=0.1,
                        help="seconds the sandbox adds to each request (default 0.1)")
    parser.add_argument("--ticket-delay", type=float, default=1.0, help="seconds an async ticket takes (default 1)")
    parser.add_argument("--file-size", type=byte_size, default=64 << 10, help="bytes per file (default 64K)")
    parser.add_argument("--calls-per-hour", type=int, default=1_000_000,
                        help="the CLI's API call limit (default 1000000: out of the way; Flickr's 3600 would pace "
                             "any batch past 60 calls at one call a second, whatever --jobs)")
    Targets.add_argument(parser)
    args = parser.parse_args()
    compile_package()

    runs = []
    for jobs in args.jobs:
        for mode in MODES:
            with SandboxProcess(latency=args.latency, ticket_delay=args.ticket_delay) as sandbox:
                sandbox.configure(calls_per_hour=args.calls_per_hour)
                paths = make_batch(sandbox, sandbox.dir / "export", args.files, args.file_size, titled=mode[3])
                runs.append(run_batch(sandbox, paths, jobs, mode))

    print(f"{args.files} files, {args.latency * 1000:.0f} ms latency, tickets complete after {args.ticket_delay:g} s, "
          f"calls_per_hour {args.calls_per_hour}\n")
    rows = [(r.jobs, r.mode, f"{r.wall_s:.1f} s", f"{r.files_per_s:.2f}", f"{r.cpu_s:.1f} s", f"{r.sandbox_cpu_s:.1f} s",
             f"{r.rest_per_photo:.3f}", r.check_calls,
             f"{sum(r.tickets_per_check) / max(1, len(r.tickets_per_check)):.1f}",
             ", ".join(f"{m.rsplit('.', 1)[-1]} {n}" for m, n in sorted(r.rest_calls.items())))
            for r in runs]
    print(table(rows, ("jobs", "checks", "wall", "files/s", "CPU", "sandbox CPU", "REST/photo", "checkTickets", "tickets/check",
                       "REST calls")))

    targets = Targets(args.timing_gate)
    for r in runs:
        targets.check(f"--jobs {r.jobs}, {r.mode}: REST calls per photo besides the metadata's <= {r.limit:g}",
                      r.checks_per_photo <= r.limit, f"{r.checks_per_photo:.3f}")
        targets.check(f"--jobs {r.jobs}: checkTickets calls grow with poll rounds, not photos (<= 1 per 5 photos)",
                      r.check_calls * 5 <= r.files,
                      f"{r.check_calls} calls for {r.files} photos, "
                      f"up to {max(r.tickets_per_check, default=0)} tickets each")
    by_jobs = {r.jobs: r for r in runs if r.mode == MODES[0][0]}
    for jobs, goal in SPEEDUPS.items():
        if 1 in by_jobs and jobs in by_jobs:
            speedup = by_jobs[1].wall_s / by_jobs[jobs].wall_s
            targets.check(f"--jobs {jobs} >= {goal:g}x faster than --jobs 1", speedup >= goal, f"{speedup:.2f}x",
                          timing=True)
    status = targets.finish()
    for r in runs:
        if r.checks_per_photo != r.rest_per_photo:
            state = "met" if r.rest_per_photo <= GOAL_WITH_METADATA else "not met yet: after each finished ticket a " \
                "getInfo fetches the photo's new secrets, which skip-unchanged and undo compare"
            print(f"goal    --jobs {r.jobs}, {r.mode}: every REST call per photo <= {GOAL_WITH_METADATA:g}: "
                  f"{r.rest_per_photo:.3f} ({state})")
    return status


if __name__ == "__main__":
    sys.exit(main())
