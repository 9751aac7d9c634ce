"""Proxies: loopback never goes through one (the sandbox, `demo`, with the Authorization header
nowhere near the proxy); HTTPS_PROXY and NO_PROXY keep working for Flickr's own hosts."""
from __future__ import annotations

import json
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
import requests
from clirun import cli, command

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class Recorder(BaseHTTPRequestHandler):
    """A proxy that writes down every request it is asked to carry and carries none (502)."""

    def _record(self) -> None:
        self.server.seen.append((self.command, self.path, self.headers.get("Authorization")))  # type: ignore[attr-defined]
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    do_GET = do_POST = do_CONNECT = _record

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[tuple[str, list]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def behind(env: dict[str, str], proxy_url: str, **more: str) -> dict[str, str]:
    clean = {k: v for k, v in env.items() if k.lower() not in ("no_proxy", *map(str.lower, PROXY_VARIABLES))}
    return {**clean, **{name: proxy_url for name in PROXY_VARIABLES}, **more}


def test_demo_works_behind_a_proxy_and_the_proxy_sees_nothing(cli_env, proxy):
    url, seen = proxy
    ran = cli(["demo"], behind(cli_env, url), process=True)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["status"] == "replaced"
    assert seen == [], "a request to this machine went through the proxy"


def test_replace_to_the_sandbox_goes_direct_with_every_proxy_variable_set(sandbox, cli_env, proxy, make_jpeg):
    url, seen = proxy
    pid = sandbox.add_photo(make_jpeg("old.jpg").read_bytes())
    path = make_jpeg("export.jpg", size=(66, 50))
    ran = cli(["replace", str(path), "--photo-id", pid, "--json"], behind(cli_env, url), process=True)
    assert ran.returncode == 0, ran.stderr
    assert [r["status"] for r in ran.results()] == ["replaced"]
    assert seen == [], "the Authorization header went to the proxy"


def test_localhost_base_url_goes_direct_too(sandbox, cli_env, proxy):
    url, seen = proxy
    local = sandbox.base_url.replace("127.0.0.1", "localhost")
    ran = cli(["status", "--json"], behind(cli_env, url, FLICKR_REPLACE_BASE_URL=local), process=True)
    assert ran.returncode == 0, ran.stderr
    assert seen == []


def test_auth_behind_a_proxy_talks_to_the_sandbox_directly(sandbox, cli_env, proxy, tmp_path):
    url, seen = proxy
    env = {k: v for k, v in behind(cli_env, url).items() if not k.startswith("FLICKR_OAUTH_")}
    env["FLICKR_REPLACE_CONFIG"] = str(tmp_path / "config.yaml")
    proc = subprocess.Popen(command(["auth"]), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    while not (page := re.fullmatch(r"  (http\S+/authorize\S+)\n", lines[-1] if lines else "")):
        line = proc.stderr.readline()
        assert line, "auth ended before showing the authorize page:\n" + "".join(lines)
        lines.append(line)
    html = requests.get(page.group(1), timeout=10, proxies={"http": None, "https": None}).text
    verifier = re.search(r'<code id="verifier">([^<]+)</code>', html).group(1)
    out, err = proc.communicate(verifier + "\n", timeout=30)
    assert proc.returncode == 0, "".join(lines) + err
    assert "authorised as sandbox" in out
    assert seen == []


def test_flickrs_own_hosts_still_go_through_https_proxy(cli_env, proxy):
    url, seen = proxy
    ran = cli(["status", "--json"], behind(cli_env, url, FLICKR_REPLACE_BASE_URL="https://flickr.invalid"),
              process=True)
    assert ran.returncode == 1
    assert [(m, p) for m, p, _ in seen][:1] == [("CONNECT", "flickr.invalid:443")], seen
    assert all(auth is None for _, _, auth in seen), "a CONNECT carries no Authorization header"


def test_no_proxy_keeps_a_host_away_from_the_proxy(cli_env, proxy):
    url, seen = proxy
    env = behind(cli_env, url, FLICKR_REPLACE_BASE_URL="https://flickr.invalid", NO_PROXY="flickr.invalid")
    ran = cli(["status", "--json"], env, process=True)
    assert ran.returncode == 1  # flickr.invalid does not exist: it fails, but not through the proxy
    assert seen == []
