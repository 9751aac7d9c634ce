"""`flickr-replace paths` and `--config FILE`: what `paths` prints is where a replace really writes,
and a config named on the command line wins over FLICKR_REPLACE_CONFIG and must exist."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from clirun import cli, saved_tickets, with_config

from flickr_replace_plugin.sandbox import Sandbox


@pytest.fixture
def photo(sandbox: Sandbox, make_jpeg) -> tuple[str, str]:
    pid = sandbox.add_photo(make_jpeg("old.jpg").read_bytes())
    return str(make_jpeg("export.jpg")), pid


def printed(ran_stdout: str) -> dict[str, str]:
    """`paths`' plain text, `name: path` a line, as a dict (the config line's note cut off)."""
    lines = dict(line.split(": ", 1) for line in ran_stdout.splitlines())
    lines["config"] = lines["config"].split(" (")[0]
    return lines


def assert_replace_wrote_there(where: dict, photo: tuple[str, str], env: dict[str, str], *pre: str) -> None:
    """A replace that leaves its ticket pending: its ticket, journal entry and backup are at `where`."""
    path, pid = photo
    ran = cli([*pre, "replace", path, "--photo-id", pid, "--no-wait", "--json"], env)
    assert ran.returncode == 0, ran.stderr
    [result] = ran.results()
    assert result["status"] == "pending"
    assert result["ticket_id"] in saved_tickets(Path(where["tickets"]))  # the tickets live in the journal
    assert Path(where["journal"]).is_file()
    assert Path(result["backup"]).parent == Path(where["backup_dir"]) / pid and Path(result["backup"]).is_file()
    history = cli([*pre, "history", pid, "--json"], env)
    assert json.loads(history.stdout.splitlines()[0])["status"] == "pending"


def test_paths_follow_the_xdg_dirs_and_a_replace_writes_where_they_point(photo, cli_env, tmp_path):
    env = {k: v for k, v in cli_env.items() if k != "FLICKR_REPLACE_STATE_DIR"}
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        env[name] = str(tmp_path / name.lower())
    ran = cli(["paths", "--json"], env)
    assert ran.returncode == 0, ran.stderr
    where = json.loads(ran.stdout)
    state = tmp_path / "xdg_state_home" / "flickr-replace"
    assert where == {"config": cli_env["FLICKR_REPLACE_CONFIG"], "config_exists": False, "state_dir": str(state),
                     "tickets": str(state / "journal.sqlite"), "journal": str(state / "journal.sqlite"),
                     "cache_dir": str(tmp_path / "xdg_cache_home" / "flickr-replace"),
                     "backup_dir": str(tmp_path / "xdg_data_home" / "flickr-replace" / "backups")}
    assert_replace_wrote_there(where, photo, env)


def test_config_named_with_option_wins_and_its_dirs_are_printed_and_used(photo, cli_env, tmp_path):
    other = with_config(cli_env, tmp_path / "from-variable.yaml", backup_dir=str(tmp_path / "not-these"))
    named = tmp_path / "named.yaml"
    named.write_text(yaml.safe_dump({"state_dir": str(tmp_path / "my-state"),
                                     "backup_dir": str(tmp_path / "my-backups")}), encoding="utf-8")
    before = cli(["--config", str(named), "paths"], other, process=True)  # the real command, plain text
    assert before.returncode == 0, before.stderr
    where = printed(before.stdout)
    assert list(where) == ["config", "state_dir", "tickets", "journal", "cache_dir", "backup_dir"]
    assert where["config"] == str(named) and "(exists)" in before.stdout
    assert (where["state_dir"], where["backup_dir"]) == (str(tmp_path / "my-state"), str(tmp_path / "my-backups"))
    assert where["journal"] == str(tmp_path / "my-state" / "journal.sqlite")
    after = cli(["paths", "--json", "--config", str(named)], other)  # after the command, in-process: the same
    assert {k: v for k, v in json.loads(after.stdout).items() if k != "config_exists"} == where
    assert_replace_wrote_there(where, photo, other, "--config", str(named))
    assert not (tmp_path / "not-these").exists()


@pytest.mark.parametrize("before", [True, False], ids=["before the command", "after it"])
def test_a_named_config_that_is_not_there_is_exit_2_and_nothing_is_sent(before, sandbox, photo, cli_env, tmp_path):
    path, pid = photo
    missing = tmp_path / "typo.yaml"
    option = ["--config", str(missing)]
    args = [*option, "replace", path, "--photo-id", pid] if before else ["replace", path, "--photo-id", pid, *option]
    original = sandbox.photo(pid).sha256
    ran = cli(args, cli_env)
    assert ran.returncode == 2 and ran.stdout == ""
    assert ran.stderr == (f"flickr-replace: --config {missing}: no such file; check the name, or run "
                          f"`flickr-replace --config {missing} auth` to create it with your credentials\n")
    assert sandbox.photo(pid).sha256 == original and not missing.exists()
    folder = cli(["--config", str(tmp_path), "paths"], cli_env)
    assert folder.returncode == 2 and "is a folder" in folder.stderr


@pytest.mark.parametrize("process", [False, True], ids=["in-process", "console command"])
def test_a_relative_config_is_read_from_the_folder_the_command_runs_in(cli_env, tmp_path, process):
    """In-process runs take their folder from the Environment, as the console command takes its own."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "mine.yaml").write_text(yaml.safe_dump({"state_dir": "kept"}), encoding="utf-8")
    ran = cli(["--config", "mine.yaml", "paths", "--json"], cli_env, cwd=folder, process=process)
    assert ran.returncode == 0, ran.stderr
    found = json.loads(ran.stdout)
    assert found["config"] == str(folder / "mine.yaml") and found["config_exists"]
    assert found["state_dir"] == str(folder / "kept")
