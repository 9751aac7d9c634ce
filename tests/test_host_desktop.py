"""The Open-With entry, the shell shim and the digiKam Batch Queue snippet, run for real against
the sandbox: the .desktop file through `gio launch`, the snippet the way digiKam runs it."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DESKTOP = ROOT / "hooks" / "desktop" / "flickr-replace.desktop"
SHIM = ROOT / "hooks" / "shell" / "flickr-replace-step"
BQM = ROOT / "hooks" / "shell" / "digikam-bqm.sh"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replace_requests(sandbox) -> list[dict]:
    return [r for r in sandbox.requests if r["path"].startswith("/services/replace")]


@pytest.fixture
def host_env(cli_env, tmp_path) -> dict[str, str]:
    """The sandbox's environment with `flickr-replace` and `flickr-replace-step` on PATH, as an
    installed flickr-replace would have them."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    command = bin_dir / "flickr-replace"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m flickr_replace_plugin "$@"\n')
    command.chmod(0o755)
    (bin_dir / SHIM.name).symlink_to(SHIM)
    return dict(cli_env, PATH=os.pathsep.join([str(bin_dir), cli_env.get("PATH", "")]),
                PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), cli_env.get("PYTHONPATH")])))


def wait_for(predicate, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


# The Open-With entry ---------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate is not installed (apt-get install desktop-file-utils)")
def test_desktop_entry_is_valid():
    proc = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("gio") is None, reason="gio is not installed (apt-get install libglib2.0-bin)")
def test_gio_launch_replaces_each_chosen_file(sandbox, make_jpeg, host_env, tmp_path):
    pids = [sandbox.add_photo(make_jpeg(f"first{n}.jpg").read_bytes(), filename=f"first{n}.jpg") for n in (1, 2)]
    # names a file manager hands over: spaces and non-ASCII, ids in Flickr's own naming patterns
    files = [make_jpeg(f"Été à Nîmes_{pids[0]}_o.jpg"), make_jpeg(f"{pids[1]}_0a1b2c3d4e_b.jpg")]

    proc = subprocess.run(["gio", "launch", str(DESKTOP), *map(str, files)], env=host_env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)

    assert proc.returncode == 0, proc.stderr
    # gio returns once the command started; the replaces finish in the background
    assert wait_for(lambda: all(sandbox.photo(pid).replacements == 1 for pid in pids)), sandbox.requests
    for pid, file in zip(pids, files):
        assert sandbox.photo(pid).sha256 == sha(file)
    assert sorted(r["fields"]["photo_id"] for r in replace_requests(sandbox)) == sorted(pids)


# The shell shim --------------------------------------------------------------------------------


def test_shim_runs_flickr_replace_with_arguments_unchanged(sandbox, make_jpeg, host_env):
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes(), filename="first.jpg")
    photo = make_jpeg("it's a \"$(test)\" photo.jpg")

    proc = subprocess.run([str(SHIM), "replace", "--json", "--photo-id", pid, str(photo)], env=host_env,
                          capture_output=True, text=True, timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert f'"photo_id": "{pid}"' in proc.stdout and '"status": "replaced"' in proc.stdout
    assert sandbox.photo(pid).sha256 == sha(photo)


def test_shim_falls_back_to_python_module(tmp_path):
    bin_dir = tmp_path / "only-python"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}

    proc = subprocess.run(["/bin/sh", str(SHIM), "--version"], env=env, capture_output=True, text=True, timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()


def test_shim_says_what_is_missing(tmp_path):
    env = {"PATH": str(tmp_path / "empty"), "HOME": str(tmp_path)}

    proc = subprocess.run(["/bin/sh", str(SHIM), "replace", "x.jpg"], env=env, capture_output=True, text=True)

    assert proc.returncode == 127  # digiKam shows this status as "Command not found"
    assert "flickr-replace is not on PATH" in proc.stderr and proc.stdout == ""


# The digiKam Batch Queue snippet ---------------------------------------------------------------


def run_like_digikam(snippet: str, input_path: Path, output_path: Path, env: dict[str, str], tagspath: str):
    """What digiKam's Custom Script tool does: paste each name, within double quotes, over its
    keyword, put the item's tags in TAGSPATH, and run the text with /bin/sh -c."""
    script = snippet.replace("$INPUT", f'"{input_path}"').replace("$OUTPUT", f'"{output_path}"')
    return subprocess.run(["/bin/sh", "-c", script], env=dict(env, TAGSPATH=tagspath, TITLE="", COMMENTS=""),
                          capture_output=True, text=True, timeout=60)


def test_bqm_snippet_replaces_photo_named_by_digikam_tag(sandbox, make_jpeg, host_env, tmp_path):
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes(), filename="first.jpg")
    album = tmp_path / "Album été"
    image = make_jpeg("DSC 0001.JPG", directory=album)
    output = album / "BatchTool-x1.digikamtempfile.JPG"

    proc = run_like_digikam(BQM.read_text(), image, output, host_env,
                            tagspath=f"Places;Places/France;Flickr/flickr:photo_id={pid}")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert output.read_bytes() == image.read_bytes()  # digiKam always expects its output file
    [req] = replace_requests(sandbox)
    assert req["fields"]["photo_id"] == pid and sandbox.photo(pid).sha256 == sha(output)


def test_bqm_snippet_without_tag_reads_the_received_image(sandbox, make_jpeg, host_env, tmp_path):
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes(), filename="first.jpg")
    image = make_jpeg(f"Holiday {pid}_{pid}_o.jpg", directory=tmp_path / "album")
    output = image.parent / "BatchTool-x2.digikamtempfile.jpg"

    proc = run_like_digikam(BQM.read_text(), image, output, host_env, tagspath="People;People/Ann")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "replaced" in proc.stdout
    [req] = replace_requests(sandbox)
    assert req["fields"]["photo_id"] == pid and req["photo_filename"] == output.name
