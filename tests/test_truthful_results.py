"""A result says what happened: the bytes Flickr received, who changed the photo, the photo it names."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from flickr_replace_plugin import replace
from flickr_replace_plugin.config import Config
from flickr_replace_plugin.plugins import Plugins
from flickr_replace_plugin.sandbox import Sandbox

SAMPLES = Path(__file__).parent / "plugins"


@pytest.fixture
def config(sandbox: Sandbox, tmp_path: Path) -> Config:
    return Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), backup_dir=str(tmp_path / "backups"),
                  backoff=0.01, timeout=30, **sandbox.credentials)


@pytest.fixture
def appender(monkeypatch) -> Plugins:
    """A before_replace plugin that appends 5,000 bytes to the export."""
    monkeypatch.syspath_prepend(str(SAMPLES))
    monkeypatch.setenv("SAMPLE_APPEND_BYTES", "5000")
    return Plugins(["sample_appender"], env={})


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_bytes_is_the_size_flickr_received_after_a_plugin_grew_the_file(sandbox, config, make_jpeg, appender):
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes())
    path = make_jpeg("export.jpg")
    before = path.stat().st_size
    result = replace(str(path), photo_id=pid, config=config, async_=False, plugins=appender)
    received = sandbox.photo_bytes(pid)
    assert result.status.value == "replaced", result.error
    assert len(received) == before + 5000 == path.stat().st_size
    assert (result.bytes, result.sha256) == (len(received), sha(received))
    [entry] = [e for e in _journal(config).entries([pid]) if e["command"] == "replace"]
    assert entry["sha256"] == sha(received)


def test_the_size_limit_applies_to_what_a_plugin_left_to_send(tmp_path, make_jpeg, appender):
    path = make_jpeg("export.jpg")
    with Sandbox(data_dir=tmp_path / "sb", port=0, max_bytes=path.stat().st_size + 1000) as sb:
        pid = sb.add_photo(make_jpeg("old.jpg").read_bytes())
        cfg = Config(base_url=sb.base_url, state_dir=str(tmp_path / "st"), backup_dir=str(tmp_path / "backups"),
                     **sb.credentials)
        result = replace(str(path), photo_id=pid, config=cfg, plugins=appender)
        assert result.status.value == "failed" and result.error.code == 6 and result.attempts == 0
        assert result.bytes == path.stat().st_size and str(result.bytes) in result.error.message
        assert not [r for r in sb.requests if r["path"].startswith("/services/replace")]


def _journal(config: Config):
    from flickr_replace_plugin.safety.journal import Journal

    return Journal(config.state_path)


def _rewritten_while_sent(sandbox: Sandbox, tmp_path: Path, then=None) -> tuple[str, Path, list[bytes], list]:
    """A 3 MB photo and its export, which the exporter rewrites in place once a block of it is out
    (then `then()` runs): (photo id, export, the three versions, the progress callback)."""
    import io

    from PIL import ImageEnhance

    from conftest import sample_photo

    versions = []
    for n, brightness in enumerate((1.0, 1.1, 1.2)):
        out = io.BytesIO()
        ImageEnhance.Brightness(sample_photo((1200, 800))).enhance(brightness).save(out, "JPEG", quality=95)
        versions.append(out.getvalue() + bytes([n]) * (3_000_000 - len(out.getvalue())))
    pid = sandbox.add_photo(versions[0], filename="big.jpg")
    big = tmp_path / "big.jpg"
    big.write_bytes(versions[1])
    rewritten: list[int] = []

    def progress(path: str, sent: int, size: int) -> None:
        if 0 < sent < size and not rewritten:
            with open(big, "r+b") as fh:
                fh.write(versions[2])
            rewritten.append(sent)
            if then is not None:
                then()

    return pid, big, versions, progress


def replaces(sandbox: Sandbox) -> list[dict]:
    return [r for r in sandbox.requests if r["path"].startswith("/services/replace")]


@pytest.mark.parametrize("put_back_fails_once", [False, True])
def test_a_put_back_after_a_mixed_body_is_flickrs_doing_and_every_upload_is_counted(sandbox, config, tmp_path,
                                                                                   put_back_fails_once):
    # the sandbox answers a request's fault once its body is in: the mixed body's 502, then the put-back's
    then = (lambda: sandbox.faults.push("http", 2, status=502, scope="replace")) if put_back_fails_once else None
    pid, big, versions, progress = _rewritten_while_sent(sandbox, tmp_path, then)
    result = replace(str(big), photo_id=pid, config=config, async_=False, progress=progress)
    assert result.status.value == "failed" and result.error.reason == "changed_while_sending"
    assert "put back" in result.error.message and sandbox.photo_bytes(pid) == versions[0]
    assert result.error.origin.value == "flickr"  # the mixed body and the backup both went to Flickr
    assert result.attempts == len(replaces(sandbox)) == (3 if put_back_fails_once else 2)
    [restore] = [e for e in _journal(config).entries([pid]) if e["command"] == "restore"]
    assert (restore["status"], restore["sha256"]) == ("replaced", sha(versions[0]))



# -- photo ids are numbers on Flickr's side -----------------------------------------------------------

def test_the_cli_refuses_a_photo_id_with_leading_zeros_and_sends_nothing(sandbox, cli_env, make_jpeg):
    from clirun import cli

    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes())
    before = sandbox.photo(pid).sha256
    ran = cli(["replace", str(make_jpeg("export.jpg")), "--photo-id", "000" + pid, "--json"], cli_env)
    assert ran.returncode == 2 and "leading zeros" in ran.stderr and f"({pid})" in ran.stderr
    assert replaces(sandbox) == [] and sandbox.photo(pid).sha256 == before


def test_the_api_refuses_a_padded_photo_id_rather_than_report_flickrs_answer_as_a_failure(sandbox, config, make_jpeg):
    """Flickr reads 000105 as photo 105; a caller padding an id is asked which photo it means."""
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes())
    before = sandbox.photo(pid).sha256
    result = replace(str(make_jpeg("export.jpg")), photo_id="000" + pid, config=config, async_=False,
                     verify=False, backup=False)
    assert (result.status.value, result.error.reason, result.error.origin.value) == ("failed", "no_photo_id", "local")
    assert "leading zeros" in result.error.message and f"({pid})" in result.error.message
    assert result.attempts == 0 and replaces(sandbox) == [] and sandbox.photo(pid).sha256 == before


def test_a_tag_naming_the_id_with_leading_zeros_agrees_with_a_sidecar_naming_it_plainly(sandbox, config, tmp_path):
    from photofiles import builtin_plugins, jpeg, subject_xmp

    from flickr_replace_plugin import resolve_photo_id

    pid = sandbox.add_photo(jpeg())
    path = tmp_path / "IMG_0105.jpg"
    path.write_bytes(jpeg(xmp=subject_xmp(f"flickr:photo_id=0{pid}")))
    Path(f"{path}.flickr.yaml").write_text(f'photo_id: "{pid}"\n')
    resolution = resolve_photo_id(path, plugins=builtin_plugins())
    assert (resolution.photo_id, resolution.error) == (pid, None)
    assert [(c.photo_id, c.source.split(":")[0]) for c in resolution.candidates] == [(pid, "sidecar"), (pid, "xmp")]
    result = replace(str(path), config=config, async_=False, force=True)
    assert (result.status.value, result.photo_id) == ("replaced", pid), result.error
    assert sandbox.photo_bytes(pid) == path.read_bytes()


def test_history_of_a_source_image_lists_the_replace_of_its_export(sandbox, cli_env, make_jpeg, tmp_path):
    import json

    from clirun import cli

    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes())
    source = tmp_path / "library" / "DSC_0105.NEF"
    source.parent.mkdir()
    source.write_bytes(b"raw")
    export = make_jpeg("tmp/DSC_0105.jpg")
    assert cli(["replace", str(export), "--photo-id", pid, "--original", str(source)], cli_env).returncode == 0
    found = [json.loads(line) for line in cli(["history", str(source), "--json"], cli_env).stdout.splitlines()]
    assert [(e["path"], e["photo_id"], e["status"], e["original"]) for e in found] == \
        [(str(export), pid, "replaced", str(source))]
