"""Where two features meet, tried as a user would over several runs."""
from __future__ import annotations

from clirun import cli
from pictures import export


def uploads(sandbox) -> list[dict]:
    return [r for r in sandbox.requests if r["path"].startswith("/services/")
            and not r["path"].startswith("/services/rest")]


def test_a_file_just_uploaded_is_not_sent_again_as_a_replace(sandbox, cli_env, tmp_path):
    path = export(tmp_path / "IMG_0042.jpg", "coffee")
    first = cli(["replace", "--upload-missing", "--json", str(path)], cli_env)
    [uploaded] = first.results()
    assert uploaded["status"] == "uploaded", first.stdout + first.stderr
    photo = sandbox.photo(uploaded["photo_id"])
    assert (uploaded["secret"], uploaded["originalsecret"]) == (photo.secret, photo.originalsecret)
    sandbox.clear_requests()
    again = cli(["replace", "--upload-missing", "--json", str(path)], cli_env)
    [second] = again.results()
    assert (second["status"], second["error"]["reason"]) == ("skipped", "unchanged"), again.stdout
    assert uploads(sandbox) == []


def files_under(root) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def test_a_dry_run_writes_nothing_anywhere_not_even_the_photo_list_cache(sandbox, cli_env, tmp_path):
    sandbox.seed(3)
    new = export(tmp_path / "photos" / "new.jpg", "rocket")
    before = files_under(tmp_path)
    ran = cli(["replace", "--upload-missing", "--dry-run", "--json", str(new)], cli_env)
    [result] = ran.results()
    assert result["status"] == "dry-run", ran.stdout
    assert files_under(tmp_path) == before


def test_an_upload_found_by_a_rerun_is_not_sent_again_as_a_replace(sandbox, cli_env, tmp_path):
    path = export(tmp_path / "IMG_0043.jpg", "rocket")
    pending = cli(["replace", "--upload-missing", "--no-wait", "--json", str(path)], cli_env)
    assert pending.results()[0]["status"] == "pending", pending.stdout
    found = cli(["replace", "--upload-missing", "--json", str(path)], cli_env)
    [result] = found.results()
    assert result["status"] == "uploaded" and result["attempts"] == 0, found.stdout
    sandbox.clear_requests()
    again = cli(["replace", "--json", str(path)], cli_env)
    [second] = again.results()
    assert (second["status"], second["error"]["reason"]) == ("skipped", "unchanged"), again.stdout
    assert uploads(sandbox) == []
