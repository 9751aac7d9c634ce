"""A file becomes at most one new photo: a lost answer, a rerun after a kill or while the first
upload's ticket waits, two identical files, a re-export of the same source; a photo deleted since
is uploaded again."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from clirun import Started, cli, wait_until, with_config
from PIL import Image
from pictures import export, jpeg_bytes, photo

UPLOAD = ["replace", "--upload-missing", "--json"]


@pytest.fixture
def env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return with_config(cli_env, tmp_path / "fast.yaml", backoff=0.01, calls_per_hour=1_000_000, retries=4)


def once(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """No retry: the run ends with the upload's answer lost."""
    return with_config(env, tmp_path / "once.yaml", backoff=0.01, calls_per_hour=1_000_000, retries=1)


def photos(sandbox) -> int:
    return sandbox.stats()["photos"]


def sidecar_id(path: Path) -> str:
    return Path(f"{path}.flickr.yaml").read_text().split('"')[1]


@pytest.mark.parametrize("mode", ["--sync", "--async"])
def test_an_upload_whose_answer_was_lost_is_found_not_sent_again(sandbox, env, tmp_path, mode):
    sandbox.seed(5)
    path = export(tmp_path / "IMG_0007.jpg", "coffee", taken="2023:04:01 10:00:00")
    sandbox.faults.push("drop_after_body", scope="upload", apply=True)
    ran = cli([*UPLOAD, mode, str(path)], env)
    [result] = ran.results()
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert photos(sandbox) == 6, "the lost answer's retry uploaded a second photo"
    assert result["status"] == "uploaded" and sidecar_id(path) == result["photo_id"]
    assert sandbox.photo(result["photo_id"]).sha256 == result["sha256"]
    assert any("not uploaded again" in w for w in result["warnings"])


def test_a_rerun_after_answers_never_came_finds_the_photo(sandbox, env, tmp_path):
    path = export(tmp_path / "IMG_0008.jpg", "coffee", taken="2023:04:01 10:00:01")
    sandbox.faults.push("drop_after_body", count=9, scope="upload", apply=True)
    first = cli([*UPLOAD, "--sync", str(path)], once(env, tmp_path))
    assert first.results()[0]["status"] == "failed" and photos(sandbox) == 1
    sandbox.faults.clear()
    again = cli([*UPLOAD, str(path)], env)
    [result] = again.results()
    assert again.returncode == 0, again.stderr
    assert photos(sandbox) == 1
    assert result["status"] == "uploaded" and "by an earlier run" in " ".join(result["warnings"])
    assert sidecar_id(path) == result["photo_id"]


def test_a_rerun_after_sigkill_mid_upload_makes_no_second_photo(sandbox, env, tmp_path):
    path = export(tmp_path / "IMG_0009.jpg", "coffee", taken="2023:04:01 10:00:02")
    sandbox.faults.push("drip", scope="upload", interval=2.0)  # carried out, then answered slowly
    run = Started([*UPLOAD, "--sync", str(path)], env, tmp_path / "killed.jsonl")
    wait_until(lambda: photos(sandbox) == 1, what="the upload to land on the sandbox")
    run.proc.kill()
    run.proc.wait(10)
    sandbox.faults.clear()
    again = cli([*UPLOAD, str(path)], env)
    [result] = again.results()
    assert again.returncode == 0, again.stderr
    assert photos(sandbox) == 1
    assert result["status"] == "uploaded" and sidecar_id(path) == result["photo_id"]


def journal_statuses(env: dict[str, str]) -> list[str]:
    import sqlite3
    from contextlib import closing

    path = Path(env["FLICKR_REPLACE_STATE_DIR"]) / "journal.sqlite"
    if not path.exists():
        return []
    try:
        with closing(sqlite3.connect(path)) as db:
            return [row[0] for row in db.execute("SELECT status FROM entries")]
    except sqlite3.Error:  # being created by the run this very moment
        return []


def test_a_rerun_right_after_ctrl_c_while_flickr_still_works_on_the_upload_makes_no_second_photo(
        sandbox, env, tmp_path):
    import signal

    path = export(tmp_path / "IMG_0010.jpg", "coffee", taken="2023:04:01 10:00:03")
    sandbox.ticket_delay = 6.0  # Flickr processes the upload slowly
    sandbox.faults.push("drip", scope="upload", interval=2.0)  # taken in, then answered slowly
    run = Started([*UPLOAD, str(path)], env, tmp_path / "stopped.jsonl")
    wait_until(lambda: bool(sandbox.store.tickets), what="Flickr to take the upload in")
    assert "sent" in journal_statuses(env)
    run.finish(signal.SIGINT)
    sandbox.faults.clear()
    again = cli([*UPLOAD, str(path)], env)  # at once: the photo does not exist yet
    [result] = again.results()
    assert result["status"] == "failed" and result["attempts"] == 0
    assert result["error"]["reason"] == "earlier_upload_pending" and result["error"]["retryable"]
    sandbox.release_tickets()
    later = cli([*UPLOAD, str(path)], env)
    [result] = later.results()
    assert later.returncode == 0, later.stderr
    assert photos(sandbox) == 1, "a rerun uploaded a second photo while the first was being processed"
    assert result["status"] == "uploaded" and "by an earlier run" in " ".join(result["warnings"])


def test_a_rerun_while_the_first_ticket_waits_takes_that_ticket_photo(sandbox, env, tmp_path):
    sandbox.ticket_delay = 1.5
    path = export(tmp_path / "IMG_0010.jpg", "coffee")
    first = cli([*UPLOAD, "--no-wait", str(path)], env)
    assert first.results()[0]["status"] == "pending"
    again = cli([*UPLOAD, str(path)], env)
    [result] = again.results()
    assert again.returncode == 0, again.stderr
    time.sleep(1.6)
    assert photos(sandbox) == 1
    assert result["status"] == "uploaded" and sidecar_id(path) == result["photo_id"]
    later = cli(["tickets", "--json"], env)  # the ticket was finished by the rerun
    assert later.returncode == 0 and later.results() == []


@pytest.mark.parametrize("mode, second", [("--sync", "uploaded"), ("--async", "skipped")])
def test_two_identical_files_in_one_run_make_one_photo(sandbox, env, tmp_path, mode, second):
    a = export(tmp_path / "a" / "IMG_0011.jpg", "rocket")
    b = tmp_path / "b" / "copy.jpg"
    b.parent.mkdir()
    shutil.copyfile(a, b)
    ran = cli([*UPLOAD, mode, "--jobs", "2", str(a), str(b)], env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert photos(sandbox) == 1
    results = ran.by_path()
    statuses = sorted(r["status"] for r in results.values())
    assert statuses == sorted(["uploaded", second])
    firsts = [r for r in results.values() if r["status"] == "uploaded" and not r["warnings"]]
    assert len(firsts) == 1
    other = next(r for r in results.values() if r is not firsts[0])
    if second == "uploaded":
        assert other["photo_id"] == firsts[0]["photo_id"]
    else:
        assert other["error"]["reason"] == "duplicate_file"


def test_a_re_export_of_the_same_source_while_the_first_waits_replaces_that_photo(sandbox, env, tmp_path):
    """darktable's upload_missing: `--original SRC`, a new temporary export each time."""
    sandbox.ticket_delay = 1.0
    original = tmp_path / "library" / "DSC_0042.NEF"
    original.parent.mkdir()
    original.write_bytes(b"raw")
    first = export(tmp_path / "tmp1" / "DSC_0042.jpg", "coffee", taken="2023:04:01 10:00:03")
    ran = cli([*UPLOAD, "--no-wait", "--original", str(original), str(first)], env)
    assert ran.results()[0]["status"] == "pending"
    second = export(tmp_path / "tmp2" / "DSC_0042.jpg", "coffee", taken="2023:04:01 10:00:03", brighter=1.3)
    again = cli([*UPLOAD, "--original", str(original), str(second)], env)
    [result] = again.results()
    assert again.returncode == 0, again.stderr
    assert photos(sandbox) == 1
    assert result["status"] == "replaced" and sidecar_id(original) == result["photo_id"]
    assert sandbox.photo_bytes(result["photo_id"]) == second.read_bytes()


def test_a_re_export_turned_90_degrees_after_a_lost_answer_makes_no_second_photo(sandbox, env, tmp_path):
    path = export(tmp_path / "IMG_0012.jpg", "coffee", taken="2023:04:01 10:00:04")
    sandbox.faults.push("drop_after_body", count=9, scope="upload", apply=True)
    cli([*UPLOAD, "--sync", str(path)], once(env, tmp_path))
    sandbox.faults.clear()
    assert photos(sandbox) == 1
    turned = photo("coffee").transpose(Image.Transpose.ROTATE_90)
    path.write_bytes(jpeg_bytes(turned, "2023:04:01 10:00:04"))
    again = cli([*UPLOAD, str(path)], env)
    [result] = again.results()
    assert photos(sandbox) == 1, "the turned re-export became a second photo"
    assert result["status"] != "uploaded" or result["warnings"]


def test_a_photo_deleted_on_flickr_since_is_uploaded_again(sandbox, env, tmp_path):
    path = export(tmp_path / "a" / "IMG_0013.jpg", "coffee", taken="2023:04:01 10:00:05")
    [first] = cli([*UPLOAD, str(path)], env).results()
    copy = tmp_path / "b" / "IMG_0013.jpg"
    copy.parent.mkdir()
    shutil.copyfile(path, copy)
    [refused] = cli([*UPLOAD, str(copy)], env).results()  # the photo list and its small image are cached now
    assert refused["error"]["reason"] == "probably_on_flickr"
    sandbox.delete_photo(first["photo_id"])
    ran = cli([*UPLOAD, str(copy)], env)
    [result] = ran.results()
    assert ran.returncode == 0, ran.stdout
    assert result["status"] == "uploaded" and result["photo_id"] != first["photo_id"]
    assert photos(sandbox) == 1
