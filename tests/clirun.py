"""Running the `flickr-replace` command, and what no run of it may ever print.

`cli` runs it in this process through `main(argv, Environment(...))`: the environment mapping a
test gives is all the command sees (its own config, state and user dirs), so no test reaches a
real user's files. `cli(..., process=True)` and `Started` run the real console command where a
process matters (signals, stdout's encoding, the entry point).

Every run is checked on the spot: no traceback, and none of the secrets it was given (the
consumer secret, the token secret), no OAuth signature and no unmasked `oauth_token_secret` /
`oauth_verifier` / `oauth_signature` field in its stdout or stderr, at whatever verbosity.
"""
from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import yaml

from flickr_replace_plugin.cli import Environment, main

Arg = str | bytes
RESULT_KEYS = {"path", "photo_id", "source", "status", "secret", "originalsecret", "ticket_id", "error",
               "attempts", "bytes", "elapsed_s", "previous", "backup", "sha256", "warnings"}
# An HMAC-SHA1 signature is 20 bytes: 28 base64 characters ending in "=", also seen percent-encoded.
SIGNATURE = re.compile(r"(?<![\w+/])[A-Za-z0-9+/]{27}=(?![\w=])|(?:[A-Za-z0-9]|%2B|%2F){27}%3D")
# An OAuth secret field with its value shown, in any form libraries log: form fields, base strings,
# headers, reprs of tuples and dicts.
UNMASKED = re.compile(r"oauth_(?:token_secret|verifier|signature)(?:(?:=|%3D|%253D)(?:\"|%22)?"
                      r"|['\"]\s*[:,]\s*['\"])(?!\*\*\*)[\w%+/.-]")
SECRET_VARIABLES = ("FLICKR_API_SECRET", "FLICKR_OAUTH_TOKEN_SECRET")


@dataclass
class Ran:
    args: Sequence[Arg]
    returncode: int
    stdout: str
    stderr: str

    def results(self) -> list[dict[str, Any]]:
        """stdout as JSON objects, one a line; each must be a whole result object."""
        parsed = [json.loads(line) for line in self.stdout.splitlines()]
        assert all(set(item) == RESULT_KEYS for item in parsed), self.stdout
        return parsed

    def by_path(self) -> dict[str, dict[str, Any]]:
        results = self.results()
        paths = [r["path"] for r in results]
        assert len(paths) == len(set(paths)), "a path was reported twice"
        return dict(zip(paths, results))


def command(args: Sequence[Arg]) -> list[Arg]:
    return [sys.executable, "-m", "flickr_replace_plugin", *args]


def assert_clean(text: str, secrets: Iterable[str]) -> None:
    """No traceback, no secret, no signature, no OAuth secret field unmasked."""
    assert "Traceback" not in text, text
    for secret in secrets:
        assert secret not in text, "a secret was printed"
    for leak in (SIGNATURE, UNMASKED):
        assert not leak.search(text), f"a secret was printed: {leak.search(text)}"


def secrets_of(env: Mapping[str, str]) -> list[str]:
    return [env[name] for name in SECRET_VARIABLES if env.get(name)]


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")  # file names that are not UTF-8 print as their bytes


def cli(args: Sequence[Arg], env: Mapping[str, str], *, stdin: str | None = None, timeout: float = 60,
        secrets: Iterable[str] = (), process: bool = False, cwd: Path | None = None) -> Ran:
    """Run the command to its end (in-process unless `process`), in folder `cwd` (the test's own
    when None), and check what it printed."""
    if process:
        proc = subprocess.run(command(args), env=dict(env), input=None if stdin is None else stdin.encode(),
                              capture_output=True, timeout=timeout, cwd=cwd)
        ran = Ran(args, proc.returncode, _decode(proc.stdout), _decode(proc.stderr))
    else:
        out, err = io.StringIO(), io.StringIO()
        with _importable(env):
            status = main([os.fsdecode(a) for a in args],
                          Environment(stdin=io.StringIO(stdin or ""), stdout=out, stderr=err, env=dict(env),
                                      cwd=cwd or Path.cwd()))
        ran = Ran(args, int(status), out.getvalue(), err.getvalue())
    assert_clean(ran.stdout + ran.stderr, [*secrets_of(env), *secrets])
    return ran


@contextmanager
def _importable(env: Mapping[str, str]):
    """The mapping's PYTHONPATH on sys.path while the command runs, as a process started with it has."""
    added = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p not in sys.path]
    sys.path[:0] = added
    try:
        yield
    finally:
        for p in added:
            sys.path.remove(p)


class Started:
    """The command running in the background, its stdout going to a file that tests can watch."""

    def __init__(self, args: Sequence[Arg], env: Mapping[str, str], out: Path) -> None:
        self.args, self.env, self.out = args, env, out
        self.err = out.with_suffix(".err")
        with open(out, "wb") as stdout, open(self.err, "wb") as stderr:
            # Ctrl-C must reach it even when the test runner was started with SIGINT ignored
            self.proc = subprocess.Popen(command(args), env=dict(env), stdout=stdout, stderr=stderr,
                                         stdin=subprocess.DEVNULL,
                                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def lines(self) -> list[str]:
        return self.out.read_text(encoding="utf-8").splitlines()

    def finish(self, signum: int | None = None, timeout: float = 30) -> Ran:
        if signum is not None:
            self.proc.send_signal(signum)
        self.proc.wait(timeout)
        ran = Ran(self.args, self.proc.returncode, _decode(self.out.read_bytes()), _decode(self.err.read_bytes()))
        assert_clean(ran.stdout + ran.stderr, secrets_of(self.env))
        return ran


def wait_until(condition: Callable[[], bool], timeout: float = 30, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def saved_tickets(state_dir: Path) -> dict[str, dict[str, Any]]:
    """The pending tickets a run left; the file, when there, must always be whole JSON."""
    path = state_dir / "tickets.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 1 and isinstance(data["tickets"], dict)
    return data["tickets"]


def with_config(env: Mapping[str, str], path: Path, **settings: Any) -> dict[str, str]:
    """`env` reading a config file with these settings (no secrets in it: those stay in the environment)."""
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    return {**env, "FLICKR_REPLACE_CONFIG": str(path)}


def sandbox_env(env: Mapping[str, str], sandbox: Any) -> dict[str, str]:
    """`env` pointed at another sandbox: its URL and credentials."""
    creds = sandbox.credentials
    return {**env, "FLICKR_API_KEY": creds["api_key"], "FLICKR_API_SECRET": creds["api_secret"],
            "FLICKR_OAUTH_TOKEN": creds["oauth_token"], "FLICKR_OAUTH_TOKEN_SECRET": creds["oauth_token_secret"],
            "FLICKR_REPLACE_BASE_URL": sandbox.base_url}


def on_a_terminal(args: Sequence[Arg], env: Mapping[str, str]) -> tuple[int, str, bytes]:
    """Run with stderr on a pseudo-terminal, as a person at a terminal sees it."""
    import os
    import pty
    import threading

    master, slave = pty.openpty()
    seen = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.Popen(command(args), env=dict(env),
                            stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    stdout, _ = proc.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, stdout, bytes(seen)
