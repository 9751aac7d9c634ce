"""The picture check's small image and the backup's original are asked at the addresses the
photo's last send through this tool left them, before getInfo answers: a head start whose bytes
count only when getInfo then names that very address."""
from __future__ import annotations

import json
from pathlib import Path

from clirun import cli
from pictures import export, jpeg_bytes, photo


def small_gets(sandbox) -> list[str]:
    return [r["path"] for r in sandbox.requests if r["method"] == "GET" and r["path"].endswith(("_n.jpg", "_t.jpg"))]


def replace(path, pid, cli_env, *extra, backup: bool = False):
    ran = cli(["replace", "--json", "--sync", *([] if backup else ["--no-backup"]), "--photo-id", pid, *extra,
               str(path)], cli_env)
    return ran, json.loads(ran.stdout.splitlines()[-1])


def backups_of(pid: str, home) -> dict[str, bytes]:
    """Every file in the photo's backup folder, by name."""
    return {p.name: p.read_bytes() for p in home.rglob("*") if p.is_file() and p.parent.name == pid}


def original_gets(sandbox) -> list[str]:
    return [r["path"] for r in sandbox.requests if r["method"] == "GET" and "_o." in r["path"]]


def test_a_photo_sent_before_is_fetched_once_at_the_address_its_last_send_left(sandbox, cli_env, tmp_path):
    pid = sandbox.seed(1, jpeg_bytes(photo("coffee")))[0]
    first = export(tmp_path / "first.jpg", "coffee")
    ran, result = replace(first, pid, cli_env)
    assert ran.returncode == 0 and result["status"] == "replaced", ran.stdout + ran.stderr
    second = export(tmp_path / "second.jpg", "coffee", brighter=1.3)
    sandbox.clear_requests()
    ran, result = replace(second, pid, cli_env)
    assert ran.returncode == 0 and result["status"] == "replaced", ran.stdout + ran.stderr
    # the guess was right (the secret the first replace got): one small image, not a second one after getInfo
    assert small_gets(sandbox) == [f"/{sandbox.photo(pid).server}/{pid}_{result['previous']['secret']}_n.jpg"]


def test_a_photo_replaced_on_the_website_since_is_compared_with_what_it_shows_now(sandbox, cli_env, tmp_path):
    """The guessed address is the old version's (the coffee cup); the photo now shows a rocket: the
    file, a coffee cup again, is refused, never compared with the picture the guess fetched."""
    pid = sandbox.seed(1, jpeg_bytes(photo("coffee")))[0]
    ran, result = replace(export(tmp_path / "cup.jpg", "coffee"), pid, cli_env)
    assert ran.returncode == 0 and result["status"] == "replaced", ran.stdout + ran.stderr
    guessed = f"{pid}_{result['secret']}_n.jpg"
    sandbox.replace_outside(pid, jpeg_bytes(photo("rocket")))
    now = sandbox.photo(pid).secret
    sandbox.clear_requests()
    ran, result = replace(export(tmp_path / "cup-again.jpg", "coffee", brighter=1.3), pid, cli_env)
    assert ran.returncode != 0 and result["status"] == "failed", ran.stdout + ran.stderr
    assert result["error"]["reason"] == "not_similar"
    fetched = small_gets(sandbox)
    assert any(path.endswith(guessed) for path in fetched), fetched  # the guess went out ...
    assert any(path.endswith(f"{pid}_{now}_n.jpg") for path in fetched), fetched  # ... and the real one too


def test_a_guess_counts_only_for_the_very_address_guessed():
    """A CDN may keep serving a replaced version's old address for a while: bytes fetched at the
    guessed address never answer for another one."""
    from concurrent.futures import Future
    import io

    from flickr_replace_plugin.pipeline.guess import Guessed

    fetched: Future = Future()
    fetched.set_result(b"the old version")
    asked: list[str] = []

    def download(url, into, max_bytes=None):
        asked.append(url)
        into.write(b"what the photo shows now")
        return 24

    fetch = Guessed("https://live.staticflickr.com/65535/5_old_n.jpg", fetched).or_else(download)
    now, then = io.BytesIO(), io.BytesIO()
    fetch("https://live.staticflickr.com/65535/5_new_n.jpg", now, 1 << 20)
    fetch("https://live.staticflickr.com/65535/5_old_n.jpg", then, 1 << 20)
    assert now.getvalue() == b"what the photo shows now" and then.getvalue() == b"the old version"
    assert asked == ["https://live.staticflickr.com/65535/5_new_n.jpg"]


def test_the_backup_of_a_photo_sent_before_is_the_version_sent_downloaded_once(sandbox, cli_env, tmp_path):
    pid = sandbox.seed(1, jpeg_bytes(photo("coffee")))[0]
    first = export(tmp_path / "first.jpg", "coffee")
    ran, result = replace(first, pid, cli_env, backup=True)
    assert ran.returncode == 0 and result["status"] == "replaced", ran.stdout + ran.stderr
    sandbox.clear_requests()
    ran, result = replace(export(tmp_path / "second.jpg", "coffee", brighter=1.3), pid, cli_env, backup=True)
    assert ran.returncode == 0 and result["status"] == "replaced", ran.stdout + ran.stderr
    assert len(original_gets(sandbox)) == 1, original_gets(sandbox)  # the guess, taken
    backup = Path(result["backup"])
    assert backup.read_bytes() == first.read_bytes()  # exactly the version the first replace sent
    record = json.loads((backup.parent / f"{backup.name.split('_', 1)[0]}.json").read_text())
    assert record["photo"].get("owner") and record["backup"]["size"] == first.stat().st_size  # getInfo's own answer
    assert len(backups_of(pid, tmp_path / "home")) == 4  # two backups, each with its record


def test_a_guessed_backup_of_a_version_replaced_on_the_website_since_is_not_kept(sandbox, cli_env, tmp_path):
    pid = sandbox.seed(1, jpeg_bytes(photo("coffee")))[0]
    ran, result = replace(export(tmp_path / "cup.jpg", "coffee"), pid, cli_env, backup=True)
    assert ran.returncode == 0 and result["status"] == "replaced", ran.stdout + ran.stderr
    web = jpeg_bytes(photo("rocket"))
    sandbox.replace_outside(pid, web)
    ran, result = replace(export(tmp_path / "rocket.jpg", "rocket"), pid, cli_env, backup=True)
    assert ran.returncode == 0 and result["status"] == "replaced", ran.stdout + ran.stderr
    assert Path(result["backup"]).read_bytes() == web  # what the photo showed, not the guessed version
    assert len(backups_of(pid, tmp_path / "home")) == 4  # nothing left of the guess


def test_a_refused_replace_leaves_no_guessed_backup(sandbox, cli_env, tmp_path):
    """getInfo says the photo is not there (while its files are still served): refused before the
    backup stage, so the original fetched at the guessed address is not kept either."""
    pid = sandbox.seed(1, jpeg_bytes(photo("coffee")))[0]
    ran, result = replace(export(tmp_path / "cup.jpg", "coffee"), pid, cli_env, backup=True)
    assert ran.returncode == 0 and result["status"] == "replaced", ran.stdout + ran.stderr
    kept = backups_of(pid, tmp_path / "home")
    sandbox.faults.push("rest_error", method="flickr.photos.getInfo", code=1)
    ran, result = replace(export(tmp_path / "cup-again.jpg", "coffee", brighter=1.3), pid, cli_env, backup=True)
    assert result["status"] == "failed", ran.stdout + ran.stderr
    assert backups_of(pid, tmp_path / "home") == kept


def test_a_download_a_killed_run_left_is_swept_once_a_day_old(sandbox, cli_env, tmp_path):
    """A run killed mid-download leaves a hidden `.part` file in the photo's backup folder: the next
    backup of that photo removes it once it is a day old, and leaves a fresh one (another run's) be."""
    import os
    import time

    pid = sandbox.seed(1, jpeg_bytes(photo("coffee")))[0]
    ran, result = replace(export(tmp_path / "cup.jpg", "coffee"), pid, cli_env, backup=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    folder = Path(result["backup"]).parent
    old, fresh = folder / ".20261101T000000000000Z_abc.jpg.x1.part", folder / ".20261207T000000000000Z_abc.jpg.x2.part"
    for part in (old, fresh):
        part.write_bytes(b"half an original")
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    ran, result = replace(export(tmp_path / "cup-2.jpg", "coffee", brighter=1.3), pid, cli_env, backup=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert not old.exists() and fresh.exists()
