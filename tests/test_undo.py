"""Undo against the sandbox: it puts back only a backup as it was saved, and never skips a version."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clirun import cli
from conftest import sample_photo
from flickr_replace_plugin import replace, undo
from flickr_replace_plugin.config import Config
from flickr_replace_plugin.sandbox import Sandbox
from test_safety import config, reason, uploads  # noqa: F401  (config is a fixture)


@pytest.fixture
def versions(sandbox: Sandbox, make_jpeg):
    """A photo holding v1 and two later exports of it: (photo id, [v1, v2, v3] as bytes, [v2, v3] as paths)."""
    v1 = make_jpeg("v1.jpg").read_bytes()
    paths = [make_jpeg("v2.jpg"), make_jpeg("v3.jpg")]
    return sandbox.add_photo(v1, filename="v1.jpg"), [v1, *(p.read_bytes() for p in paths)], paths


def replaced(path: Path, pid: str, config: Config, **options) -> None:
    result = replace(str(path), photo_id=pid, config=config, **options)
    assert result.status.value == "replaced", result.error


def rotated_in_place(path: Path) -> None:
    """What an image viewer's "rotate" does: the same file name, the picture turned and saved again."""
    from PIL import Image

    with Image.open(path) as image:
        turned = image.rotate(90, expand=True)
    turned.save(path, "JPEG", quality=90)


def cut_in_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage", [cut_in_half, rotated_in_place], ids=["cut", "rotated"])
def test_a_backup_changed_since_it_was_saved_is_not_sent(sandbox, config, versions, damage):
    pid, (_, v2, _), (p2, _) = versions
    first = replace(str(p2), photo_id=pid, config=config)
    damage(Path(first.backup))
    sent = len(uploads(sandbox))
    result = undo(pid, config=config)
    assert result.status.value == "failed" and reason(result) == "backup_damaged", result.error
    assert first.backup in result.error.message and len(uploads(sandbox)) == sent and sandbox.photo_bytes(pid) == v2
    assert not any("--force" in w for w in result.warnings)


def test_undo_of_a_different_picture_says_nothing_of_a_force_nobody_gave(sandbox, config, tmp_path):
    sample_photo((480, 320), "coffee").save(tmp_path / "coffee.jpg", "JPEG", quality=90)
    sample_photo((480, 320), "astronaut").save(tmp_path / "wrong.jpg", "JPEG", quality=90)
    pid = sandbox.add_photo((tmp_path / "coffee.jpg").read_bytes())
    replaced(tmp_path / "wrong.jpg", pid, config, force=True)  # the wrong picture, forced: what undo is for
    result = undo(pid, config=config)
    assert result.status.value == "replaced", result.error
    assert sandbox.photo_bytes(pid) == (tmp_path / "coffee.jpg").read_bytes()
    assert not any("--force" in w for w in result.warnings), result.warnings


def test_undo_never_skips_a_version_sent_without_a_backup(sandbox, config, versions):
    pid, (_, v2, v3), (p2, p3) = versions
    replaced(p2, pid, config)
    before = sandbox.photo(pid)
    replaced(p3, pid, config, backup=False)
    sent = len(uploads(sandbox))
    result = undo(pid, config=config)
    assert result.status.value == "failed" and reason(result) == "no_backup", result.error
    assert str(p3) in result.error.message and before.originalsecret in result.error.message
    assert "--to" in result.error.message
    assert len(uploads(sandbox)) == sent and sandbox.photo_bytes(pid) == v3


def test_undo_backs_up_first_whatever_the_config_says(sandbox, config, versions):
    pid, (v1, v2, _), (p2, _) = versions
    replaced(p2, pid, config)
    result = undo(pid, config=config.with_(backup=False), backup=False)
    assert result.status.value == "replaced", result.error
    assert sandbox.photo_bytes(pid) == v1 and result.backup and Path(result.backup).read_bytes() == v2
    again = undo(pid, config=config.with_(backup=False))  # and so the undo itself can be undone
    assert again.status.value == "replaced" and sandbox.photo_bytes(pid) == v2, again.error


def test_undo_to_a_time_from_history_puts_back_that_sends_backup(sandbox, cli_env, versions):
    pid, (v1, _, v3), (p2, p3) = versions
    for path in (p2, p3):
        assert cli(["replace", str(path), "--photo-id", pid], cli_env).returncode == 0
    shown = cli(["history", pid], cli_env).stdout.splitlines()
    first_time = shown[-1].split()[0]  # the oldest entry: the replace that overwrote v1
    ran = cli(["undo", pid, "--to", first_time, "--json"], cli_env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert json.loads(ran.stdout)["status"] == "replaced" and sandbox.photo_bytes(pid) == v1
    assert Path(json.loads(ran.stdout)["backup"]).read_bytes() == v3  # what it overwrote is kept
    missing = cli(["undo", pid, "--to", "1999-01-01T00:00:00Z", "--json"], cli_env)
    assert missing.returncode == 1 and json.loads(missing.stdout)["error"]["reason"] == "no_backup"
    unreadable = cli(["undo", pid, "--to", "yesterday"], cli_env)  # not a time at all: the command line is wrong
    assert unreadable.returncode == 2 and "history" in unreadable.stderr and not unreadable.stdout


def test_undo_to_accepts_the_entrys_full_iso_time(sandbox, cli_env, versions):
    pid, (_, v2, _), (p2, p3) = versions
    for path in (p2, p3):
        assert cli(["replace", str(path), "--photo-id", pid], cli_env).returncode == 0
    entries = [json.loads(x) for x in cli(["history", pid, "--json"], cli_env).stdout.splitlines()]
    ran = cli(["undo", pid, "--to", entries[0]["time"]], cli_env)
    assert ran.returncode == 0 and sandbox.photo_bytes(pid) == v2, ran.stdout + ran.stderr


def test_a_second_undo_says_it_puts_back_what_the_first_undo_overwrote(sandbox, config, versions):
    pid, (v1, v2, _), (p2, _) = versions
    replaced(p2, pid, config)
    first = undo(pid, config=config)
    assert first.status.value == "replaced" and sandbox.photo_bytes(pid) == v1
    second = undo(pid, config=config)
    assert second.status.value == "replaced" and sandbox.photo_bytes(pid) == v2, second.error
    entry = [e for e in _history(config, pid) if e["command"] == "undo"][-1]  # the first undo's
    note = " ".join(second.warnings)
    assert "undo" in note and entry["time"] in note and first.backup in note, second.warnings


def test_undo_finds_backups_moved_with_backup_dir(sandbox, config, versions, tmp_path):
    pid, (v1, _, _), (p2, _) = versions
    replaced(p2, pid, config)
    shutil.move(str(tmp_path / "backups"), str(tmp_path / "moved"))
    result = undo(pid, config=config.with_(backup_dir=str(tmp_path / "moved")))
    assert result.status.value == "replaced" and sandbox.photo_bytes(pid) == v1, result.error


def test_a_photo_replaced_on_the_website_since_is_undone_with_a_warning_naming_its_backup(sandbox, config,
                                                                                          versions, make_jpeg):
    pid, (v1, _, _), (p2, _) = versions
    replaced(p2, pid, config)
    web = make_jpeg("web.jpg").read_bytes()
    sandbox.replace_outside(pid, web)
    result = undo(pid, config=config)
    assert result.status.value == "replaced" and sandbox.photo_bytes(pid) == v1, result.error
    assert Path(result.backup).read_bytes() == web
    assert any("outside" in w and result.backup in w for w in result.warnings), result.warnings


def test_a_file_sent_again_after_a_replace_on_the_website_is_not_skipped(sandbox, config, versions, make_jpeg):
    pid, (_, v2, _), (p2, _) = versions
    replaced(p2, pid, config)
    sandbox.replace_outside(pid, make_jpeg("web.jpg").read_bytes())
    again = replace(str(p2), photo_id=pid, config=config)
    assert again.status.value == "replaced" and sandbox.photo_bytes(pid) == v2, again.error


def _history(config: Config, pid: str) -> list[dict]:
    from flickr_replace_plugin.safety.journal import Journal

    return Journal(config.state_path).entries([pid])


def test_a_file_sent_again_while_its_last_sends_secrets_are_unknown_is_not_skipped(sandbox, config, versions):
    pid, (_, v2, _), (p2, _) = versions
    first = replace(str(p2), photo_id=pid, config=config, wait=False)  # a ticket: no secrets recorded yet
    assert first.status.value == "pending", first.error
    again = replace(str(p2), photo_id=pid, config=config)
    assert again.status.value == "replaced" and sandbox.photo_bytes(pid) == v2, again.error


def test_the_record_beside_a_backup_is_checked_too_and_a_backup_with_none_is_not_sent(sandbox, config, versions):
    import sqlite3

    pid, (_, v2, _), (p2, _) = versions
    backup = Path(replace(str(p2), photo_id=pid, config=config).backup)
    with sqlite3.connect(Path(config.state_path) / "journal.sqlite") as db:  # as an older journal: no record
        db.execute("UPDATE entries SET backup_bytes = NULL, backup_sha256 = NULL")
    saved = backup.read_bytes()
    cut_in_half(backup)
    assert reason(undo(pid, config=config)) == "backup_damaged"  # UTCSTAMP.json's record alone tells
    backup.write_bytes(saved)
    beside = backup.parent / f"{backup.name.split('_', 1)[0]}.json"
    beside.write_text(json.dumps({"photo": json.loads(beside.read_text())["photo"]}))  # as an earlier version wrote
    sent = len(uploads(sandbox))
    result = undo(pid, config=config)
    assert reason(result) == "backup_damaged" and "recorded" in result.error.message, result.error
    assert len(uploads(sandbox)) == sent and sandbox.photo_bytes(pid) == v2
