"""Gaps real clients found in the sandbox (Perl Flickr::API, python-flickr-api) and its --data folder."""
from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from oauthlib.oauth1 import SIGNATURE_TYPE_QUERY

from flickr_replace_plugin.sandbox import Sandbox
from flickr_replace_plugin.sandbox.datadir import DataDirError
from sandboxhttp import oauth_client


def test_the_data_folder_keeps_a_users_files_untouched(tmp_path, make_jpeg):
    data = tmp_path / "data"
    mine = data / "incoming" / "holiday.jpg"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"my own photo")
    with pytest.raises(DataDirError, match="not the sandbox's.*new or empty folder"):
        Sandbox(data_dir=data)
    assert mine.read_bytes() == b"my own photo" and sorted(p.name for p in data.rglob("*")) == ["holiday.jpg", "incoming"]

    fresh = tmp_path / "fresh"
    with Sandbox(data_dir=fresh) as sb:
        pid = sb.add_photo(make_jpeg())
    later = fresh / "incoming" / "later.jpg"  # the user's own file, put beside the sandbox's folder
    later.parent.mkdir()
    later.write_bytes(b"keep me")
    with Sandbox(data_dir=fresh) as sb:  # the folder is the sandbox's: it starts, and finds its photo
        assert sb.photo(pid).size > 0
    assert later.read_bytes() == b"keep me"
    assert sorted(p.name for p in fresh.iterdir()) == ["flickr-sandbox", "incoming"]


def test_the_sandbox_command_refuses_a_foreign_folder_with_a_message(tmp_path):
    import subprocess
    import sys

    (tmp_path / "notes.txt").write_text("mine")
    run = subprocess.run([sys.executable, "-m", "flickr_replace_plugin.sandbox", "--data", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stdout == ""
    assert "already holds files that are not the sandbox's" in run.stderr and "Traceback" not in run.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def _signed_get(sb: Sandbox, path: str, params: dict[str, str], nonce: str, stamp: str, token: bool) -> requests.Response:
    creds = {} if token else {"oauth_token": None, "oauth_token_secret": None}
    client = oauth_client(sb, creds, signature_type=SIGNATURE_TYPE_QUERY, nonce=nonce, timestamp=stamp,
                          **({} if token else {"callback_uri": "oob"}))
    url, _, _ = client.sign(f"{sb.base_url}{path}?{urlencode(params)}", "GET")
    return requests.get(url, timeout=10)


def test_a_nonce_is_unique_per_timestamp_consumer_and_token(sandbox):
    stamp = str(int(time.time()))
    login = {"method": "flickr.test.login", "format": "json", "nojsoncallback": "1"}
    assert _signed_get(sandbox, "/services/rest/", login, "n0nce", stamp, token=True).json()["stat"] == "ok"
    # the same nonce and timestamp without a token (a request-token call) is another request
    tokens = _signed_get(sandbox, "/services/oauth/request_token", {}, "n0nce", stamp, token=False)
    assert tokens.status_code == 200 and dict(parse_qsl(tokens.text))["oauth_callback_confirmed"] == "true"
    # and so is the same nonce with another timestamp
    other = str(int(stamp) - 1)
    assert _signed_get(sandbox, "/services/rest/", login, "n0nce", other, token=True).json()["stat"] == "ok"
    again = _signed_get(sandbox, "/services/rest/", login, "n0nce", stamp, token=True)
    assert (again.status_code, again.text) == (401, "oauth_problem=nonce_used")
