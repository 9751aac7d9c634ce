"""Start-up: what a host that runs the CLI once per photo pays before any work is done.

Times `flickr-replace --help` and `flickr-replace resolve FILE` next to `python -c pass` and
`python -c "import requests"`, each a fresh process, runs interleaved; reports medians.
The package's bytecode is compiled first, as an installed package's is.

    python benchmarks/startup.py              # 30 runs each; exits 1 on a missed target
    python benchmarks/startup.py --runs 10    # quick
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, SandboxProcess, Targets, cli_command, compile_package, fail, median, table

HELP_MS = 150.0
HELP_VS_REQUESTS = 2.0


def wall_s(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        fail(f"{' '.join(cmd)} failed: {proc.stderr.decode(errors='replace')[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="runs of each command (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured runs first (default 3)")
    Targets.add_argument(parser)
    args = parser.parse_args()
    compile_package()

    folder = Path(tempfile.mkdtemp(prefix="flickr-startup-bench-"))
    try:
        photo = folder / "52345678901_0a1b2c3d4e_o.jpg"  # a Flickr download: the id is in the name
        shutil.copyfile(ROOT / "flickr_replace_plugin" / "data" / "sample.jpg", photo)
        env = SandboxProcess.private_env(folder)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            'python -c "import requests"': [sys.executable, "-c", "import requests"],
            "flickr-replace --help": [*cli_command(), "--help"],
            "flickr-replace resolve FILE": [*cli_command(), "resolve", str(photo)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for i in range(args.warmup + args.runs):
            for name, cmd in commands.items():
                elapsed = wall_s(cmd, env)
                if i >= args.warmup:
                    times[name].append(elapsed)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    medians = {name: median(values) * 1000 for name, values in times.items()}
    base = medians["python -c pass"]
    rows = [(name, f"{ms:.1f} ms", f"{min(times[name]) * 1000:.1f} ms", f"{ms - base:+.1f} ms")
            for name, ms in medians.items()]
    print(table(rows, ("command", "median", "best", "over python -c pass")))

    help_ms, requests_ms = medians["flickr-replace --help"], medians['python -c "import requests"']
    targets = Targets(args.timing_gate)
    targets.check(f"--help median <= {HELP_MS:.0f} ms", help_ms <= HELP_MS, f"{help_ms:.1f} ms", timing=True)
    targets.check(f"--help <= {HELP_VS_REQUESTS:g}x python -c \"import requests\"",
                  help_ms <= HELP_VS_REQUESTS * requests_ms, f"{help_ms / requests_ms:.2f}x ({requests_ms:.1f} ms)",
                  timing=True)
    return targets.finish()


if __name__ == "__main__":
    sys.exit(main())
