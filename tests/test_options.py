"""One run's options: the config's settings hold for the Python API as for the CLI, an argument
wins over them, and the environment a command is given decides every user dir it touches."""
from __future__ import annotations

import threading
from pathlib import Path

import yaml

from clirun import cli, saved_tickets
from flickr_replace_plugin import replace_many
from flickr_replace_plugin.config import load_config
from flickr_replace_plugin.hookspecs import hookimpl
from flickr_replace_plugin.plugins import Plugins


class Rendezvous:
    """A before_replace plugin letting a file through only while another is being replaced too."""

    def __init__(self, seconds: float) -> None:
        self.barrier = threading.Barrier(2, timeout=seconds)

    @hookimpl
    def before_replace(self, path):
        try:
            self.barrier.wait()
        except threading.BrokenBarrierError:
            return "never two at once"
        return None


def dry_run_two(make_jpeg, tmp_path: Path, seconds: float, config_text: str, **settings) -> list[str]:
    """Dry-run two files through the API with the config file `config_text`; their statuses."""
    paths = []
    for n, name in enumerate(("a.jpg", "b.jpg"), 1):
        path = make_jpeg(name)
        Path(f"{path}.flickr.yaml").write_text(f"photo_id: {n}\n")
        paths.append(str(path))
    config_file = tmp_path / "config.yaml"
    config_file.write_text(config_text)
    config = load_config({"FLICKR_REPLACE_CONFIG": str(config_file), "HOME": str(tmp_path)})
    plugins = Plugins(env={})
    plugins.pm.register(Rendezvous(seconds), name="rendezvous")
    return [r.status.value for r in replace_many(paths, config=config, plugins=plugins, dry_run=True, **settings)]


def test_the_api_honours_the_config_files_jobs(make_jpeg, tmp_path):
    assert dry_run_two(make_jpeg, tmp_path, 30, "jobs: 2\n") == ["dry-run", "dry-run"]


def test_an_api_argument_wins_over_the_config(make_jpeg, tmp_path):
    # one at a time: the first file waits for a second that never comes, and is skipped
    assert dry_run_two(make_jpeg, tmp_path, 0.5, "jobs: 2\n", jobs=1) == ["skipped", "skipped"]


def test_the_environment_given_decides_config_and_state(sandbox, cli_env, make_jpeg, tmp_path):
    """No FLICKR_REPLACE_CONFIG or _STATE_DIR: the config and the tickets are in the given HOME's
    XDG dirs, not in this process's."""
    home = tmp_path / "someone"
    env = {k: v for k, v in cli_env.items() if k not in ("FLICKR_REPLACE_CONFIG", "FLICKR_REPLACE_STATE_DIR")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "cfg"))
    (home / "cfg" / "flickr-replace").mkdir(parents=True)
    (home / "cfg" / "flickr-replace" / "config.yaml").write_text(yaml.safe_dump({"record": True}))
    pid = sandbox.add_photo(make_jpeg("old.jpg").read_bytes())
    path = make_jpeg("export.jpg")
    ran = cli(["replace", str(path), "--photo-id", pid, "--no-wait", "--json"], env)
    assert ran.returncode == 0, ran.stderr
    [result] = ran.results()
    assert result["status"] == "pending"
    assert list(saved_tickets(home / ".local" / "state" / "flickr-replace")) == [result["ticket_id"]]
    finished = cli(["tickets", "--json"], env)
    assert [r["status"] for r in finished.results()] == ["replaced"]
    assert str(yaml.safe_load(Path(f"{path}.flickr.yaml").read_text())["photo_id"]) == pid  # record: true
