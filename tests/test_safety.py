"""The safety net against the sandbox: refusals that send nothing, backups, the journal, undo, whole versions."""
from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
from pathlib import Path

import pytest

from clirun import Started, cli, wait_until
from conftest import sample_photo
from flickr_replace_plugin import replace, replace_many, undo
from flickr_replace_plugin.config import Config
from flickr_replace_plugin.sandbox import Sandbox
from sandboxhttp import MP4


def sha(data: bytes | Path) -> str:
    return hashlib.sha256(data.read_bytes() if isinstance(data, Path) else data).hexdigest()


@pytest.fixture
def config(sandbox: Sandbox, tmp_path: Path) -> Config:
    return Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), backup_dir=str(tmp_path / "backups"),
                  backoff=0.01, timeout=30, **sandbox.credentials)


@pytest.fixture
def photo(sandbox: Sandbox, make_jpeg):
    """A photo on the sandbox and a new export of it: (export path, photo id, the original's bytes)."""
    original = make_jpeg("first.jpg").read_bytes()
    return make_jpeg("export.jpg"), sandbox.add_photo(original, filename="first.jpg"), original


def uploads(sandbox: Sandbox) -> list[dict]:
    return [r for r in sandbox.requests if r["path"].startswith(("/services/replace", "/services/upload"))]


def whole_uploads(sandbox: Sandbox) -> list[dict]:
    """Uploads whose body arrived whole: a body begun beside the checks and cut short when one
    refused the file is never acted on (as on Flickr)."""
    return [r for r in uploads(sandbox) if not r["cut_short"]]


def reason(result) -> str | None:
    return result.error.reason if result.error else None


def test_two_files_naming_one_photo_send_nothing_and_name_each_other(sandbox, config, photo, make_jpeg):
    path, pid, original = photo
    other = make_jpeg("export.tif.jpg")
    results = {r.path: r for r in replace_many([str(path), str(other)], photo_id=pid, config=config, jobs=2)}
    assert {reason(r) for r in results.values()} == {"duplicate_target"}
    assert str(other) in results[str(path)].error.message and str(path) in results[str(other)].error.message
    assert uploads(sandbox) == [] and sandbox.photo_bytes(pid) == original


@pytest.mark.parametrize("target, expected, code", [("missing", "not_found", 1), ("other", "not_owner", None),
                                                    ("video", "video", 8)])
def test_a_target_that_must_not_be_replaced_is_refused_before_any_upload(sandbox, config, make_jpeg, target,
                                                                          expected, code):
    pid = {"missing": lambda: "12345",
           "other": lambda: sandbox.add_photo(make_jpeg("theirs.jpg").read_bytes(), owner="someone-else"),
           "video": lambda: sandbox.add_photo(MP4, filename="clip.mp4", media="video")}[target]()
    result = replace(str(make_jpeg("export.jpg")), photo_id=pid, config=config)
    assert result.status.value == "failed" and reason(result) == expected, result.error
    assert result.error.origin.value == "local" and (code is None or result.error.code == code)
    assert uploads(sandbox) == [] and result.backup is None


def test_backup_holds_the_previous_original_and_getinfo_and_the_result_says_so(sandbox, config, photo, tmp_path):
    path, pid, original = photo
    before = sandbox.photo(pid)
    result = replace(str(path), photo_id=pid, config=config)
    assert result.status.value == "replaced", result.error
    backup = Path(result.backup)
    assert backup.parent == tmp_path / "backups" / pid and backup.read_bytes() == original
    assert backup.name.endswith(f"_{before.originalsecret}.jpg")
    stamp = backup.name.split("_", 1)[0]
    info = json.loads((backup.parent / f"{stamp}.json").read_text())["photo"]
    assert info["id"] == pid and info["originalsecret"] == before.originalsecret
    assert result.previous == {"secret": before.secret, "originalsecret": before.originalsecret,
                               "originalformat": "jpg"}
    assert result.sha256 == sha(path) == sandbox.photo(pid).sha256
    assert [p.name for p in backup.parent.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_a_backup_cut_off_once_is_fetched_again_whole(sandbox, config, photo, tmp_path):
    path, pid, original = photo
    sandbox.faults.push("truncate", count=3)  # the small image (both sizes), then the original's first try
    result = replace(str(path), photo_id=pid, config=config)
    assert result.status.value == "replaced", result.error
    assert Path(result.backup).read_bytes() == original  # whole, not a first half and then the rest
    assert sandbox.faults.applied["truncate"] == 3


def test_a_backup_that_cannot_be_saved_whole_stops_the_replace(sandbox, config, photo, tmp_path):
    path, pid, original = photo
    # the small image (both sizes), then the original on every attempt: all cut short
    sandbox.faults.push("truncate", count=2 + config.retries)
    result = replace(str(path), photo_id=pid, config=config)
    assert reason(result) == "backup_failed" and "--no-backup" in result.error.message
    assert sandbox.photo_bytes(pid) == original
    # the upload went out beside the download, its body held short of its end and cut there: refused
    assert [(u["photo_size"], u["cut_short"]) for u in uploads(sandbox)] == [(None, True)]
    assert uploads(sandbox)[0]["content_length"] > path.stat().st_size
    assert not any(p.is_file() for p in (tmp_path / "backups").rglob("*"))
    with sqlite3.connect(tmp_path / "state" / "journal.sqlite") as db:  # no body went whole: nothing journalled
        assert db.execute("SELECT status, backup FROM entries").fetchall() == []


def test_no_backup_replaces_without_downloading(sandbox, config, photo, tmp_path):
    path, pid, _ = photo
    result = replace(str(path), photo_id=pid, config=config, backup=False)
    assert result.status.value == "replaced" and result.backup is None
    assert not (tmp_path / "backups").exists()


def test_the_same_bytes_again_are_skipped_unless_forced(sandbox, config, photo):
    path, pid, _ = photo
    assert replace(str(path), photo_id=pid, config=config).status.value == "replaced"
    again = replace(str(path), photo_id=pid, config=config)
    assert again.status.value == "skipped" and reason(again) == "unchanged"
    assert len(uploads(sandbox)) == 1
    forced = replace(str(path), photo_id=pid, config=config, force=True)
    assert forced.status.value == "replaced" and len(uploads(sandbox)) == 2


def test_dry_run_runs_the_checks_and_sends_nothing(sandbox, config, make_jpeg, tmp_path):
    result = replace(str(make_jpeg("export.jpg")), photo_id="12345", config=config, dry_run=True)
    assert reason(result) == "not_found"
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes())
    result = replace(str(make_jpeg("export2.jpg")), photo_id=pid, config=config, dry_run=True)
    assert result.status.value == "dry-run" and result.previous is not None
    assert uploads(sandbox) == [] and not (tmp_path / "backups").exists()


def test_no_verify_saves_the_api_calls_but_one_file_per_photo_still_holds(sandbox, config, photo, make_jpeg):
    path, pid, _ = photo
    result = replace(str(path), photo_id=pid, config=config, verify=False, backup=False, async_=False)
    assert result.status.value == "replaced"
    assert sandbox.rest_calls("flickr.photos.getInfo") == 0 and sandbox.rest_calls("flickr.test.login") == 0
    results = list(replace_many([str(path), str(make_jpeg("b.jpg"))], photo_id=pid, config=config, verify=False))
    assert {reason(r) for r in results} == {"duplicate_target"}


def test_undo_puts_the_backup_back_byte_for_byte_and_can_itself_be_undone(sandbox, config, photo):
    path, pid, original = photo
    assert replace(str(path), photo_id=pid, config=config).status.value == "replaced"
    undone = undo(pid, config=config)
    assert undone.status.value == "replaced" and undone.source == "backup", undone.error
    assert sandbox.photo_bytes(pid) == original and undone.sha256 == sha(original)
    assert Path(undone.backup).read_bytes() == path.read_bytes()  # the undo backed up what it overwrote
    redone = undo(pid, config=config)
    assert redone.status.value == "replaced" and sandbox.photo_bytes(pid) == path.read_bytes()


def test_undo_without_a_backup_fails_no_backup(sandbox, config, photo):
    _, pid, original = photo
    result = undo(pid, config=config)
    assert result.status.value == "failed" and reason(result) == "no_backup" and result.source == "backup"
    assert uploads(sandbox) == [] and sandbox.photo_bytes(pid) == original


def test_history_lists_every_entry_newest_first_with_the_bytes_sent(sandbox, cli_env, photo, make_jpeg):
    path, pid, original = photo
    assert cli(["replace", str(path), "--photo-id", pid, "--json"], cli_env).returncode == 0
    second = make_jpeg("export2.jpg")
    assert cli(["replace", str(second), "--photo-id", pid], cli_env).returncode == 0
    undone = cli(["undo", pid, "--json"], cli_env)
    assert undone.returncode == 0 and json.loads(undone.stdout)["source"] == "backup"
    ran = cli(["history", pid, "--json"], cli_env)
    entries = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [e["command"] for e in entries] == ["undo", "replace", "replace"]
    assert [e["sha256"] for e in entries] == [sha(path), sha(second), sha(path)]
    assert all(e["status"] == "replaced" and e["photo_id"] == pid for e in entries)
    assert set(entries[0]) == {"time", "path", "photo_id", "status", "sha256", "backup", "previous", "secret",
                               "originalsecret", "command", "original"}
    assert entries[0]["secret"] == sandbox.photo(pid).secret and entries[0]["time"].endswith("Z")
    assert Path(entries[2]["backup"]).read_bytes() == original
    assert [json.loads(x)["command"] for x in cli(["history", "--json", "--limit", "1"], cli_env).stdout.splitlines()] == ["undo"]
    by_path = cli(["history", str(second), "--json"], cli_env).stdout.splitlines()
    assert [json.loads(x)["sha256"] for x in by_path] == [sha(second)]


def test_a_file_rewritten_mid_upload_never_leaves_a_mixture(sandbox, config, tmp_path):
    """The exporter rewrites the file in place while it is being sent: Flickr ends with the old original."""
    big = tmp_path / "big.jpg"
    versions = []
    for n, brightness in enumerate((1.0, 1.1, 1.2)):
        data = _jpeg(sample_photo((1200, 800)), brightness)
        versions.append(data + bytes([n]) * (3_000_000 - len(data)))  # 3 MB: several blocks of 1 MiB
    pid = sandbox.add_photo(versions[0], filename="big.jpg")
    big.write_bytes(versions[1])
    rewritten = []

    def progress(path: str, sent: int, size: int) -> None:
        if 0 < sent < size and not rewritten:  # a block is out: the rest comes from the new version
            with open(big, "r+b") as fh:
                fh.write(versions[2])
            rewritten.append(sent)

    result = replace(str(big), photo_id=pid, config=config, async_=False, progress=progress)
    assert rewritten and result.status.value == "failed" and reason(result) == "changed_while_sending"
    assert "put back" in result.error.message
    assert sandbox.photo_bytes(pid) in (versions[0], versions[2])  # never the mixture Flickr was sent
    assert sandbox.photo_bytes(pid) == versions[0]


def test_a_file_changed_between_attempts_is_not_sent_again(sandbox, config, photo):
    path, pid, original = photo
    sandbox.faults.push("drop_before_body")
    calls = []

    def progress(p: str, sent: int, size: int) -> None:
        if sent == 0 and calls:  # the retry starts: the exporter wrote a new version meanwhile
            path.write_bytes(path.read_bytes() + b"\0" * 10)
        calls.append(sent)

    result = replace(str(path), photo_id=pid, config=config, async_=False, progress=progress)
    assert reason(result) == "changed_while_sending" and sandbox.photo_bytes(pid) == original


def test_the_journal_shows_an_upload_killed_in_flight(sandbox, cli_env, photo, tmp_path):
    path, pid, _ = photo
    sandbox.faults.push("slow", seconds=60, scope="replace")
    started = Started(["replace", str(path), "--photo-id", pid, "--json"], cli_env, tmp_path / "out.txt")
    journal = tmp_path / "state" / "journal.sqlite"

    def in_flight() -> list:
        try:
            with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as db:
                return db.execute("SELECT photo_id, status, sha256, backup FROM entries").fetchall()
        except sqlite3.OperationalError:  # not created yet, or its table not yet committed
            return []

    # the backup downloads beside the upload: it is recorded (whole) before the body may end
    wait_until(lambda: bool(in_flight()) and in_flight()[0][3] is not None, what="the journal entry and its backup")
    started.proc.send_signal(signal.SIGKILL)
    started.proc.wait(30)
    [(photo_id, status, _, backup)] = in_flight()
    assert (photo_id, status) == (pid, "sending") and Path(backup).is_file()
    shown = json.loads(cli(["history", "--json"], cli_env).stdout)
    assert shown["status"] == "sending" and shown["photo_id"] == pid


def _jpeg(image, brightness: float) -> bytes:
    import io

    from PIL import ImageEnhance

    out = io.BytesIO()
    ImageEnhance.Brightness(image).enhance(brightness).save(out, "JPEG", quality=95)
    return out.getvalue()


def _photo_file(path: Path, name: str, size: tuple[int, int] = (480, 320)) -> Path:
    sample_photo(size, name).save(path, "JPEG", quality=90)
    return path


def test_a_different_picture_is_refused_with_its_distance_unless_forced(sandbox, config, tmp_path):
    pid = sandbox.add_photo(_photo_file(tmp_path / "coffee.jpg", "coffee").read_bytes())
    original = sandbox.photo_bytes(pid)
    wrong = _photo_file(tmp_path / "export.jpg", "astronaut")
    result = replace(str(wrong), photo_id=pid, config=config)
    assert reason(result) == "not_similar" and "distance" in result.error.message and "--force" in result.error.message
    assert whole_uploads(sandbox) == [] and sandbox.photo_bytes(pid) == original
    assert result.attempts == 0 and result.sha256 is None
    forced = replace(str(wrong), photo_id=pid, config=config, force=True)
    assert forced.status.value == "replaced" and any("--force" in w for w in forced.warnings)


def test_an_edit_of_the_same_picture_passes_and_a_new_crop_warns_of_notes(sandbox, config, tmp_path):
    pid = sandbox.add_photo(_photo_file(tmp_path / "first.jpg", "coffee", (600, 400)).read_bytes())
    same = replace(str(_photo_file(tmp_path / "export.jpg", "coffee", (300, 200))), photo_id=pid, config=config)
    assert same.status.value == "replaced" and same.warnings == [], same.error
    square = sample_photo((400, 400), "coffee")
    square.save(tmp_path / "square.jpg", "JPEG", quality=90)
    cropped = replace(str(tmp_path / "square.jpg"), photo_id=pid, config=config, force=True)
    assert cropped.status.value == "replaced" and any("notes" in w for w in cropped.warnings)


def test_a_file_that_cannot_be_decoded_is_sent_with_a_warning(sandbox, config, photo, tmp_path):
    _, pid, _ = photo
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 4000)  # a JPEG's signature, no picture
    result = replace(str(broken), photo_id=pid, config=config)
    assert result.status.value == "replaced" and any("could not be decoded" in w for w in result.warnings)


def test_the_callers_id_wins_over_the_files_own_with_a_warning(sandbox, config, photo, make_jpeg):
    path, pid, _ = photo
    other = sandbox.add_photo(make_jpeg("other.jpg").read_bytes())
    Path(f"{path}.flickr.yaml").write_text(f"photo_id: {other}\n")
    result = replace(str(path), photo_id=pid, config=config)
    assert result.status.value == "replaced" and sandbox.photo(pid).sha256 == sha(path)
    assert any(other in w and "caller wins" in w for w in result.warnings)


def test_a_ticket_finished_by_a_later_run_completes_its_journal_entry(sandbox, cli_env, photo):
    path, pid, _ = photo
    first = cli(["replace", str(path), "--photo-id", pid, "--no-wait", "--json"], cli_env)
    assert json.loads(first.stdout)["status"] == "pending"
    assert json.loads(cli(["history", "--json"], cli_env).stdout)["status"] == "pending"
    wait_until(lambda: sandbox.photo(pid).sha256 == sha(path), what="the ticket")
    finished = json.loads(cli(["tickets", "--json"], cli_env).stdout)
    assert finished["status"] == "replaced" and finished["sha256"] == sha(path) and finished["backup"]
    [entry] = [json.loads(x) for x in cli(["history", "--json"], cli_env).stdout.splitlines()]
    assert entry["status"] == "replaced" and entry["secret"] == sandbox.photo(pid).secret


def test_a_journal_that_cannot_be_written_sends_nothing_and_names_the_journal(sandbox, config, photo, tmp_path):
    path, pid, original = photo
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder should be\n")
    broken = config.with_(state_dir=str(blocker / "state"))
    result = replace(str(path), photo_id=pid, config=broken)
    assert reason(result) == "journal_failed" and result.error.origin.value == "local"
    assert "journal" in result.error.message and str(blocker) in result.error.message
    assert "cannot read" not in result.error.message  # the photo's file is fine: it is not blamed
    assert uploads(sandbox) == [] and sandbox.photo_bytes(pid) == original


def test_a_journal_that_cannot_be_read_is_named_by_history_and_undo(sandbox, config, photo, cli_env, tmp_path):
    _, pid, original = photo
    state = tmp_path / "state"
    (state / "journal.sqlite").mkdir(parents=True)  # there, but not a database
    [undone] = undo_many_ids([pid], config)
    assert reason(undone) == "journal_failed" and str(state / "journal.sqlite") in undone.error.message
    assert uploads(sandbox) == [] and sandbox.photo_bytes(pid) == original
    history = cli(["history"], {**cli_env, "FLICKR_REPLACE_STATE_DIR": str(state)})
    assert history.returncode == 1 and "the journal" in history.stderr and "flickr-replace paths" in history.stderr


def undo_many_ids(ids, config):
    from flickr_replace_plugin.undoing import undo_many

    return list(undo_many(ids, config=config))
