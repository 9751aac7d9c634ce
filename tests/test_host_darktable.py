"""darktable end to end: the Lua glue in real darktable, exporting into the sandbox.

darktable-cli runs the `intermediate-export-image` route; the GUI under xvfb-run runs the export
target "Flickr (replace existing)". Each darktable run takes a second or three.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parent.parent
GLUE = ROOT / "hooks" / "darktable" / "flickr_replace.lua"
STORAGE = "flickr_replace"  # the glue's register_storage plugin name
# A source name that breaks any shell command built from it without quoting.
HOSTILE = "l'été \"$(touch pwned)\" `touch pwned` 東京 & x"

pytestmark = pytest.mark.skipif(
    shutil.which("darktable-cli") is None,
    reason="darktable is not installed (apt-get install darktable xvfb xauth)",
)
needs_gui = pytest.mark.skipif(
    shutil.which("darktable") is None or shutil.which("xvfb-run") is None,
    reason="darktable's GUI needs darktable, xvfb and xauth (apt-get install darktable xvfb xauth)",
)


def lua_string(text: str) -> str:
    """A Lua string literal for any text: every byte but letters and digits as a 3-digit escape."""
    return '"' + "".join(chr(b) if chr(b).isalnum() and b < 128 else f"\\{b:03d}" for b in text.encode()) + '"'


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replace_requests(sandbox) -> list[dict]:
    return [r for r in sandbox.requests if r["path"].startswith("/services/replace")]


def xmp_with_subjects(*subjects: str) -> str:
    items = "".join(f"<rdf:li>{s}</rdf:li>" for s in subjects)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>\n"
    )


@pytest.fixture
def dt(tmp_path, cli_env) -> SimpleNamespace:
    """A darktable of our own: its dirs, an environment that reaches the Flickr sandbox, and a
    `flickr-replace` in a directory whose name needs quoting, set in the glue's preference."""
    tools = tmp_path / "my \"tools\" $(touch pwned)"
    tools.mkdir()
    command = tools / "flickr-replace"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m flickr_replace_plugin "$@"\n')
    command.chmod(0o755)
    darktable = SimpleNamespace(
        config=tmp_path / "dtconfig", cache=tmp_path / "dtcache", tmp=tmp_path / "dttmp",
        work=tmp_path / "work",  # the current directory: where `$(touch pwned)` would land
        command=command,
        # TMPDIR: where darktable writes a backtrace when it crashes, as 4.2 sometimes does on quit
        env=dict(cli_env, TMPDIR=str(tmp_path),
                 PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), cli_env.get("PYTHONPATH")]))),
    )
    for d in (darktable.config, darktable.cache, darktable.tmp, darktable.work):
        d.mkdir()
    (darktable.config / "luarc").touch()  # or darktable logs a LUA ERROR for its absence
    set_prefs(darktable, executable=str(command), mode="async")
    return darktable


def set_prefs(dt, **values: str) -> None:
    """The glue's preferences, in the darktablerc that both darktable and darktable-cli read."""
    lines = [f"lua/{STORAGE}/{key}={value}\n" for key, value in values.items()]
    (dt.config / "darktablerc").write_text("".join(lines))


@pytest.fixture
def pid(sandbox, make_jpeg) -> str:
    """A photo already on the (sandbox) Flickr."""
    return sandbox.add_photo(make_jpeg("on-flickr.jpg").read_bytes(), filename="on-flickr.jpg")


def assert_not_pwned(tmp_path: Path) -> None:
    assert not [p for p in tmp_path.rglob("pwned*") if p.is_file()], "a file name ran as a shell command"


def run_cli(dt, source: Path, output: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["darktable-cli", str(source), str(output), "--core", "-d", "lua",
         "--configdir", str(dt.config), "--cachedir", str(dt.cache), "--library", ":memory:",
         "--luacmd", f"dofile({lua_string(str(GLUE))})"],
        cwd=dt.work, env=dt.env, capture_output=True, text=True, timeout=120,
    )


# darktable-cli: the intermediate-export-image route -----------------------------------------


def one_replace(proc, sandbox, pid: str, async_: str, says: str) -> dict:
    """darktable-cli ran cleanly, said `says`, and sent exactly one replace of `pid` in that mode."""
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert says in log
    [req] = replace_requests(sandbox)
    assert req["fields"]["photo_id"] == pid and req["fields"]["async"] == async_
    return req


def test_cli_export_replaces_the_photo_named_by_the_source_tag(dt, sandbox, pid, make_jpeg, tmp_path):
    source = make_jpeg("IMG_0001.jpg", size=(80, 60))
    # darktable reads the sidecar's tags into its library: the tag is how the glue knows the photo
    Path(f"{source}.xmp").write_text(xmp_with_subjects(f"flickr:photo_id={pid}", "holiday"))
    out = tmp_path / "export.jpg"

    proc = run_cli(dt, source, out)

    req = one_replace(proc, sandbox, pid, "1", f"Flickr: IMG_0001.jpg replaced photo {pid} (id from darktable tag)")
    # darktable-cli's output is the file it was asked for: sent whole, and kept
    assert out.is_file() and sandbox.photo(pid).sha256 == sha(out) == req["photo_sha256"]


def test_cli_hostile_names_reach_flickr_replace_as_plain_arguments(dt, sandbox, pid, make_jpeg, tmp_path):
    # no tag: the id comes from the source's name (Flickr's account-export pattern) via --original
    source = make_jpeg(f"{HOSTILE}_{pid}_o.jpg", directory=tmp_path / "src dir 'x'")
    out = tmp_path / "out $HOME" / f"{HOSTILE}.jpg"
    out.parent.mkdir()
    set_prefs(dt, executable=str(dt.command), mode="sync")

    proc = run_cli(dt, source, out)

    req = one_replace(proc, sandbox, pid, "0", f"replaced photo {pid} (id from filename)")
    assert req["photo_filename"] == out.name and sandbox.photo(pid).sha256 == sha(out)
    assert_not_pwned(tmp_path)


def test_cli_unknown_photo_is_refused_before_sending_with_its_message(dt, sandbox, make_jpeg, tmp_path):
    source = make_jpeg("IMG_0004.jpg")
    Path(f"{source}.xmp").write_text(xmp_with_subjects("flickr:id=999999"))
    set_prefs(dt)  # no preference: found on PATH
    dt.env["PATH"] = os.pathsep.join([str(dt.command.parent), dt.env.get("PATH", "")])

    proc = run_cli(dt, source, tmp_path / "export.jpg")

    assert ("Flickr: IMG_0004.jpg failed photo 999999 (id from darktable tag): photo 999999 is not on Flickr"
            in proc.stdout)
    assert not [r for r in sandbox.requests if r["path"].startswith("/services/replace")]  # checked, not sent


def test_cli_configuration_error_is_reported_from_stderr(dt, sandbox, pid, make_jpeg, tmp_path):
    source = make_jpeg("IMG_0005.jpg")
    Path(f"{source}.xmp").write_text(xmp_with_subjects(f"flickr:photo_id={pid}"))
    dt.env = {k: v for k, v in dt.env.items() if not k.startswith("FLICKR_API")}

    proc = run_cli(dt, source, tmp_path / "export.jpg")

    [line] = [line for line in proc.stdout.splitlines() if line.startswith("Flickr: IMG_0005.jpg")]
    assert line.startswith("Flickr: IMG_0005.jpg failed: flickr-replace exited with 2: "), proc.stdout
    assert replace_requests(sandbox) == []


def test_cli_tags_naming_two_photos_send_nothing(dt, sandbox, make_jpeg, tmp_path):
    source = make_jpeg("IMG_0002.jpg")
    Path(f"{source}.xmp").write_text(xmp_with_subjects("flickr:photo_id=111", "flickr:id=222"))

    proc = run_cli(dt, source, tmp_path / "export.jpg")

    assert "IMG_0002.jpg failed: its tags name different photos (111, 222)" in proc.stdout
    assert replace_requests(sandbox) == []


def test_cli_missing_flickr_replace_is_reported(dt, sandbox, make_jpeg, tmp_path):
    set_prefs(dt, executable=str(tmp_path / "nowhere" / "flickr-replace"))

    proc = run_cli(dt, make_jpeg("IMG_0003.jpg"), tmp_path / "export.jpg")

    assert proc.returncode == 0
    assert "Flickr: flickr-replace not found" in proc.stdout
    assert sandbox.requests == []


# The GUI: the "Flickr (replace existing)" export target ---------------------------------------


DRIVER_PRELUDE = """
local dt = require "darktable"
print("DRIVER started")
local function wait_for(path)  -- the test watches the log, then says it saw what it waited for with a file
  for _ = 1, 600 do
    local done = io.open(path, "r")
    if done then done:close() return end
    dt.control.sleep(100)
  end
end
"""
Batch = list[tuple[Path, "str | None"]]  # the images of one export, each with the tag it is given
FINISHED = re.compile(r"LUA Flickr: [^\n]*|LUA ERROR|DRIVER ERROR")  # the toast at an export's end
Report = tuple[str, dict[str, tuple[str, str]]]  # an export's toast, and the module's list: name -> (status, message)


def export_reports(log: str) -> list[Report]:
    """What each export ended with: its short toast, and the module's line per image."""
    reports: list[list] = []
    for line in log.splitlines():
        listed = re.search(r"LUA Flickr module: (.*)", line)
        toast = re.search(r"LUA (Flickr: .*)", line)
        if listed and listed.group(1).startswith("last "):
            reports.append(["", {}])
        elif listed and reports:
            name, rest = listed.group(1).split(": ", 1)
            status, _sep, message = rest.partition(" - ")
            reports[-1][1][name] = (status, message)
        elif toast and reports and not reports[-1][0]:
            reports[-1][0] = toast.group(1)
    return [(toast, listed) for toast, listed in reports]
CRASHED = re.compile(r"double free|free\(\)|corrupted|Segmentation fault|SIGSEGV|backtrace", re.IGNORECASE)


def run_gui_export(dt, source: Path, tag: str | None = None, more: Batch = ()) -> str:
    """One export of `source` (and `more`) in darktable's GUI; darktable must quit normally."""
    return run_gui_batches(dt, [[(source, tag), *more]])


def run_gui_batches(dt, batches: list[Batch], conf: list[str] = ()) -> str:
    """In ONE darktable GUI session, export each batch with our target chosen, waiting for the
    glue's summary before the next, then quit; returns darktable's output once it has quit with
    exit status 0 and no sign of a crash (a host that dies loses the user's edits).

    darktable 4.2 under Xvfb now and then deadlocks while starting, before any script runs (about
    one start in thirty); such a start is killed and tried once more."""
    driver = dt.work.parent / "driver.lua"
    done = [dt.work.parent / f"export-finished-{n}" for n in range(len(batches))]
    steps = "".join(_driver_batch(batch, finished) for batch, finished in zip(batches, done))
    driver.write_text(DRIVER_PRELUDE + f"""local function export(images)
  local ok, err = pcall(function()
    dt.gui.selection(images)
    dt.gui.action("lib/export/export", 0, "", "", 1.0)
  end)
  if not ok then print("DRIVER ERROR " .. tostring(err)) end
end
local ok, err = pcall(dofile, {lua_string(str(GLUE))})
if not ok then print("DRIVER ERROR " .. tostring(err)) end
{steps}dt.gui.action("global/quit", 0, "", "", 1.0)
""")
    log = run_driver(dt, driver, done, FINISHED, conf=[f"plugins/lighttable/export/storage_name={STORAGE}",
                                                      "write_sidecar_files=never", *conf])
    assert len(FINISHED.findall(log)) == len(batches), log
    return log


def run_driver(dt, driver: Path, done: list[Path], finished: re.Pattern, conf: list[str],
               on_step: Callable[[int], None] | None = None, quit_within: float = 20) -> str:
    """Run darktable's GUI with `driver` as its --luacmd; each time the log shows one more match of
    `finished`, `on_step(n)` runs and done[n] is created for the driver to go on. darktable must
    quit normally (exit status 0, no sign of a crash): a host that dies loses the user's edits."""
    command = [
        # stdbuf: darktable block-buffers its log into a pipe, and the summary must arrive while it runs
        "stdbuf", "-oL", "xvfb-run", "-a", "darktable", "-d", "lua",
        "--configdir", str(dt.config), "--cachedir", str(dt.cache), "--tmpdir", str(dt.tmp),
        "--library", ":memory:", *(arg for item in conf for arg in ("--conf", item)),
        "--luacmd", f"dofile({lua_string(str(driver))})",
    ]
    for _attempt in range(2):
        for finished_file in done:
            finished_file.unlink(missing_ok=True)
        log, status = run_until(command, dt, done, started="DRIVER started", finished=finished,
                                on_step=on_step, quit_within=quit_within)
        if "DRIVER started" in log:
            break
        for lock in dt.config.glob("*.lock"):  # the killed start's, or the next refuses to open
            lock.unlink()
    assert "DRIVER started" in log, f"darktable hung while starting, twice:\n{log[-3000:]}"
    assert status == 0 and not CRASHED.search(log), f"darktable did not quit normally (exit status {status}):\n{log[-3000:]}"
    assert not list(dt.work.parent.glob("darktable_bt_*")), "darktable wrote a crash backtrace"
    return log


def _driver_batch(batch: Batch, finished: Path) -> str:
    """The driver's lines for one batch: import (and tag) its images, export them, wait."""
    imports = "".join(
        f"  images[#images + 1] = dt.database.import({lua_string(str(path))})\n"
        + (f"  dt.tags.attach(dt.tags.create({lua_string(label)}), images[#images])\n" if label else "")
        for path, label in batch)
    return f"do\n  local images = {{}}\n{imports}  export(images)\n  wait_for({lua_string(str(finished))})\nend\n"


def run_until(command: list[str], dt, done: list[Path], started: str, finished: re.Pattern = FINISHED,
              on_step: Callable[[int], None] | None = None, quit_within: float = 20) -> tuple[str, int | None]:
    """Run darktable; each time its output shows one more glue summary (or an error), create the
    next of `done` for the driver to go on. Gives up when `started` is missing after 20 s or a
    batch took 60 s; then, and when darktable does not quit within 20 s, kills it.
    Returns the output and darktable's exit status (None when it was killed)."""
    proc = subprocess.Popen(command, cwd=dt.work, env=dt.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace", start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    status: int | None = None
    began = time.monotonic()
    try:
        told = 0
        while proc.poll() is None and told < len(done):
            seen = "".join(lines)
            waited = time.monotonic() - began
            if waited > 20 and started not in seen:
                return seen, None  # a start that hung: killed below, no driver to tell
            if len(finished.findall(seen)) > told or waited > 60:
                if on_step:
                    on_step(told)
                done[told].touch()
                told, began = told + 1, time.monotonic()
            time.sleep(0.1)
        for finished in done:  # darktable died early, or a batch never finished: let the driver quit
            finished.touch()
        status = proc.wait(timeout=quit_within)
    except subprocess.TimeoutExpired:
        pass  # killed below; the assertions on the log say what was missing
    finally:
        if proc.poll() is None:
            # SIGTERM first: Xvfb removes its display lock then; darktable ignores it, so SIGKILL
            os.killpg(proc.pid, signal.SIGTERM)
            time.sleep(1)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        reader.join(timeout=5)
    return "".join(lines), status


@needs_gui
def test_gui_export_target_replaces_tagged_photo_and_removes_temp_export(dt, sandbox, pid, make_jpeg):
    from PIL import Image

    source = make_jpeg("DSC_0042.jpg", size=(96, 64))

    log = run_gui_export(dt, source, tag=f"flickr:photo_id={pid}")

    assert export_reports(log) == [("Flickr: 1 replaced", {"DSC_0042.jpg": ("replaced", f"photo {pid}")})], log
    [req] = replace_requests(sandbox)
    assert req["fields"]["photo_id"] == pid
    stored = sandbox.photo(pid)
    assert stored.replacements == 1 and stored.sha256 == req["photo_sha256"]
    with Image.open(stored.data_path) as sent:  # darktable's export of the source, not a copy of it
        assert sent.format == "JPEG" and sent.size == (96, 64)
    assert stored.sha256 != sha(source)
    assert list(dt.tmp.glob("*.jpg")) == [], "the temporary export was left behind"


@needs_gui
def test_gui_export_of_hostile_name_replaces_photo_from_the_original(dt, sandbox, pid, make_jpeg, tmp_path):
    # darktable names the temporary export after the source, so both names passed are hostile
    source = make_jpeg(f"{HOSTILE}_{pid}_o.jpg", directory=tmp_path / "src dir 'x'")

    log = run_gui_export(dt, source)

    [(_toast, listed)] = export_reports(log)
    assert listed == {source.name: ("replaced", f"photo {pid}")}, log
    [req] = replace_requests(sandbox)
    assert req["fields"]["photo_id"] == pid and req["photo_filename"] == source.name
    assert sandbox.photo(pid).replacements == 1
    assert list(dt.tmp.glob("*.jpg")) == []
    assert_not_pwned(tmp_path)


@needs_gui
def test_gui_several_batches_in_one_session_and_darktable_quits_normally(dt, sandbox, make_jpeg):
    # darktable 4.2 freed the export job's image list twice when the target's initialize returned
    # a table: it crashed at the first or a later batch, or on quit, never on a single export
    photos = {n: sandbox.add_photo(make_jpeg(f"flickr-{n}.jpg").read_bytes(), filename=f"flickr-{n}.jpg")
              for n in range(4)}
    images = {n: make_jpeg(f"DSC_01{n}.jpg", size=(96, 64)) for n in range(4)}

    def tagged(*ns: int) -> Batch:
        return [(images[n], f"flickr:photo_id={photos[n]}") for n in ns]

    log = run_gui_batches(dt, [tagged(0), tagged(1, 2), tagged(3)])

    assert [toast for toast, _listed in export_reports(log)] == ["Flickr: 1 replaced", "Flickr: 2 replaced",
                                                                "Flickr: 1 replaced"], log
    assert [sandbox.photo(photos[n]).replacements for n in range(4)] == [1, 1, 1, 1]
    assert list(dt.tmp.rglob("*")) == [], "a temporary export (or a file beside it) was left behind"


@needs_gui
def test_gui_missing_tool_in_several_batches_removes_the_exports(dt, sandbox, make_jpeg, tmp_path):
    set_prefs(dt, executable=str(tmp_path / "nowhere" / "flickr-replace"))
    batches = [[(make_jpeg(f"DSC_02{n}{m}.jpg"), None) for m in range(n + 1)] for n in range(3)]

    log = run_gui_batches(dt, batches)

    assert log.count("Flickr: flickr-replace not found") == 3, log
    assert sandbox.requests == []
    assert list(dt.tmp.rglob("*")) == [], "the exports nobody sent were left in darktable's temporary folder"


# The whole loop: upload what is not on Flickr yet, tag it, replace it next time -------------------


def run_cli_library(dt, source: Path, output: Path, library: Path) -> subprocess.CompletedProcess:
    """darktable-cli with a library file, so what the glue tags stays in darktable's database."""
    return subprocess.run(
        ["darktable-cli", str(source), str(output), "--core", "-d", "lua",
         "--configdir", str(dt.config), "--cachedir", str(dt.cache), "--library", str(library),
         "--conf", "write_sidecar_files=never",
         "--luacmd", f"dofile({lua_string(str(GLUE))})"],
        cwd=dt.work, env=dt.env, capture_output=True, text=True, timeout=120,
    )


def library_tags(dt, library: Path, filename: str) -> list[str]:
    """The tags darktable's library holds for the image, read with sqlite3 (data.db has the names)."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(library)) as db:
        db.execute("ATTACH DATABASE ? AS data", (str(dt.config / "data.db"),))
        rows = db.execute("SELECT t.name FROM main.images i JOIN main.tagged_images ti ON ti.imgid = i.id "
                          "JOIN data.tags t ON t.id = ti.tagid WHERE i.filename = ?", (filename,)).fetchall()
    return sorted(name for (name,) in rows if not name.startswith("darktable|"))


def upload_requests(sandbox) -> list[dict]:
    return [r for r in sandbox.requests if r["path"].startswith("/services/upload")]


def test_cli_upload_missing_uploads_tags_and_the_next_export_replaces(dt, sandbox, make_jpeg, tmp_path):
    source = make_jpeg("IMG_0100.jpg", size=(80, 60))
    library = tmp_path / "library.db"
    set_prefs(dt, executable=str(dt.command), mode="async", upload_missing="TRUE")

    first = run_cli_library(dt, source, tmp_path / "first.jpg", library)

    [upload] = upload_requests(sandbox)
    [line] = [line for line in first.stdout.splitlines() if line.startswith("Flickr: IMG_0100.jpg")]
    new_id = re.search(r"uploaded photo (\d+)", line).group(1)
    assert sandbox.photo(new_id).is_public == 0 and upload["fields"]["title"] == "IMG_0100"
    assert library_tags(dt, library, "IMG_0100.jpg") == [f"flickr:photo_id={new_id}"]
    sandbox.clear_requests()

    second = run_cli_library(dt, source, tmp_path / "second.jpg", library)

    assert f"Flickr: IMG_0100.jpg replaced photo {new_id} (id from darktable tag)" in second.stdout, second.stdout
    assert upload_requests(sandbox) == [] and len(replace_requests(sandbox)) == 1


def test_cli_without_upload_missing_the_summary_says_what_to_do(dt, sandbox, make_jpeg, tmp_path):
    proc = run_cli(dt, make_jpeg("IMG_0101.jpg"), tmp_path / "export.jpg")

    assert "IMG_0101.jpg: no Flickr id: tag the image flickr:photo_id=N, or turn on uploading missing images" \
        in proc.stdout, proc.stdout
    assert "0 replaced, 0 uploaded, 0 pending, 0 skipped, 1 failed" in proc.stdout
    assert sandbox.requests == [] or upload_requests(sandbox) == []


@needs_gui
def test_gui_batch_is_one_run_and_its_summary_names_each_failed_image(dt, sandbox, pid, make_jpeg, tmp_path):
    runs = tmp_path / "runs.log"
    dt.command.write_text(f'#!/bin/sh\necho run >> "{runs}"\nexec "{sys.executable}" -m flickr_replace_plugin "$@"\n')
    other = sandbox.add_photo(make_jpeg("second-on-flickr.jpg").read_bytes(), filename="second-on-flickr.jpg")
    tagged = make_jpeg("DSC_0001.jpg", size=(96, 64))
    tagged_too = make_jpeg("DSC_0002.jpg", size=(96, 64))
    untagged = make_jpeg("DSC_0003.jpg", size=(96, 64))
    # untagged, their ids in the source image's sidecars (which darktable does not import as tags)
    by_xmp = make_jpeg("DSC_0004.jpg", size=(96, 64), directory=tmp_path / "src dir 'x'")
    in_xmp = sandbox.add_photo(make_jpeg("third.jpg").read_bytes(), filename="third.jpg")
    (by_xmp.parent / "DSC_0004.xmp").write_text(xmp_with_subjects(f"flickr:photo_id={in_xmp}"))
    by_own = make_jpeg("DSC_0005.jpg", size=(96, 64))
    in_own = sandbox.add_photo(make_jpeg("fourth.jpg").read_bytes(), filename="fourth.jpg")
    Path(f"{by_own}.flickr.yaml").write_text(f'photo_id: "{in_own}"\n')

    log = run_gui_export(dt, tagged, tag=f"flickr:photo_id={pid}",
                         more=[(tagged_too, f"flickr:photo_id={other}"), (untagged, None), (by_xmp, None), (by_own, None)])

    assert runs.read_text().count("run") == 1, log  # one run of the tool for the whole batch
    # the toast is short; the module lists each image, the one not sent with why in darktable's words
    [(toast, listed)] = export_reports(log)
    assert toast == "Flickr: 4 replaced, 1 not sent - see the Flickr module", log
    assert listed["DSC_0003.jpg"] == ("failed", 'it is not on Flickr yet: turn on "upload missing" in the Flickr '
                                                'module, or use "link" to find its photo')
    assert [status for status, _message in listed.values()].count("replaced") == 4
    assert {r["fields"]["photo_id"] for r in replace_requests(sandbox)} == {pid, other, in_xmp, in_own}
    assert sandbox.photo(in_xmp).replacements == 1 and sandbox.photo(in_own).replacements == 1
    assert [p.name for p in dt.tmp.iterdir() if p.suffix in (".jpg", ".yaml", ".json")] == []


@needs_gui
def test_gui_upload_records_the_id_on_the_source_and_nothing_in_darktables_temp_folder(dt, sandbox, make_jpeg, tmp_path):
    from pictures import export

    set_prefs(dt, executable=str(dt.command), mode="async", upload_missing="TRUE")
    unrelated = sandbox.add_photo(make_jpeg("unrelated.jpg").read_bytes(), filename="unrelated.jpg")
    # what an older version left beside darktable's temporary export of the same name
    stale = dt.tmp / "IMG_0200.jpg.flickr.yaml"
    stale.write_text(f'photo_id: "{unrelated}"\n')
    first = make_jpeg("IMG_0200.jpg", size=(96, 64), directory=tmp_path / "shoot-1")
    second = make_jpeg("IMG_0201.jpg", size=(64, 96), directory=tmp_path / "shoot-1")
    # another image that has the same file name, in another folder, not on Flickr
    namesake = export(tmp_path / "shoot-2" / "IMG_0200.jpg", "rocket")

    log = run_gui_batches(dt, [[(first, None), (second, None)], [(namesake, None)], [(first, None)]])

    reports = export_reports(log)
    assert reports[0][0] == "Flickr: 2 uploaded", log
    uploaded = {name: message.removeprefix("photo ") for name, (status, message) in reports[0][1].items()}
    first_id = uploaded["IMG_0200.jpg"]
    assert sandbox.photo(first_id).title == "IMG_0200" and unrelated not in uploaded.values()
    # the namesake replaced nothing: it is a photo of its own, or refused as looking like one
    assert reports[1][1]["IMG_0200.jpg"][0] in ("uploaded", "failed"), log
    assert reports[2] == ("Flickr: 1 replaced", {"IMG_0200.jpg": ("replaced", f"photo {first_id}")}), log
    assert sandbox.photo(unrelated).replacements == 0, "the stale id file in the temp folder was read"
    assert sandbox.photo(first_id).replacements == 1
    # each id is next to its source image (and in darktable's tag: the third batch replaced by it)
    for source in (first, second):
        assert Path(f"{source}.flickr.yaml").read_text() == f'photo_id: "{uploaded[source.name]}"\n'
    assert list(dt.tmp.rglob("*")) == [stale] and stale.read_text() == f'photo_id: "{unrelated}"\n'


# The lighttable module "Flickr": its actions called as a click calls them -------------------------

MODULE_STEP = re.compile(r"DRIVER step")


def run_gui_module(dt, body: str, steps: int = 0, on_step: Callable[[int], None] | None = None,
                   conf: list[str] = ()) -> str:
    """One darktable GUI session whose driver loads the glue as `fr` (what `require` returns), runs
    the Lua `body` (it may call `step(n)`: print "DRIVER step", wait until the test has seen it),
    and quits. `show(title, results)` prints each result as `RESULT title|name|status|reason|message`,
    `tags(title, image)` the image's tags as `TAGS title|a,b`."""
    driver = dt.work.parent / "module-driver.lua"
    done = [dt.work.parent / f"module-step-{n}" for n in range(steps)]
    driver.write_text(DRIVER_PRELUDE + f"""
local done = {{{", ".join(lua_string(str(d)) for d in done)}}}
local function step(n) print("DRIVER step " .. n) wait_for(done[n]) end
local function import(path, tag)
  local image = dt.database.import(path)
  if tag then dt.tags.attach(dt.tags.create(tag), image) end
  return image
end
local function show(title, results)
  for _, r in ipairs(results) do
    print(string.format("RESULT %s|%s|%s|%s|%s", title, r.name, r.status, tostring(r.reason), tostring(r.message)))
  end
end
local function tags(title, image)  -- prints the image's own tags (not darktable's) as `TAGS title|a,b`
  local names = {{}}
  for _, t in ipairs(image:get_tags()) do
    if not t.name:match("^darktable|") then names[#names + 1] = t.name end
  end
  table.sort(names)
  print(string.format("TAGS %s|%s", title, table.concat(names, ",")))
end
local loaded, fr = pcall(dofile, {lua_string(str(GLUE))})
if not loaded then print("DRIVER ERROR " .. tostring(fr)) end
local ok, err = pcall(function()
{body}
end)
if not ok then print("DRIVER ERROR " .. tostring(err)) end
print("DRIVER done")
dt.gui.action("global/quit", 0, "", "", 1.0)
""")
    log = run_driver(dt, driver, done, MODULE_STEP, conf=list(conf), on_step=on_step, quit_within=90)
    assert "DRIVER ERROR" not in log and "LUA ERROR" not in log and "DRIVER done" in log, log
    return log


def results_in(log: str, title: str) -> list[tuple[str, ...]]:
    return [tuple(line.split("|")[1:5]) for line in log.splitlines() if line.startswith(f"RESULT {title}|")]


def tags_in(log: str, title: str) -> list[str]:
    [line] = [line for line in log.splitlines() if line.startswith(f"TAGS {title}|")]
    return [t for t in line.split("|", 1)[1].split(",") if t]


def imports_lua(pairs: list[tuple[Path, "str | None"]]) -> str:
    """Lua lines importing each image into `images`, tagged `flickr:photo_id=ID` when an id is given."""
    return "  local images = {}\n" + "".join(
        f"  images[#images + 1] = import({lua_string(str(path))}"
        + (f", {lua_string('flickr:photo_id=' + pid)})\n" if pid else ")\n") for path, pid in pairs)


def screenshot_lua(path: Path) -> str:
    """Lua that saves the whole Xvfb screen to `path` (Pillow, in darktable's own display)."""
    grab = f"from PIL import ImageGrab; ImageGrab.grab(xdisplay=None).save({str(path)!r})"
    return f"os.execute({lua_string(shlex.quote(sys.executable) + ' -c ' + shlex.quote(grab))})\n"


@needs_gui
def test_gui_module_is_drawn_and_replaces_with_progress(dt, sandbox, make_jpeg, tmp_path):
    from PIL import Image, ImageStat

    photos = [sandbox.add_photo(make_jpeg(f"flickr-{n}.jpg").read_bytes(), filename=f"flickr-{n}.jpg") for n in range(2)]
    images = [make_jpeg(f"DSC_07{n}.jpg", size=(96, 64)) for n in range(2)]
    sandbox.ticket_delay = 1.0
    shot = tmp_path / "module.png"
    imports = "".join(f"  images[#images + 1] = import({lua_string(str(path))}, {lua_string('flickr:photo_id=' + pid)})\n"
                      for path, pid in zip(images, photos))
    # and one that is not on Flickr, with uploads off: not sent, and the module says why in its words
    imports += f"  images[#images + 1] = import({lua_string(str(make_jpeg('DSC_072.jpg', size=(96, 64))))})\n"

    log = run_gui_module(dt, f"""
  local images = {{}}
{imports}  dt.gui.libs.flickr_replace.expanded = true
  dt.gui.selection(images)
  show("replace", fr.actions.replace(images))
  dt.control.sleep(500)
  {screenshot_lua(shot)}
""")

    assert sorted(results_in(log, "replace")) == [
        ("DSC_070.jpg", "replaced", "nil", f"photo {photos[0]}"), ("DSC_071.jpg", "replaced", "nil", f"photo {photos[1]}"),
        ("DSC_072.jpg", "failed", "no_photo_id", 'it is not on Flickr yet: turn on "upload missing" in the Flickr module, '
         'or use "link" to find its photo')], log
    assert [sandbox.photo(pid).replacements for pid in photos] == [1, 1]
    # progress came per image and stage while the batch ran, before its report
    progress = re.findall(r"Flickr progress (\d+)%: ([^\n]*)", log.split("Flickr module: last replace:")[0])
    assert [p for p, _ in progress] == sorted((p for p, _ in progress), key=int) and len(progress) >= 4, log
    assert any("exporting DSC_070.jpg" in text for _, text in progress)
    assert any(text.startswith("DSC_07") and "(1 of 3)" in text for _, text in progress), progress
    # each image's stages, from the tool's stage stream while it ran
    texts = [text for _, text in progress]
    for words in ("checking DSC_070.jpg (1 of 3)", "Flickr is processing DSC_071.jpg (2 of 3)",
                  "bringing title, tags, date and place of DSC_070.jpg to Flickr (1 of 3)"):
        assert words in texts, (words, texts)
    assert any(re.fullmatch(r"sending DSC_070\.jpg: [\d.]+ of [\d.]+ MB \(1 of 3\)", t) for t in texts), texts
    assert "Flickr: 2 replaced, 1 not sent - see the Flickr module" in log
    assert list(dt.tmp.rglob("*")) == [], "the batch's exports were left in darktable's temporary folder"
    # the module is drawn in the right panel: its area is not one flat colour
    with Image.open(shot) as screen:
        width, height = screen.size
        panel = screen.convert("L").crop((int(width * 0.7), 0, int(width * 0.9), int(height * 0.35)))
        assert ImageStat.Stat(panel).stddev[0] > 10, "the right panel is blank"


@needs_gui
def test_gui_module_cancel_sends_nothing_more(dt, sandbox, make_jpeg):
    photos = [sandbox.add_photo(make_jpeg(f"flickr-{n}.jpg").read_bytes(), filename=f"flickr-{n}.jpg") for n in range(4)]
    images = [make_jpeg(f"DSC_08{n}.jpg", size=(96, 64)) for n in range(4)]
    sandbox.latency = 0.4  # every request takes a while: each file a couple of seconds
    imports = "".join(f"  images[#images + 1] = import({lua_string(str(path))}, {lua_string('flickr:photo_id=' + pid)})\n"
                      for path, pid in zip(images, photos))
    sent_at_cancel = []

    def once_the_first_is_sent(_n: int) -> None:
        deadline = time.monotonic() + 60
        while not replace_requests(sandbox) and time.monotonic() < deadline:
            time.sleep(0.05)
        sent_at_cancel.append(len(replace_requests(sandbox)))

    log = run_gui_module(dt, f"""
  local images = {{}}
{imports}  dt.control.dispatch(function()  -- what the job's cancel button does, once the first image is sent
    step(1)
    fr.actions.cancel()
  end)
  show("replace", fr.actions.replace(images))
  dt.gui.libs.flickr_replace.expanded = true
  dt.control.sleep(500)
  {screenshot_lua(dt.work.parent / "cancelled.png")}
""", steps=1, on_step=once_the_first_is_sent)

    results = results_in(log, "replace")
    assert sent_at_cancel == [1] and len(results) == 4, log
    time.sleep(1)
    assert len(replace_requests(sandbox)) == 1, "an image was sent after cancel"
    assert sum(sandbox.photo(pid).replacements for pid in photos) == 1
    skipped = [r for r in results if r[1] == "skipped"]
    assert len(skipped) >= 2 and all(r[2] == "interrupted" and r[3] == "not sent: the batch was cancelled" for r in skipped), results
    assert "not sent - see the Flickr module" in log


@needs_gui
def test_gui_module_undo_open_and_remove_id(dt, sandbox, pid, make_jpeg, tmp_path):
    before = sandbox.photo(pid).sha256
    opened = tmp_path / "opened.txt"
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for opener in ("xdg-open", "open"):  # what darktable would start the browser with
        (stubs / opener).write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{opened}"\n')
        (stubs / opener).chmod(0o755)
    dt.env["PATH"] = os.pathsep.join([str(stubs), dt.env["PATH"]])

    log = run_gui_module(dt, imports_lua([(make_jpeg("DSC_0300.jpg", size=(96, 64)), pid)]) + """
  show("replace", fr.actions.replace(images))
  show("undo", fr.actions.undo(images))
  show("open", fr.actions.open(images[1]))
  dt.control.sleep(1000)
  show("remove", fr.actions.remove_id(images))
  tags("removed", images[1])
  show("open-again", fr.actions.open(images[1]))
""")

    assert results_in(log, "replace") == [("DSC_0300.jpg", "replaced", "nil", f"photo {pid}")], log
    [(name, status, _reason, _message)] = results_in(log, "undo")
    assert (name, status) == ("DSC_0300.jpg", "replaced"), log
    assert sandbox.photo(pid).sha256 == before, "undo did not put the photo's previous picture back"
    assert opened.read_text() == f"https://www.flickr.com/photos/me/{pid}\n"
    assert results_in(log, "remove") == [("DSC_0300.jpg", "removed", "nil", f"no longer linked to photo {pid}")]
    assert tags_in(log, "removed") == []
    assert results_in(log, "open-again") == [("DSC_0300.jpg", "skipped", "no_id", 'it has no Flickr id: use "link" to find its photo')]


@needs_gui
def test_gui_module_link_tags_the_image_whose_export_is_on_flickr(dt, sandbox, make_jpeg, tmp_path):
    from pictures import export, jpeg_bytes, photo

    taken = "2022:07:14 08:30:05"
    on_flickr = sandbox.add_photo(jpeg_bytes(photo("coffee"), taken), "DSC_0101.jpg", title="DSC_0101")
    sandbox.add_photo(jpeg_bytes(photo("rocket"), taken), "IMG_0500.jpg", title="IMG_0500")
    source = export(tmp_path / "shoot" / "DSC_0101.jpg", "coffee", taken=taken, scale=1.0, brighter=1.0)
    stranger = export(tmp_path / "shoot" / "chelsea.jpg", "chelsea")

    log = run_gui_module(dt, imports_lua([(source, None), (stranger, None)]) + """
  show("link", fr.actions.link(images))
  tags("linked", images[1])
  tags("stranger", images[2])
  show("again", fr.actions.link({images[1]}))
""")

    assert sorted(results_in(log, "link")) == [
        ("DSC_0101.jpg", "linked", "nil", f"photo {on_flickr}"),
        ("chelsea.jpg", "unmatched", "nil", "no photo on Flickr matches it")], log
    assert tags_in(log, "linked") == [f"flickr:photo_id={on_flickr}"]
    assert tags_in(log, "stranger") == []
    assert results_in(log, "again") == [("DSC_0101.jpg", "already", "nil", f"photo {on_flickr}")]
    assert replace_requests(sandbox) == [] and upload_requests(sandbox) == []  # link sends no picture


@needs_gui
def test_gui_module_selects_the_images_edited_since_they_were_sent(dt, sandbox, make_jpeg):
    photos = [sandbox.add_photo(make_jpeg(f"flickr-{n}.jpg").read_bytes(), filename=f"flickr-{n}.jpg") for n in range(2)]
    images = [(make_jpeg(f"DSC_04{n}.jpg", size=(96, 64)), pid) for n, pid in enumerate(photos)]

    log = run_gui_module(dt, imports_lua(images) + """
  show("replace", fr.actions.replace(images))
  local function names(list)
    local out = {}
    for _, image in ipairs(list) do out[#out + 1] = image.filename end
    return table.concat(out, ",")
  end
  print("UNEDITED " .. names(fr.actions.select_changed()))
  -- an edit of the first: a style made from its history, applied to it again
  dt.styles.apply(dt.styles.create(images[1], "flickr-test-edit", "an edit"), images[1])
  local changed, results = fr.actions.select_changed()
  print("CHANGED " .. names(changed))
  print("SELECTED " .. names(dt.gui.selection()))
  show("changed", results)
""")

    assert [r[1] for r in results_in(log, "replace")] == ["replaced", "replaced"], log
    assert "UNEDITED \n" in log and "CHANGED DSC_040.jpg\n" in log and "SELECTED DSC_040.jpg\n" in log, log
    assert results_in(log, "changed") == [("DSC_040.jpg", "changed", "nil", "edited since it was last sent")]


@needs_gui
def test_gui_module_duplicate_with_its_sources_id_is_not_sent(dt, sandbox, pid, make_jpeg):
    log = run_gui_module(dt, imports_lua([(make_jpeg("DSC_0500.jpg", size=(96, 64)), pid)]) + """
  local copy = dt.database.duplicate(images[1])  -- ctrl+d: the copy has the source's tags
  tags("copy", copy)
  show("replace", fr.actions.replace({images[1], copy}))
""")

    assert tags_in(log, "copy") == [f"flickr:photo_id={pid}"], log
    assert sorted(results_in(log, "replace")) == [
        ("DSC_0500.jpg", "replaced", "nil", f"photo {pid}"),
        ("DSC_0500.jpg (version 1)", "failed", "duplicate_version",
         f'its Flickr id {pid} is also on DSC_0500.jpg: a duplicate carries its source\'s id; use "remove id" on one of them')], log
    assert sandbox.photo(pid).replacements == 1


@needs_gui
def test_gui_module_several_batches_in_one_session(dt, sandbox, make_jpeg):
    photos = [sandbox.add_photo(make_jpeg(f"flickr-{n}.jpg").read_bytes(), filename=f"flickr-{n}.jpg") for n in range(3)]
    images = [(make_jpeg(f"DSC_06{n}.jpg", size=(96, 64)), pid) for n, pid in enumerate(photos)]

    log = run_gui_module(dt, imports_lua(images) + """
  show("first", fr.actions.replace({images[1]}))
  show("second", fr.actions.replace({images[2], images[3]}))
  show("undo", fr.actions.undo({images[2]}))
  show("third", fr.actions.replace(images))
""")

    assert [r[1] for r in results_in(log, "first")] == ["replaced"], log
    assert [r[1] for r in results_in(log, "second")] == ["replaced", "replaced"], log
    assert [r[1] for r in results_in(log, "undo")] == ["replaced"], log
    assert [r[1] for r in results_in(log, "third")] == ["replaced"] * 3, log
    assert [sandbox.photo(pid).replacements for pid in photos] == [2, 3, 2]  # the undo is a replace too
    assert list(dt.tmp.rglob("*")) == [], "a batch's exports were left in darktable's temporary folder"


NO_METADATA_LINE = ("exported without title, description, tags, date or place: turn on the export module's "
                    "metadata preferences (EXIF data, metadata, geo tags, tags) to bring them to Flickr")


@needs_gui
def test_gui_export_says_once_a_session_that_the_exports_carry_no_metadata(dt, sandbox, make_jpeg):
    photos = [sandbox.add_photo(make_jpeg(f"flickr-{n}.jpg").read_bytes(), filename=f"flickr-{n}.jpg") for n in range(2)]
    images = [make_jpeg(f"DSC_09{n}.jpg", size=(96, 64)) for n in range(2)]

    # every metadata option of the export module off: the exports carry nothing for Flickr
    log = run_gui_batches(dt, [[(images[n], f"flickr:photo_id={photos[n]}")] for n in range(2)],
                          conf=["plugins/lighttable/export/metadata_flags=0"])

    assert [toast for toast, _listed in export_reports(log)] == [
        "Flickr: 1 replaced; exported without metadata - see the Flickr module", "Flickr: 1 replaced"], log
    assert log.count(NO_METADATA_LINE) == 1 and f"DSC_090.jpg was {NO_METADATA_LINE}" in log
    assert [sandbox.photo(pid).replacements for pid in photos] == [1, 1]
