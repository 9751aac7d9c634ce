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


@pytest.mark.parametrize("port_args, expected", [
    (["--port", "99999"], "not a port number"),
    (None, "is already in use; pick another with --port"),
], ids=["out of range", "in use"])
def test_a_sandbox_that_cannot_start_says_why_and_leaves_nothing_behind(tmp_path, port_args, expected):
    import os
    import socket
    import subprocess
    import sys

    temp = tmp_path / "tmp"
    temp.mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        args = port_args or ["--port", str(taken.getsockname()[1])]
        run = subprocess.run([sys.executable, "-m", "flickr_replace_plugin", "sandbox", *args], capture_output=True,
                             text=True, timeout=60, env={**os.environ, "TMPDIR": str(temp)})
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    assert expected in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert list(temp.iterdir()) == []  # no temporary data folder left by the failed start


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


@pytest.fixture
def flickr_api_client(sandbox, monkeypatch):
    """python-flickr-api (PyPI `flickr-api`), an independent client, pointed at the sandbox.

    It has no setting for its endpoints: the REST URL is call_api's default argument and the
    upload URLs are module constants, so those three values are what gets redirected.
    """
    import flickr_api  # in the test extra
    import importlib

    method_call = importlib.import_module("flickr_api.method_call")
    upload = importlib.import_module("flickr_api.upload")  # the package re-exports a function of that name

    c = sandbox.credentials
    defaults = list(method_call.call_api.__defaults__)
    defaults[defaults.index(method_call.REST_URL)] = f"{sandbox.base_url}/services/rest/"
    monkeypatch.setattr(method_call.call_api, "__defaults__", tuple(defaults))
    monkeypatch.setattr(upload, "UPLOAD_URL", f"{sandbox.base_url}/services/upload/")
    monkeypatch.setattr(upload, "REPLACE_URL", f"{sandbox.base_url}/services/replace/")
    monkeypatch.setattr(flickr_api.auth, "AUTH_HANDLER", None)
    flickr_api.set_keys(api_key=c["api_key"], api_secret=c["api_secret"])
    flickr_api.set_auth_handler(flickr_api.auth.AuthHandler(
        key=c["api_key"], secret=c["api_secret"], callback="oob",
        access_token_key=c["oauth_token"], access_token_secret=c["oauth_token_secret"]))
    return flickr_api


def test_python_flickr_api_reads_photo_info_sizes_and_downloads(sandbox, make_jpeg, flickr_api_client, tmp_path):
    original = make_jpeg(size=(500, 400))
    pid = sandbox.add_photo(original, title="Dune", tags=["sand", "flickr:photo_id=7"], is_public=False)
    info = flickr_api_client.Photo(id=pid).getInfo()
    assert (info["title"], info["ispublic"], info["candownload"], info["media"]) == ("Dune", 0, 1, "photo")
    assert info["owner"].id == sandbox.user()["nsid"] and info["lastupdate"] == str(sandbox.photo(pid).lastupdate)
    assert [t.raw for t in info["tags"]] == ["sand", "flickr:photo_id=7"] and info["notes"] == []
    photo = flickr_api_client.Photo(id=pid, media="photo")
    assert photo.getSizes()["Small"]["width"] == 240
    photo.save(str(tmp_path / "fetched"), size_label="Original")
    assert (tmp_path / "fetched.jpg").read_bytes() == original.read_bytes()


def test_python_flickr_api_uploads_and_replaces(sandbox, make_jpeg, flickr_api_client):
    first, second = make_jpeg("first.jpg"), make_jpeg("second.jpg")
    uploaded = flickr_api_client.upload(photo_file=str(first), title="Café", description="über", tags="a b",
                                        is_public=0)
    photo = sandbox.photo(uploaded.id)
    assert (photo.title, photo.description, photo.tags, photo.is_public) == ("Café", "über", ["a", "b"], 0)
    assert sandbox.photo_bytes(uploaded.id) == first.read_bytes()
    flickr_api_client.replace(photo_file=str(second), photo_id=uploaded.id)
    assert sandbox.photo_bytes(uploaded.id) == second.read_bytes()
    assert sandbox.photo(uploaded.id).replacements == 1 and sandbox.photo(uploaded.id).title == "Café"
    entry = sandbox.requests[-1]
    assert entry["auth_in"] == "body" and {"photo_id", "async", "api_key"} <= entry["signed_params"]


def test_a_client_that_resets_its_connection_is_not_reported_as_a_sandbox_error(sandbox, capfd):
    import socket
    import struct

    from clirun import wait_until

    with socket.create_connection(("127.0.0.1", sandbox.port)) as conn:
        conn.sendall(b"GET /services/rest/ HTTP/1.1\r\nHost: x\r\n")  # the headers never finish
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
    wait_until(lambda: not sandbox._server._open, what="the sandbox to be done with the connection")
    answer = requests.get(f"{sandbox.base_url}/services/rest/", timeout=10,
                          params={"method": "flickr.test.login", "format": "json", "nojsoncallback": "1"})
    assert answer.json()["stat"] == "fail"  # an answer (no api_key: code 100): it goes on serving
    assert "Traceback" not in capfd.readouterr().err
