"""A batch: many files replaced async in one run, at several `--jobs`, against a distant sandbox.

The sandbox answers every request `--latency` seconds late (real Flickr is 100-300 ms away) and
completes async tickets after `--ticket-delay`. Each `--jobs` value gets a fresh sandbox (its
state, and so its cost per request, grows with every photo) seeded with one photo per file; each
file's photo id is in its name (Flickr's account export, `{title}_{id}_o.jpg`). REST calls are
counted by the sandbox; CPU is the CLI's and the sandbox's. Each `--jobs` value runs twice: with
every check on (the target's getInfo, test.login once, the small image and the backup fetched
from their static addresses: no API calls), and with `--no-verify --no-backup`.

    python benchmarks/batch.py                                         # 500 files, jobs 1 4 8, 100 ms
    python benchmarks/batch.py --files 40 --jobs 1 8 --no-timing-gate  # quick (CI)
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from common import SandboxProcess, Targets, cli_command, compile_package, fail, run_measured, table, write_photo

from flickr_replace_plugin.argtypes import byte_size

# REST calls per photo: with every check on, and with `--no-verify --no-backup` (the checks' switches)
MODES = (("all checks", (), 3.0), ("--no-verify --no-backup", ("--no-verify", "--no-backup"), 1.2))
SPEEDUP = 5.0


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
    def check_calls(self) -> int:
        return self.rest_calls.get("flickr.photos.upload.checkTickets", 0)


def make_batch(sandbox: SandboxProcess, folder: Path, count: int, size: int) -> list[Path]:
    """`count` photos seeded on the sandbox, and a new export of each named after its id."""
    paths = []
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        photo_id = sandbox.seed_photo()
        paths.append(write_photo(folder / f"holiday-{i:04d}_{photo_id}_o.jpg", size, seed=i))
    return paths


def run_batch(sandbox: SandboxProcess, paths: list[Path], jobs: int, mode: tuple = MODES[0]) -> BatchRun:
    name, flags, limit = mode
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
    per_check = [len(e["fields"].get("tickets", "").split(",")) for e in log
                 if e.get("rest_method") == "flickr.photos.upload.checkTickets"]
    return BatchRun(jobs, name, limit, len(paths), run.wall_s, run.cpu_s, sandbox_cpu, rest, per_check, statuses)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=500, help="files in the batch (default 500)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 4, 8], help="--jobs values to run (default 1 4 8)")
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
                paths = make_batch(sandbox, sandbox.dir / "export", args.files, args.file_size)
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
        targets.check(f"--jobs {r.jobs}, {r.mode}: REST calls per photo <= {r.limit:g}", r.rest_per_photo <= r.limit,
                      f"{r.rest_per_photo:.3f}")
        targets.check(f"--jobs {r.jobs}: checkTickets calls grow with poll rounds, not photos (<= 1 per 5 photos)",
                      r.check_calls * 5 <= r.files,
                      f"{r.check_calls} calls for {r.files} photos, "
                      f"up to {max(r.tickets_per_check, default=0)} tickets each")
    by_jobs = {r.jobs: r for r in runs if r.mode == MODES[0][0]}
    if 1 in by_jobs and 8 in by_jobs:
        speedup = by_jobs[1].wall_s / by_jobs[8].wall_s
        targets.check(f"--jobs 8 >= {SPEEDUP:g}x faster than --jobs 1", speedup >= SPEEDUP, f"{speedup:.2f}x",
                      timing=True)
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
