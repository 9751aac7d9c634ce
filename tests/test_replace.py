"""The replace core end to end against the sandbox: what arrived, what was signed, what a host reads."""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

import pytest

from clirun import RESULT_KEYS, cli, on_a_terminal
from flickr_replace_plugin import replace, replace_many
from flickr_replace_plugin.config import Config
from flickr_replace_plugin.errors import ConfigError


@pytest.fixture
def config(sandbox, tmp_path) -> Config:
    return Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), backup_dir=str(tmp_path / "backups"), backoff=0.01, timeout=30,
                  **sandbox.credentials)


@pytest.fixture
def photo(sandbox, make_jpeg):
    """A photo on the sandbox and a new export of it: (path of the export, photo id)."""
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes(), filename="first.jpg")
    return make_jpeg("export.jpg"), pid


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def replace_requests(sandbox) -> list[dict]:
    return [r for r in sandbox.requests if r["path"].startswith("/services/replace")]




def test_sync_replace_sends_signed_fields_and_exact_bytes(sandbox, config, photo):
    path, pid = photo
    result = replace(str(path), photo_id=pid, async_=False, config=config)
    assert result.status.value == "replaced", result.error
    stored = sandbox.photo(pid)
    assert stored.sha256 == sha(path) and stored.replacements == 1
    assert (result.secret, result.originalsecret) == (stored.secret, stored.originalsecret)
    assert result.attempts == 1 and result.bytes == path.stat().st_size and result.source == "argument"
    [req] = replace_requests(sandbox)
    assert req["fields"]["photo_id"] == pid and req["fields"]["async"] == "0"
    assert {"photo_id", "async"} <= set(req["signed_params"]) and "photo" not in req["signed_params"]
    assert req["photo_filename"] == path.name and req["auth_in"] == "header"


def test_async_replace_waits_for_ticket_and_fetches_new_secrets(sandbox, config, photo):
    path, pid = photo
    old_secret = sandbox.photo(pid).secret
    result = replace(str(path), photo_id=pid, config=config)
    assert result.status.value == "replaced"
    assert isinstance(result.ticket_id, str) and "-" in result.ticket_id
    assert result.secret == sandbox.photo(pid).secret != old_secret
    assert replace_requests(sandbox)[0]["fields"]["async"] == "1"
    assert sandbox.rest_calls("flickr.photos.getInfo") == 2  # the target checked before; the new secrets after


def test_utf8_file_name_survives_signing_and_multipart(sandbox, config, photo, tmp_path):
    path, pid = photo
    named = tmp_path / "Ærøskøbing – été 東京.jpg"
    named.write_bytes(path.read_bytes())
    result = replace(str(named), photo_id=pid, async_=False, config=config)
    assert result.status.value == "replaced", result.error
    assert replace_requests(sandbox)[0]["photo_filename"] == named.name


def test_each_file_is_resolved_once_in_a_batch_and_alone(sandbox, config, make_jpeg):
    """The plugins' find_photo_id sees each file once per run: the batch's look before any upload
    is the one the file's own replace uses."""
    from flickr_replace_plugin import hookimpl
    from flickr_replace_plugin.plugins import Plugins

    asked: list[str] = []

    class Counting:
        @hookimpl
        def find_photo_id(self, path):
            asked.append(path)

    plugins = Plugins()
    plugins.pm.register(Counting(), name="counting")
    paths = []
    for n in range(2):
        path = make_jpeg(f"once-{n}.jpg")
        Path(f"{path}.flickr.yaml").write_text(f'photo_id: "{sandbox.add_photo(make_jpeg(f"was-{n}.jpg").read_bytes())}"\n')
        paths.append(str(path))
    results = list(replace_many(paths, config=config, plugins=plugins, async_=False))
    assert [r.status.value for r in results] == ["replaced", "replaced"], results
    assert sorted(asked) == sorted(paths)
    asked.clear()
    again = replace(paths[0], config=config, plugins=plugins, async_=False, force=True)  # the same bytes again
    assert again.status.value == "replaced", again.error
    assert asked == [paths[0]]


def test_batch_polls_all_tickets_in_one_call(sandbox, config, make_jpeg):
    items = {}
    for n in range(4):
        path = make_jpeg(f"export-{n}.jpg")
        items[str(path)] = sandbox.add_photo(make_jpeg(f"old-{n}.jpg").read_bytes())
        Path(f"{path}.flickr.yaml").write_text(f'photo_id: "{items[str(path)]}"\n')
    results = list(replace_many(list(items), jobs=4, config=config))
    assert sorted(r.path for r in results) == sorted(items)
    assert all(r.status.value == "replaced" and r.source.startswith("sidecar:") for r in results), results
    checks = [r for r in sandbox.requests if r.get("rest_method") == "flickr.photos.upload.checkTickets"]
    assert any(len(r["fields"]["tickets"].split(",")) == 4 for r in checks)
    assert len(checks) < 4 * 2
    for path, pid in items.items():
        assert sandbox.photo(pid).sha256 == sha(path)


@pytest.mark.parametrize("fault, code, attempts, status", [
    ({"kind": "error", "code": 105, "count": 2}, None, 3, "replaced"),
    ({"kind": "error", "code": 106, "count": 1}, None, 2, "replaced"),
    ({"kind": "http", "status": 502, "count": 2}, None, 3, "replaced"),
    ({"kind": "drop_after_body", "count": 1}, None, 2, "replaced"),
    ({"kind": "error", "code": 5, "count": 1}, 5, 1, "failed"),
    ({"kind": "error", "code": 1, "count": 1}, 1, 1, "failed"),
    ({"kind": "error", "code": 8, "count": 1}, 8, 1, "failed"),
    ({"kind": "http", "status": 500, "count": 9}, None, 4, "failed"),
])
def test_flickr_answers_map_to_results_and_retries(sandbox, config, photo, fault, code, attempts, status):
    path, pid = photo
    fault = dict(fault)
    sandbox.faults.push(fault.pop("kind"), scope="replace", **fault)
    result = replace(str(path), photo_id=pid, async_=False, config=config)
    assert (result.status.value, result.attempts) == (status, attempts), result.error
    assert len(replace_requests(sandbox)) == attempts
    if status == "failed":
        assert result.error.code == code
        assert result.error.origin == ("network" if code is None else "flickr")
    else:
        assert sandbox.photo(pid).sha256 == sha(path)


@pytest.mark.parametrize("change, code", [
    ({"api_secret": "not-the-secret"}, 96),
    ({"oauth_token": "72157000000000000-0000000000000000"}, 98),
    ({"api_key": "0" * 32}, 100),
])
def test_wrong_credentials_are_flickr_codes(sandbox, config, photo, change, code):
    path, pid = photo
    result = replace(str(path), photo_id=pid, config=config.with_(**change))
    assert result.status.value == "failed" and result.error.code == code and not result.error.retryable
    assert sandbox.photo(pid).replacements == 0


def test_preflight_refusals_send_nothing(sandbox, config, photo, tmp_path):
    _, pid = photo
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    video = tmp_path / "clip.jpg"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    missing = tmp_path / "gone.jpg"
    results = {Path(r.path).name: r for r in replace_many([empty, text, video, missing, tmp_path], photo_id=pid,
                                                          config=config)}
    assert results["empty.jpg"].error.code == 4
    assert results["notes.jpg"].error.code == 5
    assert results["clip.jpg"].error.code == 8
    assert "no such file" in results["gone.jpg"].error.message
    assert "directory" in results[tmp_path.name].error.message
    assert all(r.status.value == "failed" and r.error.origin == "local" and r.attempts == 0 for r in results.values())
    assert replace_requests(sandbox) == []


def test_file_over_the_account_limit_is_not_sent(tmp_path, make_jpeg):
    from flickr_replace_plugin.sandbox import Sandbox

    path = make_jpeg("big.jpg")
    with Sandbox(data_dir=tmp_path / "sb", port=0, max_bytes=path.stat().st_size - 1) as sb:
        pid = sb.add_photo(make_jpeg("old.jpg").read_bytes())
        cfg = Config(base_url=sb.base_url, state_dir=str(tmp_path / "st"), backup_dir=str(tmp_path / "backups"),
                     **sb.credentials)
        result = replace(str(path), photo_id=pid, config=cfg)
        assert result.error.code == 6 and result.attempts == 0
        assert not [r for r in sb.requests if r["path"].startswith("/services/replace")]
        assert sb.rest_calls("flickr.people.getUploadStatus") == 1


def test_missing_credentials_raise_config_error(tmp_path, photo):
    path, pid = photo
    with pytest.raises(ConfigError):
        replace(str(path), photo_id=pid, config=Config(state_dir=str(tmp_path)))


# -- the command line ---------------------------------------------------------------------------------

def test_cli_json_is_one_object_per_path_and_exit_status(sandbox, cli_env, photo, tmp_path):
    path, pid = photo
    missing = tmp_path / "missing.jpg"
    proc = cli(["replace", str(path), str(missing), "--photo-id", pid, "--json"], cli_env)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 1, proc.stderr
    assert len(lines) == 2
    by_path = {d["path"]: d for d in map(json.loads, lines)}
    assert by_path[str(path)]["status"] == "replaced"
    assert by_path[str(missing)]["status"] == "failed"
    assert set(by_path[str(path)]) == RESULT_KEYS
    assert by_path[str(missing)]["error"]["reason"] == "no_file"
    assert "Traceback" not in proc.stderr


def test_cli_no_wait_then_tickets_finishes_later(sandbox, cli_env, photo):
    path, pid = photo
    first = cli(["replace", str(path), "--photo-id", pid, "--no-wait", "--json"], cli_env)
    assert first.returncode == 0, first.stderr
    pending = json.loads(first.stdout)
    assert pending["status"] == "pending" and pending["ticket_id"]
    later = cli(["tickets", "--json"], cli_env)
    assert later.returncode == 0, later.stderr
    done = json.loads(later.stdout)
    assert (done["status"], done["ticket_id"], done["path"]) == ("replaced", pending["ticket_id"], str(path))
    assert sandbox.photo(pid).sha256 == sha(path)
    again = cli(["tickets", "--json"], cli_env)
    assert again.stdout == "" and again.returncode == 0


def test_cli_refuses_plain_http_off_loopback(cli_env, photo):
    path, pid = photo
    env = dict(cli_env, FLICKR_REPLACE_BASE_URL="http://flickr.example.com")
    proc = cli(["replace", str(path), "--photo-id", pid], env)
    assert proc.returncode == 2 and "SSL is required" in proc.stderr and proc.stdout == ""
    assert "Traceback" not in proc.stderr


def test_cli_usage_errors_exit_2(cli_env):
    proc = cli(["replace"], cli_env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_cli_verbose_log_masks_every_secret(sandbox, cli_env, photo):
    path, pid = photo
    proc = cli(["replace", str(path), "--photo-id", pid, "-vv"], cli_env)
    assert proc.returncode == 0, proc.stderr
    assert "checkTickets" in proc.stderr  # it did log the run
    for secret in (sandbox.credentials["api_secret"], sandbox.credentials["oauth_token_secret"]):
        assert secret not in proc.stderr + proc.stdout
    signatures = re.findall(r'oauth_signature=(?:%22|")?([^&",\s]*)', proc.stderr)
    assert signatures and set(signatures) == {"***"}


def test_cli_dry_run_sends_nothing(sandbox, cli_env, photo):
    path, pid = photo
    proc = cli(["replace", str(path), "--photo-id", pid, "--dry-run", "--json"], cli_env)
    assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "dry-run"
    assert replace_requests(sandbox) == []


def test_demo_runs_with_nothing_configured(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLICKR_")}
    env["HOME"] = str(tmp_path)
    env["FLICKR_REPLACE_STATE_DIR"] = str(tmp_path / "state")
    proc = cli(["demo"], env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "replaced" and result["source"] == "sidecar:sunset.jpg.xmp"
    assert "edited bytes: yes" in proc.stderr


def test_file_still_being_written_goes_whole_not_cut_short(sandbox, config, photo):
    """A host may still be appending to the export after our checks: what is sent is the file as opened."""
    from flickr_replace_plugin.hookspecs import hookimpl
    from flickr_replace_plugin.plugins import Plugins

    path, pid = photo

    class StillWriting:
        @hookimpl
        def before_replace(self, path):
            with open(path, "ab") as fh:
                fh.write(b"\x00" * 5000)

    plugins = Plugins()
    plugins.pm.register(StillWriting(), name="still-writing")
    result = replace(str(path), photo_id=pid, async_=False, config=config, plugins=plugins)
    assert result.status.value == "replaced", result.error
    assert sandbox.photo(pid).sha256 == sha(path)


def test_record_writes_the_id_beside_the_file_for_the_next_export(sandbox, cli_env, photo):
    path, pid = photo
    before = sha(path)
    first = cli(["replace", str(path), "--photo-id", pid, "--record", "--json"], cli_env)
    assert first.returncode == 0 and json.loads(first.stdout)["source"] == "argument"
    sidecar = Path(f"{path}.flickr.yaml")
    assert sidecar.exists() and pid in sidecar.read_text()
    assert sha(path) == before  # the image itself is never touched
    again = cli(["replace", str(path), "--json", "--force"], cli_env)  # the same bytes: --force sends them
    assert json.loads(again.stdout)["source"] == f"sidecar:{sidecar.name}"
    assert sandbox.photo(pid).replacements == 2


def test_without_record_nothing_is_written(sandbox, cli_env, photo):
    path, pid = photo
    assert cli(["replace", str(path), "--photo-id", pid], cli_env).returncode == 0
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name)) == [path.name]


def test_status_shows_the_account_limits(sandbox, cli_env):
    proc = cli(["status"], cli_env)
    assert proc.returncode == 0
    assert "largest photo: 200 MB" in proc.stdout


@pytest.mark.parametrize("count, unit", [(1, "B"), (3, "file")])
def test_progress_bar_goes_to_a_terminal_stderr_and_never_into_json(sandbox, cli_env, make_jpeg, count, unit):
    paths = []
    for n in range(count):
        path = make_jpeg(f"bar-{n}.jpg", size=(800, 600))
        Path(f"{path}.flickr.yaml").write_text(f'photo_id: "{sandbox.add_photo(make_jpeg(f"o-{n}.jpg").read_bytes())}"\n')
        paths.append(str(path))
    returncode, stdout, seen = on_a_terminal(["replace", *paths, "--json", "--sync"], cli_env)
    assert returncode == 0
    assert [json.loads(line)["status"] for line in stdout.splitlines()] == ["replaced"] * count
    assert unit.encode() in seen and b"%" in seen


def test_resolve_names_a_missing_file_as_missing(cli_env, tmp_path):
    proc = cli(["resolve", str(tmp_path / "gone.jpg"), "--json"], cli_env)
    assert proc.returncode == 1
    error = json.loads(proc.stdout)["error"]
    assert error["reason"] == "no_file" and error["message"].startswith(f"no such file: {tmp_path / 'gone.jpg'}")


OPENED: list[str] | None = None  # while a list: every path this process opens


def _record_opens(event: str, args: tuple) -> None:
    if event == "open" and OPENED is not None and isinstance(args[0], (str, bytes)):
        OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_record_opens)  # audit hooks stay for the process: this one records only when asked


def test_a_file_is_opened_once_for_its_checks_its_metadata_and_its_upload(sandbox, config, make_jpeg):
    """Sidecar id, embedded XMP read, pre-flight and upload: one open of the photo itself, so the
    bytes checked are the bytes sent."""
    global OPENED
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes())
    path = make_jpeg("export.jpg")
    Path(f"{path}.flickr.yaml").write_text(f"photo_id: {pid}\n")
    OPENED = []
    try:
        result = replace(str(path), async_=False, config=config)
    finally:
        opened, OPENED = OPENED, None
    assert result.status.value == "replaced" and result.source == "sidecar:export.jpg.flickr.yaml", result.error
    assert sandbox.photo(pid).sha256 == sha(path)
    assert [p for p in opened if Path(p) == path] == [str(path)]
