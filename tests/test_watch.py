"""`watch`: an export folder whose images are replaced once they stop changing."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from clirun import Started, cli, wait_until
from flickr_replace_plugin.config import Config
from flickr_replace_plugin.core import replace_many
from flickr_replace_plugin.watch.loop import Stop, watch_batches
from flickr_replace_plugin.watch.results import watch_results
from pictures import encode, photo
from test_raw import RAWS

SETTLE = "3"  # far longer than the writer's pauses, so a busy machine cannot cut the file in two


def replaces(sandbox) -> list[dict]:
    return [r for r in sandbox.requests if r["path"].startswith("/services/replace")]


def trickle(path: Path, data: bytes, pieces: int = 25) -> None:
    """Write a file as an exporter does: opened, then written in pieces with pauses, then closed."""
    step = len(data) // pieces + 1
    with open(path, "wb") as fh:
        for start in range(0, len(data), step):
            fh.write(data[start:start + step])
            fh.flush()
            time.sleep(0.02)


@pytest.mark.parametrize("how", ["file-system events", "rescanning"])
def test_one_replace_per_settled_file_none_for_sidecars_and_temp_files(sandbox, cli_env, tmp_path, how):
    if how == "rescanning":  # where watchdog cannot be imported, the folder is rescanned instead
        shadow = tmp_path / "no-watchdog" / "watchdog"
        shadow.mkdir(parents=True)
        (shadow / "__init__.py").write_text("raise ImportError('not here')\n")
        cli_env = {**cli_env, "PYTHONPATH": str(shadow.parent)}
    folder = tmp_path / "exports"
    folder.mkdir()
    old_id = sandbox.add_photo(encode(photo("coffee")), "old.jpg")
    (folder / "old.jpg").write_bytes(encode(photo("coffee"), quality=70))  # there before: left alone
    Path(f"{folder / 'old.jpg'}.flickr.yaml").write_text(f'photo_id: "{old_id}"\n')
    pid = sandbox.add_photo(encode(photo("astronaut")), "astronaut.jpg")
    watcher = Started(["watch", "--json", "--settle", SETTLE, str(folder)], cli_env, tmp_path / "watch.out")
    wait_until(lambda: "watching" in watcher.err.read_text(), what="the watcher to start")
    assert how in watcher.err.read_text()
    (folder / "astronaut.jpg.flickr.yaml").write_text(f'photo_id: "{pid}"\n')  # the id, in a sidecar
    (folder / "astronaut.jpg.xmp").write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    (folder / ".astronaut.jpg.swp").write_bytes(b"junk")
    (folder / "astronaut.jpg.part").write_bytes(encode(photo("astronaut"))[:1000])
    data = encode(photo("astronaut"), quality=80)
    writer = threading.Thread(target=trickle, args=(folder / "astronaut.jpg", data))
    writer.start()
    writer.join()
    wait_until(lambda: watcher.lines(), timeout=60, what="a result line")
    wait_until(lambda: json.loads(watcher.lines()[0])["status"] != "pending", timeout=30)
    ran = watcher.finish(signal.SIGINT)
    assert ran.returncode == 130
    assert "interrupted" in ran.stderr and "ticket" not in ran.stderr  # none pending: none saved
    [result] = ran.results()
    assert (result["status"], result["photo_id"]) == ("replaced", pid)
    [sent] = replaces(sandbox)  # one replace for 25 writes, none for the file there before
    assert sandbox.photo_bytes(pid) == data
    assert result["sha256"] in (None, hashlib.sha256(data).hexdigest())
    assert sent


def test_watch_refuses_what_is_not_a_folder(cli_env, tmp_path):
    ran = cli(["watch", str(tmp_path / "nope")], cli_env)
    assert ran.returncode == 2 and "not a folder" in ran.stderr


def watching(folder: Path, cli_env, tmp_path: Path, *options: str) -> Started:
    watcher = Started(["watch", "--json", "--settle", "1", *options, str(folder)], cli_env, tmp_path / "watch.out")
    wait_until(lambda: "watching" in watcher.err.read_text(), what="the watcher to start")
    return watcher


def results(watcher: Started, count: int, timeout: float = 30) -> list[dict]:
    """The first `count` finished results (a pending one is followed by its final one)."""
    def final() -> list[dict]:
        return [r for r in map(json.loads, watcher.lines()) if r["status"] != "pending"]
    wait_until(lambda: len(final()) >= count, timeout=timeout, what=f"{count} result(s)")
    return final()


def test_a_writer_that_stalls_longer_than_settle_is_sent_once_whole(sandbox, cli_env, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    pid = sandbox.add_photo(encode(photo("astronaut")), "astronaut.jpg")
    (folder / "astronaut.jpg.flickr.yaml").write_text(f'photo_id: "{pid}"\n')
    watcher = watching(folder, cli_env, tmp_path)
    data = encode(photo("astronaut"), quality=80) + b"\x00" * 64  # some writers pad after the end marker
    with open(folder / "astronaut.jpg", "wb") as fh:
        fh.write(data[: len(data) // 2])
        fh.flush()
        time.sleep(3.5)  # the writer stalls: the half file holds still for far longer than --settle
        fh.write(data[len(data) // 2:])
    [result] = results(watcher, 1)
    time.sleep(1.5)  # no second replace follows
    ran = watcher.finish(signal.SIGINT)
    assert (result["status"], result["photo_id"]) == ("replaced", pid), result
    assert len(replaces(sandbox)) == 1, "a cut-off file was sent"
    assert sandbox.photo_bytes(pid) == data
    assert len(ran.results()) == 1


def test_a_file_that_stays_cut_off_gets_a_result_and_is_sent_once_finished(sandbox, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    pid = sandbox.add_photo(encode(photo("coffee")), "coffee.png")
    (folder / "coffee.png.flickr.yaml").write_text(f'photo_id: "{pid}"\n')
    config = Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), backup_dir=str(tmp_path / "backups"),
                    timeout=30, **sandbox.credentials)
    data = encode(photo("coffee"), "PNG")
    batches = watch_batches([str(folder)], recursive=False, settle=0.2, stall=1.0, stop=Stop())
    threading.Timer(0.5, (folder / "coffee.png").write_bytes, [data[:-40]]).start()  # the writer died
    sent = watch_results(batches, lambda paths: replace_many(paths, config=config))
    try:
        cut = next(sent)
        assert (cut.status.value, cut.error.reason) == ("failed", "incomplete")
        assert "IEND" in cut.error.message or "not a whole image" in cut.error.message
        assert not replaces(sandbox)
        with open(folder / "coffee.png", "ab") as fh:  # and it is finished after all
            fh.write(data[-40:])
        whole = next(sent)
    finally:
        batches.close()
    assert (whole.status.value, whole.photo_id) == ("replaced", pid), whole.error
    assert sandbox.photo_bytes(pid) == data


def test_a_re_export_with_the_same_size_and_time_stamp_is_seen_by_its_content(sandbox, cli_env, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    pid = sandbox.add_photo(encode(photo("chelsea")), "chelsea.jpg")
    (folder / "chelsea.jpg.flickr.yaml").write_text(f'photo_id: "{pid}"\n')
    first, second = (encode(photo("chelsea"), comment=f"export {n}".encode()) for n in (1, 2))
    assert len(first) == len(second) and first != second
    watcher = watching(folder, cli_env, tmp_path)
    path = folder / "chelsea.jpg"
    path.write_bytes(first)
    results(watcher, 1)
    stamp = os.stat(path)
    path.write_bytes(second)  # exported again, and the exporter stamps the old modification time
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    done = results(watcher, 2)
    watcher.finish(signal.SIGINT)
    assert [r["status"] for r in done] == ["replaced", "replaced"], done
    assert sandbox.photo_bytes(pid) == second


def test_a_raw_file_gets_a_result_and_advice_speaks_of_watch(sandbox, cli_env, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    watcher = watching(folder, cli_env, tmp_path)
    (folder / "IMG_1001.NEF").write_bytes(RAWS["NEF"])
    (folder / "IMG_1001.NEF.xmp").write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")  # a sidecar: no line
    (folder / "untagged.jpg").write_bytes(encode(photo("rocket")))
    done = {Path(r["path"]).name: r for r in results(watcher, 2)}
    time.sleep(1.5)
    ran = watcher.finish(signal.SIGINT)
    assert set(done) == {"IMG_1001.NEF", "untagged.jpg"} and len(ran.results()) == 2
    assert done["IMG_1001.NEF"]["error"]["reason"] == "raw"
    untagged = done["untagged.jpg"]["error"]
    assert untagged["reason"] == "no_photo_id"
    assert "--photo-id" not in untagged["message"]  # watch takes no --photo-id
    assert "link --write" in untagged["message"] and "--upload-missing" in untagged["message"]
    assert not replaces(sandbox)


def test_ctrl_c_says_tickets_are_saved_when_one_was_pending(sandbox, cli_env, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    pid = sandbox.add_photo(encode(photo("camera")), "camera.jpg")
    (folder / "camera.jpg.flickr.yaml").write_text(f'photo_id: "{pid}"\n')
    sandbox.ticket_delay = 3600.0
    watcher = watching(folder, cli_env, tmp_path)
    (folder / "camera.jpg").write_bytes(encode(photo("camera"), quality=75))
    wait_until(lambda: sandbox.rest_calls("flickr.photos.upload.checkTickets") >= 1, what="a ticket being polled")
    ran = watcher.finish(signal.SIGINT)
    assert ran.returncode == 130
    [result] = ran.results()
    assert result["status"] == "pending"
    assert "pending tickets are saved" in ran.stderr
