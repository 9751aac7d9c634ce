"""Exit statuses are written once, in `ExitStatus`: the help, plugin.yaml and the signal handler read them."""
from __future__ import annotations

import ast
import signal
from pathlib import Path

import flickr_replace_plugin
from flickr_replace_plugin.interrupts import Interrupts
from flickr_replace_plugin.status import ExitStatus
from clirun import cli

PACKAGE = Path(flickr_replace_plugin.__file__).parent
SIGNAL_CODES = {ExitStatus.INTERRUPTED.value, ExitStatus.TERMINATED.value}


def test_help_lists_every_status_with_its_meaning(cli_env):
    shown = cli(["--help"], cli_env).stdout
    for status in ExitStatus:
        assert f"{status.value:<4} {status.meaning}" in shown, status


def test_the_signal_handler_exits_with_the_enum_codes():
    assert Interrupts.EXIT == {signal.SIGINT: ExitStatus.INTERRUPTED, signal.SIGTERM: ExitStatus.TERMINATED}


def test_no_module_but_status_writes_the_signal_codes():
    """130 and 143 mean nothing else in this package, so a literal one is a second copy of the enum."""
    copies = []
    for file in PACKAGE.rglob("*.py"):
        if file.name == "status.py" and file.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and type(node.value) is int and node.value in SIGNAL_CODES:
                copies.append(f"{file.relative_to(PACKAGE)}:{node.lineno}")
    assert not copies, f"exit codes written outside flickr_replace_plugin/status.py: {copies}"


def test_the_status_module_imports_nothing_from_the_package():
    tree = ast.parse((PACKAGE / "status.py").read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.level or "flickr" in (n.module or ""))]


def test_a_sandbox_that_cannot_listen_is_exit_2_on_the_commands_own_stderr(cli_env):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ran = cli(["sandbox", "--port", str(taken.getsockname()[1])], cli_env)
    assert ran.returncode == ExitStatus.USAGE
    assert "already in use" in ran.stderr and ran.stdout == ""


def test_the_console_command_ends_at_once_yet_runs_exit_handlers_and_keeps_its_status(cli_env, tmp_path):
    """The entry point skips the interpreter's teardown after the output is out: what a plugin
    registered with atexit still runs, the output is whole, and the status is the command's."""
    import subprocess
    import sys

    probe = ("import atexit, sys\n"
             "atexit.register(lambda: print('handler ran', file=sys.stderr))\n"
             "from flickr_replace_plugin.cli import run\n"
             "sys.argv = ['flickr-replace', *sys.argv[1:]]\n"
             "run()\n"
             "print('never reached', file=sys.stderr)\n")
    for args, status in ((["paths", "--json"], ExitStatus.OK), (["resolve", str(tmp_path / "missing.jpg")], None)):
        proc = subprocess.run([sys.executable, "-c", probe, *args], env=cli_env, capture_output=True, text=True,
                              timeout=60)
        assert "handler ran" in proc.stderr and "never reached" not in proc.stderr, proc.stderr
        if status is not None:
            assert proc.returncode == status.value and proc.stdout.rstrip().endswith("}"), proc.stdout
        else:
            assert proc.returncode not in (0, ExitStatus.INTERRUPTED.value), proc
