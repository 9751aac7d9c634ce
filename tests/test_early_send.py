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


def test_a_refused_picture_stops_its_body_at_once_not_after_the_whole_file(sandbox, config, tmp_path):
    pid, original = _on_flickr(sandbox, tmp_path)
    wrong = _picture(tmp_path / "export.jpg", "astronaut")
    with open(wrong, "ab") as fh:  # 8 MB behind the picture's end: 8 s at the rate below
        fh.write(b"\0" * (8 << 20))
    started = time.monotonic()
    result = replace(str(wrong), photo_id=pid, config=config.with_(limit_rate=1 << 20), backup=False)
    assert result.error.reason == "not_similar" and sandbox.photo_bytes(pid) == original
    assert time.monotonic() - started < 4.0  # the body stopped at its next block once refused
    assert all(r["cut_short"] for r in sandbox.requests if r["route"] == "replace")


def test_a_hold_past_its_limit_cuts_the_body_and_sends_the_file_after_the_checks(sandbox, config, tmp_path,
                                                                                 monkeypatch):
    from flickr_replace_plugin.pipeline import early

    monkeypatch.setattr(early, "MAX_HOLD_S", 0.3)
    pid, _ = _on_flickr(sandbox, tmp_path)
    export = _picture(tmp_path / "export.jpg", "coffee")
    sandbox.faults.push("slow", scope="static", seconds=1.0)  # the checks outlast the hold
    result = replace(str(export), photo_id=pid, config=config, backup=False)
    assert result.status.value == "replaced" and sandbox.photo(pid).sha256 == sha(export)
    assert result.attempts == 1  # the cut body is not an attempt: nothing it sent could land
    assert [r["cut_short"] for r in sandbox.requests if r["route"] == "replace"] == [True, False]


def test_a_backup_slower_than_the_uploads_deadline_holds_the_body_without_a_second_send(sandbox, config, tmp_path,
                                                                                       monkeypatch):
    from flickr_replace_plugin.pipeline import remote

    saving = remote._save_backup

    def slow_disk(*args, **kwargs):
        time.sleep(2.5)  # longer than the whole upload may take on its own (below)
        return saving(*args, **kwargs)

    monkeypatch.setattr(remote, "_save_backup", slow_disk)
    pid, original = _on_flickr(sandbox, tmp_path)
    export = _picture(tmp_path / "export.jpg", "coffee")
    result = replace(str(export), photo_id=pid, config=config.with_(http_timeout=1.0))
    assert result.status.value == "replaced" and result.attempts == 1
    assert Path(result.backup).read_bytes() == original
    assert [r["cut_short"] for r in sandbox.requests if r["route"] == "replace"] == [False]


def test_a_full_disk_under_the_backup_says_so_and_downloads_it_once(sandbox, config, tmp_path, monkeypatch):
    import errno

    from flickr_replace_plugin.safety import backup

    def full(self, block):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup._Hashed, "write", full)
    pid, original = _on_flickr(sandbox, tmp_path)
    export = _picture(tmp_path / "export.jpg", "coffee")
    result = replace(str(export), photo_id=pid, config=config)
    assert result.error.reason == "backup_failed" and "No space left on device" in result.error.message
    assert sandbox.photo_bytes(pid) == original
    assert len([r for r in sandbox.requests if r["path"].endswith("_o.jpg")]) == 1  # not retried as a network error
