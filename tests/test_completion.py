"""`flickr-replace completion SHELL`: a script the shell accepts, that completes every command, and
files and folders where an argument is a path; shtab loaded by this command alone."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

import pytest
from clirun import cli

from flickr_replace_plugin.cli import build_parser

COMMANDS = [name for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)
            for name in action.choices]
needs_bash = pytest.mark.skipif(not shutil.which("bash"), reason="bash is not installed")


def complete(script: str, words: list[str], cwd) -> list[str]:
    """What bash offers at <Tab> after `words` (the last one being typed), as a user's shell would."""
    words_text = " ".join(f"'{w}'" for w in words)
    program = f"""source "$1"
COMP_WORDS=({words_text}); COMP_CWORD={len(words) - 1}; COMP_LINE="${{COMP_WORDS[*]}}"; COMP_POINT=${{#COMP_LINE}}
_shtab_flickr_replace
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    file = cwd.parent / "completion.bash"
    file.write_text(script, encoding="utf-8")
    proc = subprocess.run(["bash", "-c", program, "bash", str(file)], cwd=cwd,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return sorted(line for line in proc.stdout.splitlines() if line)


@needs_bash
def test_bash_script_is_valid_and_completes_commands_and_paths(cli_env, tmp_path):
    ran = cli(["completion", "bash"], cli_env, process=True)
    assert ran.returncode == 0 and ran.stderr == ""
    script = ran.stdout
    for name in COMMANDS:
        assert name in script, name
    check = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr

    work = tmp_path / "work"
    (work / "exports").mkdir(parents=True)
    (work / "photo.jpg").write_bytes(b"x")
    assert complete(script, ["flickr-replace", "re"], work) == ["replace", "resolve"]
    assert complete(script, ["flickr-replace", "p"], work) == ["paths", "plugins"]
    assert complete(script, ["flickr-replace", "replace", "ph"], work) == ["photo.jpg"]
    assert complete(script, ["flickr-replace", "replace", "--original", "ph"], work) == ["photo.jpg"]
    assert complete(script, ["flickr-replace", "--config", "ph"], work) == ["photo.jpg"]
    assert complete(script, ["flickr-replace", "watch", ""], work) == ["exports"]  # folders only
    assert complete(script, ["flickr-replace", "auth", "--from"], work) == ["--from-flickrapi"]
    assert complete(script, ["flickr-replace", "completion", ""], work) == ["bash", "tcsh", "zsh"]


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh is not installed")
def test_zsh_script_is_valid(cli_env, tmp_path):
    ran = cli(["completion", "zsh"], cli_env)
    assert ran.returncode == 0 and "#compdef flickr-replace" in ran.stdout
    script = tmp_path / "_flickr-replace"
    script.write_text(ran.stdout, encoding="utf-8")
    check = subprocess.run(["zsh", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    # As a user installs it: a folder on $fpath, then compinit finds it and binds it to the command.
    load = (f"fpath=({tmp_path} $fpath); autoload -Uz compinit; compinit -u -d {tmp_path}/zcompdump; "
            "print -r -- ${_comps[flickr-replace]}")
    loaded = subprocess.run(["zsh", "-f", "-c", load], capture_output=True, text=True, timeout=30,
                            env={"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")})
    assert loaded.stdout.strip() == "_flickr-replace", loaded.stdout + loaded.stderr
    for name in COMMANDS:
        assert name in ran.stdout, name


def test_tcsh_script_names_every_command(cli_env):
    ran = cli(["completion", "tcsh"], cli_env)
    assert ran.returncode == 0 and ran.stdout.startswith("#")
    for name in COMMANDS:
        assert name in ran.stdout, name


def test_an_unknown_shell_is_a_usage_error(cli_env):
    ran = cli(["completion", "fishy"], cli_env)
    assert ran.returncode == 2 and "invalid choice: 'fishy'" in ran.stderr


def test_only_the_completion_command_imports_shtab(cli_env):
    # the console command's own main (its entry point ends the process as soon as the output is out)
    probe = ("import sys; sys.argv = ['flickr-replace', *sys.argv[1:]]\n"
             "from flickr_replace_plugin.cli import main\n"
             "main()\n"
             "print('shtab' in sys.modules, file=sys.stderr)")
    for args, loaded in ((["--help"], "False"), (["paths"], "False"), (["completion", "bash"], "True")):
        proc = subprocess.run([sys.executable, "-c", probe, *args], env=cli_env, capture_output=True, text=True,
                              timeout=60)
        assert proc.stderr.strip().splitlines()[-1] == loaded, (args, proc.stderr)
