"""A replace's body goes out beside the picture check and the backup, and its last bytes wait for
their verdict: the upload overlaps the checks, yet a refusal, a kill or a failed backup while the
body is held leaves the photo as it was (a body cut short is never acted on)."""
from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from clirun import Started, cli, wait_until
from conftest import sample_photo
from flickr_replace_plugin import replace
from flickr_replace_plugin.config import Config
from flickr_replace_plugin.sandbox import Sandbox

SLOW_S = 1.5
pytestmark = pytest.mark.skipif(not hasattr(__import__("os"), "pread"), reason="the body goes out after the checks here")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def config(sandbox: Sandbox, tmp_path: Path) -> Config:
    return Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), backup_dir=str(tmp_path / "backups"),
                  backoff=0.01, timeout=30, **sandbox.credentials)


def _picture(path: Path, name: str) -> Path:
    sample_photo((480, 320), name).save(path, "JPEG", quality=90)
    return path


def _on_flickr(sandbox: Sandbox, tmp_path: Path, name: str = "coffee") -> tuple[str, bytes]:
    original = _picture(tmp_path / "first.jpg", name).read_bytes()
    return sandbox.add_photo(original, filename="first.jpg"), original


def _routes(sandbox: Sandbox) -> list[dict]:
    """The sandbox's log in the order the requests were answered (each entry's `time`: its start)."""
    return [r for r in sandbox.requests if r["route"] in ("replace", "static")]


def test_the_body_goes_out_while_the_small_image_is_awaited_and_ends_only_after_it(sandbox, config, tmp_path):
    pid, _ = _on_flickr(sandbox, tmp_path)
    export = _picture(tmp_path / "export.jpg", "coffee")
    sandbox.faults.push("slow", scope="static", seconds=SLOW_S)  # the picture check's small image
    result = replace(str(export), photo_id=pid, config=config, backup=False)
    assert result.status.value == "replaced" and sandbox.photo(pid).sha256 == sha(export)
    small, upload = _routes(sandbox)
    assert small["route"] == "static" and upload["route"] == "replace" and not upload["cut_short"]
    # it started while the small image was held back, and was answered after that image was
    assert upload["time"] < small["time"] + SLOW_S / 2
    assert result.attempts == 1


def test_a_refused_picture_cuts_its_body_short_and_never_shows_processing(sandbox, cli_env, tmp_path):
    pid, original = _on_flickr(sandbox, tmp_path)
    wrong = _picture(tmp_path / "export.jpg", "astronaut")
    stream = tmp_path / "progress.jsonl"
    ran = cli(["replace", str(wrong), "--photo-id", pid, "--json", "--progress-json", str(stream)], cli_env)
    [result] = ran.results()
    assert ran.returncode != 0 and result["error"]["reason"] == "not_similar"
    assert result["attempts"] == 0 and result["sha256"] is None  # nothing went whole
    assert sandbox.photo_bytes(pid) == original
    assert all(r["cut_short"] for r in sandbox.requests if r["route"] == "replace")
    stages = [json.loads(line)["stage"] for line in stream.read_text().splitlines()]
    assert "processing" not in stages, stages
    with sqlite3.connect(Path(cli_env["FLICKR_REPLACE_STATE_DIR"]) / "journal.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM entries").fetchone() == (0,)


def test_a_kill_while_the_body_is_held_leaves_the_photo_and_a_rerun_replaces_it(sandbox, cli_env, tmp_path):
    pid, original = _on_flickr(sandbox, tmp_path)
    export = _picture(tmp_path / "export.jpg", "coffee")
    sandbox.faults.push("slow", scope="static", seconds=30)  # the check never answers before the kill
    run = Started(["replace", str(export), "--photo-id", pid, "--json"], cli_env, tmp_path / "out.jsonl")
    try:
        wait_until(lambda: any(r["route"] == "rest" for r in sandbox.requests), what="getInfo")
        time.sleep(1.0)  # the body is out by now, its end held for the small image
    finally:
        run.finish(signal.SIGKILL)
    wait_until(lambda: any(r["route"] == "replace" for r in sandbox.requests), what="the cut body's end")
    assert [r["cut_short"] for r in sandbox.requests if r["route"] == "replace"] == [True]
    assert sandbox.photo_bytes(pid) == original
    sandbox.faults.clear()
    again = cli(["replace", str(export), "--photo-id", pid, "--json"], cli_env)
    [result] = again.results()
    assert result["status"] == "replaced" and result["attempts"] == 1 and sandbox.photo(pid).sha256 == sha(export)
    history = [json.loads(line) for line in cli(["history", "--json"], cli_env).stdout.splitlines()]
    assert [e["status"] for e in history] == ["replaced"]  # the killed run left no entry: nothing went whole


def test_a_file_sent_last_with_the_same_size_is_not_begun_before_skip_unchanged(sandbox, config, tmp_path):
    pid, _ = _on_flickr(sandbox, tmp_path)
    export = _picture(tmp_path / "export.jpg", "coffee")
    assert replace(str(export), photo_id=pid, config=config).status.value == "replaced"
    sandbox.clear_requests()
    again = replace(str(export), photo_id=pid, config=config)
    assert again.status.value == "skipped" and again.error.reason == "unchanged"
    assert not [r for r in sandbox.requests if r["route"] == "replace"]  # not a byte of it went out
