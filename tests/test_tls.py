"""HTTPS as Flickr is reached: a certificate nobody vouches for is refused, one the user's
REQUESTS_CA_BUNDLE names is taken, and the connection is kept for the next request."""
from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Iterator

import pytest

from flickr_replace_plugin.flickr import transport
from flickr_replace_plugin.flickr.responses import FlickrFailure
from flickr_replace_plugin.flickr.transport import exchange, new_session

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")


class Hello(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.server.seen.append((self.client_address[1], body))  # type: ignore[attr-defined]
        answer = b"hello " + body
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, list]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    httpd.seen = []  # type: ignore[attr-defined]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{httpd.server_address[1]}/x", cert, httpd.seen  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()
        transport._TLS.clear()


def test_a_certificate_nobody_vouches_for_is_refused(server, monkeypatch):
    url, _, seen = server
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    session = new_session("test")
    with pytest.raises(FlickrFailure) as refused:
        exchange(session, "POST", url, what="call", seconds=10, data=b"secret")
    assert "certificate verify failed" in refused.value.error.message and seen == []


def test_the_users_ca_bundle_is_trusted_and_the_connection_kept(server, monkeypatch):
    url, cert, seen = server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    session = new_session("test")
    try:
        answers = [exchange(session, "POST", url, what="call", seconds=10, data=f"n{i}".encode()) for i in range(3)]
    finally:
        session.close()
    assert [a.body for a in answers] == [b"hello n0", b"hello n1", b"hello n2"]
    assert len({port for port, _ in seen}) == 1  # one TLS connection for the three requests
