"""The benchmark scripts in their quick form, so none can rot: each must run and meet the targets
that do not depend on how busy the machine is (memory, call counts, and resolve's wide margin);
start-up time is a timing target, so its quick form only has to run: `python benchmarks/startup.py` judges it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("args", [
    ["startup.py", "--runs", "5", "--no-timing-gate"],
    ["upload.py", "--size", "8M", "--huge", "64M", "--repeat", "1", "--no-timing-gate"],
    ["single.py", "--rounds", "1", "--no-timing-gate"],
    ["batch.py", "--files", "40", "--jobs", "8", "--no-timing-gate"],
    ["resolve.py", "--files", "400", "--repeat", "1"],
    ["exif_reader.py", "--files", "100", "--repeat", "2", "--no-timing-gate"],
    ["link.py", "--files", "10", "--photos", "600"],
], ids=lambda args: args[0])
def test_benchmark_quick_run_meets_its_targets(args):
    proc = subprocess.run([sys.executable, str(BENCHMARKS / args[0]), *args[1:]], capture_output=True, text=True,
                          timeout=300, cwd=BENCHMARKS.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "target" in proc.stdout
