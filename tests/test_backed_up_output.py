"""A reader that stops reading: results are never lost when the run is stopped meanwhile."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from clirun import command, with_config
from test_faults import items  # noqa: F401  (fixture)


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_stopped_while_stdout_is_backed_up_every_path_still_gets_its_line(tmp_path, sandbox, cli_env, items, signum,
                                                                          status):
    env = with_config(cli_env, tmp_path / "fast.yaml", backoff=0.01, calls_per_hour=1_000_000)
    batch = items(sandbox, 200)
    paths = [str(i.path) for i in batch]
    proc = subprocess.Popen(command(["replace", *paths, "--json", "--jobs", "8", "--no-wait", "--no-verify",
                                     "--no-backup"]),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # Nobody reads stdout: once the pipe is full (64 KiB: about 110 of these lines) the printer blocks.
    deadline = time.monotonic() + 60
    while len(sandbox.store.tickets) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=60)
    lines = out.decode("utf-8").splitlines()
    results = [json.loads(line) for line in lines]
    seen = [r["path"] for r in results]
    assert len(seen) == len(set(seen)), "a path was reported twice"
    assert set(seen) == set(paths), f"{len(set(paths) - set(seen))} of {len(paths)} paths got no result"
    assert proc.returncode == status
