"""One big file, replaced on the sandbox by flickr-replace, by curl and by the flickrapi package.

Each client runs in its own process against a sandbox in another process, posting the same
signed multipart body (sync replace, `async=0`). Reported per client: wall time (median of
`--repeat` runs, in rotating order), the upload phase (from the replace request's arrival at the
sandbox to the client's exit: start-up and earlier requests left out; flickr-replace's body starts
once getInfo has answered, so its picture check and backup, which run beside the body, fall inside
it), CPU time and peak RSS.
A small file and, with the sandbox's limit raised, a huge one are replaced too, to show that
memory does not grow with the file, ours or the sandbox's. flickr-replace runs with every check
on, twice: with the backup off (`--no-backup`), and with it on (its download of the photo's
previous original runs beside the upload, whose body's last bytes wait for it).

    python benchmarks/upload.py                       # 1 MiB, 190 MiB and 1 GiB; exits 1 on a missed target
    python benchmarks/upload.py --size 8M --huge 64M --repeat 1 --no-timing-gate   # quick (CI)
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common import (Measured, SandboxProcess, Targets, cli_command, compile_package, fail, median, mib, run_measured,
                    table, write_photo)

from flickr_replace_plugin.argtypes import byte_size

TIME_VS_CURL = 1.1
BACKUP_VS_CURL = 1.5  # with the backup on: the previous original downloaded whole as well
RSS_GROWTH_MIB = 5  # ours, from the small file to each big one
SANDBOX_GROWTH_MIB = 30
FLICKRAPI_SCRIPT = """
import os, sys, flickrapi
base, path, photo_id = sys.argv[1:4]
env = os.environ
token = flickrapi.auth.FlickrAccessToken(env["FLICKR_OAUTH_TOKEN"], env["FLICKR_OAUTH_TOKEN_SECRET"], "write")
flickr = flickrapi.FlickrAPI(env["FLICKR_API_KEY"], env["FLICKR_API_SECRET"], token=token, store_token=False,
                             format="etree")
flickr.REST_URL, flickr.UPLOAD_URL, flickr.REPLACE_URL = (f"{base}/services/{kind}/"
                                                           for kind in ("rest", "upload", "replace"))
answer = flickr.replace(path, photo_id=photo_id, format="etree")
print(answer.findtext("photoid"))
"""
OURS, BACKED_UP = "flickr-replace", "flickr-replace+backup"
CLIENTS = (OURS, BACKED_UP, "curl", "flickrapi")


@dataclass
class Runs:
    """Every run of one client at one size, with each run's upload phase: from the replace request's
    arrival at the sandbox to the client's exit (start-up and earlier requests left out)."""

    client: str
    size: int
    runs: list[Measured] = field(default_factory=list)
    upload_phases: list[float] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        return median(r.wall_s for r in self.runs)

    @property
    def upload_s(self) -> float:
        return median(self.upload_phases)

    @property
    def cpu_s(self) -> float:
        return median(r.cpu_s for r in self.runs)

    @property
    def peak_rss_kb(self) -> int:
        return max(r.peak_rss_kb for r in self.runs)


def command(client: str, sandbox: SandboxProcess, path: Path, photo_id: str) -> list[str]:
    if client in (OURS, BACKED_UP):
        # every check on (the target, the picture); --force: the same bytes go again each run
        backup = [] if client == BACKED_UP else ["--no-backup"]
        return [*cli_command(), "replace", str(path), "--photo-id", photo_id, "--sync", "--json", "--force", *backup]
    if client == "flickrapi":
        return [sys.executable, "-c", FLICKRAPI_SCRIPT, sandbox.base_url, str(path), photo_id]
    return curl_command(sandbox, path, photo_id)


def curl_command(sandbox: SandboxProcess, path: Path, photo_id: str) -> list[str]:
    """curl posting the same body: our OAuth header over the same fields, the file streamed by `-F @`."""
    from flickr_replace_plugin.config import load_config
    from flickr_replace_plugin.flickr.client import FlickrClient

    client = FlickrClient(load_config(sandbox.env()))
    url = client.endpoints.replace
    fields = {"photo_id": photo_id, "async": "0"}
    auth = client.sign_fields(url, fields)
    client.close()
    form = [arg for name, value in fields.items() for arg in ("-F", f"{name}={value}")]
    return ["curl", "-sS", "-H", f"Authorization: {auth}", *form,
            "-F", f"photo=@{path};type=application/octet-stream", url]


def replace_with(client: str, sandbox: SandboxProcess, path: Path, photo_id: str, size: int, runs: Runs) -> None:
    sandbox.clear_requests()
    run = run_measured(command(client, sandbox, path, photo_id), env=sandbox.env()).check(client)
    if client == "curl" and 'stat="ok"' not in run.stdout:
        fail(f"curl's replace was refused: {run.stdout}")
    got = sandbox.control("GET", f"photos/{photo_id}")["size"]
    if got != size:
        fail(f"{client}: the sandbox holds {got} bytes, not {size}")
    log = sandbox.requests()
    arrived = [e["time"] for e in log if e["route"] == "replace"][-1]
    runs.runs.append(run)
    runs.upload_phases.append(run.ended_at - arrived)


@dataclass
class SizeRuns:
    """All clients at one file size, on one fresh sandbox, and that sandbox's peak RSS."""

    size: int
    clients: dict[str, Runs]
    sandbox_kb: int

    def ratios(self, what: str, client: str = OURS) -> str:
        ours, curl, flickrapi = (getattr(self.clients[c], what) for c in (client, "curl", "flickrapi"))
        return f"{ours / curl:.2f}x curl's, {ours / flickrapi:.2f}x flickrapi's"


def measure(size: int, repeat: int, folder: Path) -> SizeRuns:
    """`repeat` runs of each client, interleaved, replacing one photo with a file of `size` bytes."""
    path = write_photo(folder / f"export-{size}.tif", size)
    limit = max(size + (1 << 20), 200 * 1024 * 1024)
    with SandboxProcess(max_bytes=limit, ticket_delay=0) as sandbox:
        photo_id = sandbox.seed_photo()
        runs = {c: Runs(c, size) for c in CLIENTS}
        for i in range(repeat):
            turn = i % len(CLIENTS)
            for client in CLIENTS[turn:] + CLIENTS[:turn]:  # each goes first in turn
                os.sync()  # no run pays for the write-back of the one before
                replace_with(client, sandbox, path, photo_id, size, runs[client])
        sandbox_kb = sandbox.peak_rss_kb
    path.unlink()
    return SizeRuns(size, runs, sandbox_kb)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=byte_size, default=190 << 20, help="the big file (default 190M)")
    parser.add_argument("--small", type=byte_size, default=1 << 20, help="the small file (default 1M)")
    parser.add_argument("--huge", type=byte_size, default=1 << 30,
                        help="a file past Flickr's limit, the sandbox's raised, run once (default 1G)")
    parser.add_argument("--no-huge", dest="huge", action="store_const", const=0, help="skip the huge file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per client at the big and small sizes (default 3)")
    Targets.add_argument(parser)
    args = parser.parse_args()
    if not shutil.which("curl"):
        fail("curl is needed for the reference")

    compile_package()
    folder = Path(tempfile.mkdtemp(prefix="flickr-upload-bench-"))
    try:
        big, small = measure(args.size, args.repeat, folder), measure(args.small, args.repeat, folder)
        huge = measure(args.huge, 1, folder) if args.huge else None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sizes = [s for s in (small, big, huge) if s is not None]

    rows = [(r.client, mib(r.size), f"{r.wall_s:.2f} s", f"{r.upload_s:.2f} s",
             f"{r.size / r.upload_s / (1 << 20):.0f} MiB/s", f"{r.cpu_s:.2f} s", mib(r.peak_rss_kb * 1024), len(r.runs))
            for s in sizes for r in s.clients.values()]
    print(table(rows, ("client", "file", "wall (median)", "upload phase", "upload speed", "CPU", "peak RSS", "runs")))
    print("\nsandbox process\n" + table([(mib(s.size), mib(s.sandbox_kb * 1024)) for s in sizes],
                                        ("largest file", "peak RSS")))
    print("\nflickr-replace's time")
    for s in sizes:
        print(f"  {mib(s.size)}: wall {s.ratios('wall_s')}; upload phase {s.ratios('upload_s')}; "
              f"with the backup: wall {s.ratios('wall_s', BACKED_UP)}")

    targets = Targets(args.timing_gate)
    ours, backed_up, curl, flickrapi = (big.clients[c] for c in CLIENTS)
    ratio = ours.wall_s / curl.wall_s
    targets.check(f"time, every check on, backup off <= {TIME_VS_CURL}x curl's", ratio <= TIME_VS_CURL,
                  f"{ours.wall_s:.2f} s vs {curl.wall_s:.2f} s ({ratio:.2f}x)", timing=True)
    ratio = backed_up.wall_s / curl.wall_s
    targets.check(f"time, every check on, backup on <= {BACKUP_VS_CURL}x curl's", ratio <= BACKUP_VS_CURL,
                  f"{backed_up.wall_s:.2f} s vs {curl.wall_s:.2f} s ({ratio:.2f}x)", timing=True)
    phase = ours.upload_s / curl.upload_s
    targets.check(f"upload phase, hashed as sent, <= {TIME_VS_CURL}x curl's", phase <= TIME_VS_CURL,
                  f"{ours.upload_s:.2f} s vs {curl.upload_s:.2f} s ({phase:.2f}x)", timing=True)
    targets.check("time <= flickrapi's", ours.wall_s <= flickrapi.wall_s,
                  f"{ours.wall_s:.2f} s vs {flickrapi.wall_s:.2f} s", timing=True)
    base = small.clients[BACKED_UP].peak_rss_kb
    for s in sizes[1:]:
        growth = (s.clients[BACKED_UP].peak_rss_kb - base) / 1024
        targets.check(f"RSS growth {mib(args.small)} -> {mib(s.size)} < {RSS_GROWTH_MIB} MiB", growth < RSS_GROWTH_MIB,
                      f"{growth:+.1f} MiB")
        growth = (s.sandbox_kb - small.sandbox_kb) / 1024
        targets.check(f"sandbox RSS growth {mib(args.small)} -> {mib(s.size)} < {SANDBOX_GROWTH_MIB} MiB",
                      growth < SANDBOX_GROWTH_MIB, f"{growth:+.1f} MiB")
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
