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
    assert uploaded["status"] == "uploaded", first.stderr
    photo = sandbox.photo(uploaded["photo_id"])
    assert (uploaded["secret"], uploaded["originalsecret"]) == (photo.secret, photo.originalsecret)
    sandbox.clear_requests()
    again = cli(["replace", "--upload-missing", "--json", str(path)], cli_env)
    [second] = again.results()
    assert (second["status"], second["error"]["reason"]) == ("skipped", "unchanged"), again.stdout
    assert uploads(sandbox) == []
