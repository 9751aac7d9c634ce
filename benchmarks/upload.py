"""One big file, replaced on the sandbox by flickr-replace, by curl and by the flickrapi package.

Each client runs in its own process against a sandbox in another process, posting the same
signed multipart body (sync replace, `async=0`); wall time is the median of `--repeat` runs and
peak RSS the largest seen. A small file and, with limits raised, a huge one, are replaced too,
to show that memory does not grow with the file (ours and the sandbox's).

    python benchmarks/upload.py                       # 190 MiB, 1 MiB and 1 GiB; exits 1 on a missed target
    python benchmarks/upload.py --size 8M --huge 0 --repeat 1   # quick
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from common import (Measured, SandboxProcess, Targets, cli_command, compile_package, median, mib, parse_size,
                    run_measured, table, write_photo)

TIME_VS_CURL = 1.1
RSS_GROWTH_MIB = 30
FLICKRAPI_SCRIPT = """
import os, sys, flickrapi
base, path, photo_id = sys.argv[1:4]
env = os.environ
token = flickrapi.auth.FlickrAccessToken(env["FLICKR_OAUTH_TOKEN"], env["FLICKR_OAUTH_TOKEN_SECRET"], "write")
flickr = flickrapi.FlickrAPI(env["FLICKR_API_KEY"], env["FLICKR_API_SECRET"], token=token, store_token=False,
                             format="etree")
flickr.REST_URL, flickr.UPLOAD_URL, flickr.REPLACE_URL = (f"{base}/services/{s}/" for s in ("rest", "upload", "replace"))
answer = flickr.replace(path, photo_id=photo_id, format="etree")
print(answer.findtext("photoid"))
"""
CLIENTS = ("flickr-replace", "curl", "flickrapi")


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
    def peak_rss_kb(self) -> int:
        return max(r.peak_rss_kb for r in self.runs)


def command(client: str, sandbox: SandboxProcess, path: Path, photo_id: str) -> list[str]:
    if client == "flickr-replace":
        return [*cli_command(), "replace", str(path), "--photo-id", photo_id, "--sync", "--json"]
    if client == "flickrapi":
        return [sys.executable, "-c", FLICKRAPI_SCRIPT, sandbox.base_url, str(path), photo_id]
    return curl_command(sandbox, path, photo_id)


def curl_command(sandbox: SandboxProcess, path: Path, photo_id: str) -> list[str]:
    """curl posting the same body: our OAuth header over the same fields, the file streamed by `-F @`."""
    from flickr_replace_plugin.config import load_config
    from flickr_replace_plugin.transport import FlickrClient

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
        raise SystemExit(f"curl's replace was refused: {run.stdout}")
    got = sandbox.control("GET", f"photos/{photo_id}")["size"]
    if got != size:
        raise SystemExit(f"{client}: the sandbox holds {got} bytes, not {size}")
    arrived = [e["time"] for e in sandbox.requests() if e["route"] == "replace"][-1]
    runs.runs.append(run)
    runs.upload_phases.append(run.ended_at - arrived)


def measure(size: int, clients: tuple[str, ...], repeat: int, folder: Path) -> tuple[list[Runs], int]:
    """Runs of each client at one size on a fresh sandbox, interleaved; and the sandbox's peak RSS."""
    path = write_photo(folder / f"export-{size}.tif", size)
    limit = max(size + (1 << 20), 200 * 1024 * 1024)
    with SandboxProcess(max_bytes=limit, ticket_delay=0) as sandbox:
        photo_id = sandbox.seed_photo()
        runs = {c: Runs(c, size) for c in clients}
        for _ in range(repeat):
            for client in clients:
                replace_with(client, sandbox, path, photo_id, size, runs[client])
        sandbox_kb = sandbox.peak_rss_kb
    path.unlink()
    return list(runs.values()), sandbox_kb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=parse_size, default=parse_size("190M"), help="the big file (default 190M)")
    parser.add_argument("--small", type=parse_size, default=parse_size("1M"), help="the small file (default 1M)")
    parser.add_argument("--huge", type=parse_size, default=parse_size("1G"),
                        help="a file past Flickr's limit, sandbox limit raised; 0 skips (default 1G)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per client at the big size (default 3)")
    args = parser.parse_args()
    if not shutil.which("curl"):
        raise SystemExit("curl is needed for the reference")

    compile_package()
    folder = Path(tempfile.mkdtemp(prefix="flickr-upload-bench-"))
    try:
        big, sandbox_big = measure(args.size, CLIENTS, args.repeat, folder)
        small, sandbox_small = measure(args.small, ("flickr-replace",), args.repeat, folder)
        huge, sandbox_huge = measure(args.huge, ("flickr-replace",), 1, folder) if args.huge else ([], 0)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    rows = [(r.client, mib(r.size), f"{r.wall_s:.2f} s", f"{r.upload_s:.2f} s", f"{r.size / r.upload_s / (1 << 20):.0f} MiB/s",
             mib(r.peak_rss_kb * 1024), len(r.runs)) for r in [*big, *small, *huge]]
    print(table(rows, ("client", "file", "wall (median)", "upload phase", "upload speed", "peak RSS", "runs")))
    sandbox_rows = [(mib(s), mib(kb * 1024)) for s, kb in
                    ((args.size, sandbox_big), (args.small, sandbox_small), (args.huge, sandbox_huge)) if kb]
    print("\nsandbox process\n" + table(sandbox_rows, ("largest file", "peak RSS")))

    ours, curl, flickrapi = big
    targets = Targets()
    ratio = ours.wall_s / curl.wall_s
    print(f"\nwall time, flickr-replace / curl: {ratio:.2f}x, / flickrapi: {ours.wall_s / flickrapi.wall_s:.2f}x")
    print(f"upload phase, flickr-replace / curl: {ours.upload_s / curl.upload_s:.2f}x, "
          f"/ flickrapi: {ours.upload_s / flickrapi.upload_s:.2f}x")
    targets.check(f"time <= {TIME_VS_CURL}x curl's", ratio <= TIME_VS_CURL,
                  f"{ours.wall_s:.2f} s vs {curl.wall_s:.2f} s ({ratio:.2f}x)")
    targets.check("time <= flickrapi's", ours.wall_s <= flickrapi.wall_s,
                  f"{ours.wall_s:.2f} s vs {flickrapi.wall_s:.2f} s")
    for label, runs, sandbox_kb in ((mib(args.size), ours, sandbox_big), (mib(args.huge), huge[0] if huge else None,
                                                                           sandbox_huge)):
        if runs is None:
            continue
        growth = (runs.peak_rss_kb - small[0].peak_rss_kb) / 1024
        targets.check(f"RSS growth {mib(args.small)} -> {label} < {RSS_GROWTH_MIB} MiB", growth < RSS_GROWTH_MIB,
                      f"{growth:+.1f} MiB")
        growth = (sandbox_kb - sandbox_small) / 1024
        targets.check(f"sandbox RSS growth {mib(args.small)} -> {label} < {RSS_GROWTH_MIB} MiB",
                      growth < RSS_GROWTH_MIB, f"{growth:+.1f} MiB")
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
