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
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, contextmanager
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


def saved_tickets(state: Path) -> dict[str, dict[str, Any]]:
    """The pending tickets a run left in the journal (`state` is the state dir or the journal file),
    by ticket id, each with its `claim` and `journal` entry id; never a JSON state file beside it."""
    journal = state if state.name == "journal.sqlite" else state / "journal.sqlite"
    assert not (journal.parent / "tickets.json").is_file(), "a JSON ticket file was written"
    if not journal.exists():
        return {}
    with closing(sqlite3.connect(journal, timeout=30)) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
        if "ticket" not in columns:
            return {}
        found = db.execute("SELECT id, ticket_id, ticket, claim FROM entries WHERE ticket IS NOT NULL").fetchall()
    return {tid: {**json.loads(ticket), "journal": entry, "claim": json.loads(claim) if claim else None}
            for entry, tid, ticket, claim in found}


def as_earlier_version(state: Path) -> Path:
    """Move the saved tickets out of the journal into the `tickets.json` an earlier version kept
    (its journal entries stay `pending`, named by each ticket's `journal` id): that file's path."""
    tickets = saved_tickets(state)
    with closing(sqlite3.connect(state / "journal.sqlite", timeout=30)) as db, db:
        db.execute("UPDATE entries SET ticket = NULL, claim = NULL, ticket_id = NULL")
    path = state / "tickets.json"
    path.write_text(json.dumps({"version": 1, "tickets": tickets}, indent=1), encoding="utf-8")
    return path


def refuse_ticket_saves(state: Path) -> None:
    """A journal that takes its entries but refuses to save a ticket on them, as a full disk would."""
    from flickr_replace_plugin.tickets import TicketStore

    TicketStore(state).load()  # the journal, as this version lays it out
    with closing(sqlite3.connect(state / "journal.sqlite", timeout=30)) as db, db:
        for when in ("UPDATE OF ticket", "INSERT"):
            db.execute(f"CREATE TRIGGER refuse_{when.split()[0].lower()} BEFORE {when} ON entries "
                       "WHEN NEW.ticket IS NOT NULL BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")


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
