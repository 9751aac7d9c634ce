"""Shared pieces of the benchmarks: a sandbox in its own process, measured child processes, targets.

Peak RSS is read from `/proc/PID/status` (VmHWM) while the child runs: `ru_maxrss` from `wait4`
is no use here, since a child started by vfork/exec inherits its parent's high-water mark.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, NoReturn, Sequence

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1 << 20
POLL_S = 0.005

if str(ROOT) not in sys.path:  # run as `python benchmarks/X.py` from a checkout
    sys.path.insert(0, str(ROOT))


def mib(n_bytes: float) -> str:
    return f"{n_bytes / (1 << 20):.1f} MiB"


def compile_package() -> None:
    """Write the package's bytecode, as installing it does (a checkout run with
    PYTHONDONTWRITEBYTECODE would otherwise compile every module in every process)."""
    compileall.compile_dir(str(ROOT / "flickr_replace_plugin"), quiet=1)


def cli_command() -> list[str]:
    """`flickr-replace` as installed next to this interpreter (no version-manager shim in front)."""
    script = Path(sysconfig.get_path("scripts")) / "flickr-replace"
    return [str(script)] if script.exists() else [sys.executable, "-m", "flickr_replace_plugin"]


# -- measured child processes ------------------------------------------------------------------------
@dataclass
class Measured:
    """One finished child process: wall time, CPU time, peak RSS, when it ended (epoch s), what it printed."""

    wall_s: float
    cpu_s: float
    peak_rss_kb: int
    returncode: int
    stdout: str
    stderr: str
    ended_at: float

    def check(self, what: str) -> "Measured":
        if self.returncode != 0:
            fail(f"{what} failed (exit {self.returncode}):\n{self.stdout[-2000:]}\n{self.stderr[-2000:]}")
        return self


def vm_hwm_kb(pid: int) -> int | None:
    """The process's peak resident set so far, or None once it has exited."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def run_measured(cmd: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 1800.0) -> Measured:
    """Run `cmd` to completion, sampling its peak RSS every few milliseconds."""
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(list(cmd), env=dict(env) if env is not None else None, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    outputs: dict[str, str] = {}

    def drain(name: str, stream: Any) -> None:
        outputs[name] = stream.read()

    readers = [threading.Thread(target=drain, args=(n, s), daemon=True)
               for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    deadline = started + timeout
    while True:
        peak = max(peak, vm_hwm_kb(proc.pid) or 0)
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # reaped here: its own CPU times come with it
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
        time.sleep(POLL_S)
    wall, ended_at = time.perf_counter() - started, time.time()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    return Measured(wall, usage.ru_utime + usage.ru_stime, peak, proc.returncode, outputs.get("out", ""),
                    outputs.get("err", ""), ended_at)


# -- the sandbox, in its own process -----------------------------------------------------------------
class SandboxProcess:
    """`flickr-replace sandbox` in a subprocess with a temporary data dir; talks to its control API."""

    def __init__(self, latency: float = 0.0, max_bytes: int | None = None, ticket_delay: float | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="flickr-bench-"))
        cmd = [*cli_command(), "sandbox", "--data", str(self.dir / "sandbox"), "--latency", str(latency)]
        if max_bytes is not None:
            cmd += ["--max-bytes", str(max_bytes)]
        if ticket_delay is not None:
            cmd += ["--ticket-delay", str(ticket_delay)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.close()
            fail("the sandbox did not start")
        self.info: dict[str, str] = json.loads(line)
        self.base_url = self.info["base_url"]

    @property
    def credentials(self) -> dict[str, str]:
        return {k: self.info[k] for k in ("api_key", "api_secret", "oauth_token", "oauth_token_secret")}

    @staticmethod
    def private_env(folder: Path) -> dict[str, str]:
        """os.environ for a CLI child with no Flickr settings and every user dir under `folder`."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLICKR_", "XDG_"))}
        home = folder / "home"
        home.mkdir(exist_ok=True)
        env.update(FLICKR_REPLACE_CONFIG=str(folder / "config.yaml"), FLICKR_REPLACE_STATE_DIR=str(folder / "state"),
                   HOME=str(home))
        return env

    def configure(self, **settings: object) -> None:
        """Write the CLI's config file (plain `key: value` YAML) for the children started from now on."""
        path = self.dir / "config.yaml"
        path.write_text("".join(f"{key}: {value}\n" for key, value in settings.items()), encoding="utf-8")
        path.chmod(0o600)

    def env(self) -> dict[str, str]:
        """os.environ for a CLI child: this sandbox's URL and credentials, every user dir private."""
        c = self.credentials
        return {**self.private_env(self.dir), "FLICKR_API_KEY": c["api_key"], "FLICKR_API_SECRET": c["api_secret"],
                "FLICKR_OAUTH_TOKEN": c["oauth_token"], "FLICKR_OAUTH_TOKEN_SECRET": c["oauth_token_secret"],
                "FLICKR_REPLACE_BASE_URL": self.base_url}

    def control(self, method: str, what: str, body: bytes | None = None, query: str = "") -> Any:
        url = f"{self.base_url}/_sandbox/{what}" + (f"?{query}" if query else "")
        request = urllib.request.Request(url, data=body, method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        return self.control("GET", "stats")

    def requests(self) -> list[dict[str, Any]]:
        """The sandbox's request log; each entry's `time` is when its headers arrived."""
        return self.control("GET", "requests")

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def seed_photo(self, data: bytes = b"\xff\xd8\xff\xe0seed", filename: str = "seed.jpg") -> str:
        return str(self.control("POST", "photos", data, f"filename={filename}")["id"])

    @property
    def peak_rss_kb(self) -> int:
        return int(self.stats()["peak_rss_kb"])

    @property
    def cpu_s(self) -> float:
        """CPU seconds the sandbox process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "SandboxProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# -- test files --------------------------------------------------------------------------------------
MAGIC = {".jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", ".tif": b"II*\x00\x08\x00\x00\x00"}


def write_photo(path: Path, size: int, seed: int = 0) -> Path:
    """A file of `size` bytes that Flickr's format check takes (its magic bytes by extension), written in chunks."""
    block = bytearray(os.urandom(CHUNK))
    block[:8] = seed.to_bytes(8, "little")
    head = MAGIC[path.suffix]
    with open(path, "wb") as fh:
        written = 0
        while written < size:
            piece = bytes(block[: min(CHUNK, size - written)])
            if written == 0:
                piece = head + piece[len(head):]
            fh.write(piece)
            written += len(piece)
    return path


def write_photos(folder: Path, count: int, size: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_photo(folder / f"photo-{i:05d}.jpg", size, seed=i) for i in range(count)]


# -- reporting ---------------------------------------------------------------------------------------
@dataclass
class Targets:
    """The issue's targets for one benchmark: each checked, printed, and turned into the exit status.

    A timing target can be reported without failing the run (`--no-timing-gate`, for CI on a busy
    machine with small sizes); memory and call-count targets always count.
    """

    timing_gate: bool = True
    results: list[tuple[str, bool, str, bool]] = field(default_factory=list)

    @staticmethod
    def add_argument(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--no-timing-gate", dest="timing_gate", action="store_false",
                            help="report missed timing targets without failing (memory and call counts still do)")

    def check(self, name: str, ok: bool, detail: str, timing: bool = False) -> bool:
        self.results.append((name, ok, detail, timing))
        return ok

    def finish(self) -> int:
        print()
        for name, ok, detail, timing in self.results:
            mark = "met   " if ok else "MISSED" if self.timing_gate or not timing else "missed"
            print(f"{mark}  {name}: {detail}")
        missed = [timing for _, ok, _, timing in self.results if not ok]
        failing = [t for t in missed if self.timing_gate or not t]
        print(f"{len(self.results) - len(missed)} of {len(self.results)} targets met"
              + ("" if len(failing) == len(missed) else f" ({len(missed) - len(failing)} timing target(s) not gated)"))
        return 1 if failing else 0


def fail(message: str) -> NoReturn:
    """A run that went wrong (not a missed target): exit status 2."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def median(values: Iterator[float] | Sequence[float]) -> float:
    return statistics.median(list(values))
