"""`watch`: an export folder whose images are replaced once they stop changing."""
from __future__ import annotations

import hashlib
import json
import signal
import threading
import time
from pathlib import Path

import pytest

from clirun import Started, cli, wait_until
from pictures import encode, photo

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
    assert "pending tickets are saved" in ran.stderr
    [result] = ran.results()
    assert (result["status"], result["photo_id"]) == ("replaced", pid)
    [sent] = replaces(sandbox)  # one replace for 25 writes, none for the file there before
    assert sandbox.photo_bytes(pid) == data
    assert result["sha256"] in (None, hashlib.sha256(data).hexdigest())
    assert sent


def test_watch_refuses_what_is_not_a_folder(cli_env, tmp_path):
    ran = cli(["watch", str(tmp_path / "nope")], cli_env)
    assert ran.returncode == 2 and "not a folder" in ran.stderr
