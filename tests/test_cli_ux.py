"""The command line as a person meets it: help for every option, the bare command, -v, -q, progress."""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import pytest

from clirun import cli, on_a_terminal, sandbox_env
from flickr_replace_plugin.cli import build_parser
from flickr_replace_plugin.sandbox import Sandbox


def _parsers(parser: argparse.ArgumentParser, name: str = "flickr-replace"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def test_every_option_of_every_command_has_a_description():
    missing = [f"{name} {action.option_strings or action.dest}" for name, parser in _parsers(build_parser())
               for action in parser._actions
               if not isinstance(action, argparse._SubParsersAction) and not (action.help and action.help.strip())]
    assert missing == []


def test_the_bare_command_shows_the_commands_and_the_exit_statuses(cli_env):
    ran = cli([], cli_env)
    assert ran.returncode == 2 and ran.stdout == ""
    for command in ("replace", "resolve", "tickets", "auth", "status", "sandbox", "demo"):
        assert re.search(rf"^\s+{command}\s+\S", ran.stderr, re.MULTILINE), command
    assert "exit status:" in ran.stderr and "130" in ran.stderr
    assert "exit status:" in cli(["--help"], cli_env).stdout


def test_status_prints_sizes_as_mb_and_gb(cli_env):
    ran = cli(["status"], cli_env)
    assert ran.returncode == 0 and "largest photo: 200 MB" in ran.stdout
    assert re.search(r"monthly bandwidth: (unlimited|[\d.]+ [MG]B of [\d.]+ [MG]B left)", ran.stdout), ran.stdout


def _photo(sandbox, make_jpeg, name: str) -> str:
    path = make_jpeg(name, size=(400, 300))
    Path(f"{path}.flickr.yaml").write_text(f'photo_id: "{sandbox.add_photo(make_jpeg("o-" + name).read_bytes())}"\n')
    return str(path)


def test_verbose_tells_what_happens_to_each_file(sandbox, cli_env, make_jpeg):
    path = _photo(sandbox, make_jpeg, "v.jpg")
    ran = cli(["replace", "-v", path], cli_env)
    assert ran.returncode == 0
    steps = [r"photo \d+, id from sidecar:v.jpg.flickr.yaml", r"local checks passed \(jpeg, \d+ bytes\)",
             r"sending \d+ bytes to replace photo \d+ \(async, attempt 1\)", r"as ticket \d+-\d+",
             r"polling 1 ticket", r"ticket \S+ finished: replaced", r"v.jpg: replaced"]
    for step in steps:
        assert re.search(step, ran.stderr), (step, ran.stderr)
    assert "HTTP" not in ran.stderr and "flickr_replace.http" not in ran.stderr
    loud = cli(["status", "-vv"], cli_env)
    assert re.search(r"flickr_replace\.http: \"POST /services/rest/\" answered 200", loud.stderr), loud.stderr


def test_quiet_prints_only_results_and_errors(sandbox, cli_env, make_jpeg, tmp_path):
    path = _photo(sandbox, make_jpeg, "q.jpg")
    ran = cli(["replace", "-q", path, str(tmp_path / "gone.jpg")], cli_env)
    assert ran.returncode == 1 and ran.stderr == ""
    assert sorted(line.split(":")[0] for line in ran.stdout.splitlines()) == ["FAILED", "replaced"]
    assert "no such file" in ran.stdout
    assert "summary:" in cli(["replace", "--dry-run", path], cli_env).stderr


@pytest.fixture
def slow_tickets(tmp_path):
    with Sandbox(data_dir=tmp_path / "slow", port=0, latency=0.0, max_bytes=None, ticket_delay=2.5) as sb:
        yield sb


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_the_progress_bar_says_what_it_waits_for_and_keeps_moving(slow_tickets, cli_env, make_jpeg):
    env = sandbox_env(cli_env, slow_tickets)
    paths = [_photo(slow_tickets, make_jpeg, f"p{n}.jpg") for n in range(3)]
    status, stdout, seen = on_a_terminal(["replace", "--json", *paths], env)
    assert status == 0 and [json.loads(line)["status"] for line in stdout.splitlines()] == ["replaced"] * 3
    text = seen.decode("utf-8", "replace")
    assert "uploading " in text and "waiting for 3 tickets" in text
    # while Flickr works on the tickets, the bar is redrawn with its clock running
    clocks = set(re.findall(r"waiting for \d tickets?[^\r\n]*?\[(\d\d:\d\d)", text))
    assert len(clocks) >= 2, text[-2000:]


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_tickets_shows_progress_and_no_progress_hides_it(slow_tickets, cli_env, make_jpeg):
    env = sandbox_env(cli_env, slow_tickets)
    paths = [_photo(slow_tickets, make_jpeg, f"t{n}.jpg") for n in range(2)]
    assert cli(["replace", "--no-wait", "--json", *paths], env).returncode == 0
    status, stdout, seen = on_a_terminal(["tickets"], env)
    assert status == 0 and stdout.count("replaced: ") == 2, stdout + seen.decode(errors="replace")[-1500:]
    assert b"waiting for 2 tickets" in seen
    paths = [_photo(slow_tickets, make_jpeg, "n.jpg")]
    status, _, seen = on_a_terminal(["replace", "--no-progress", *paths], env)
    assert status == 0 and b"uploading" not in seen and b"waiting for" not in seen and b"summary: 1 replaced" in seen
