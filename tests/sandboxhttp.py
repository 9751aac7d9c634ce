"""Talking to the sandbox as Flickr clients do: signed REST calls, multipart uploads, raw bytes."""
from __future__ import annotations

import hashlib
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests
from oauthlib.oauth1 import SIGNATURE_TYPE_AUTH_HEADER, SIGNATURE_TYPE_BODY, Client
from requests_oauthlib import OAuth1
from requests_toolbelt import MultipartEncoder

from flickr_replace_plugin.sandbox import Sandbox

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CHECK_TICKETS = "flickr.photos.upload.checkTickets"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def sha256(data: bytes | Path) -> str:
    return hashlib.sha256(data.read_bytes() if isinstance(data, Path) else data).hexdigest()


def oauth_client(sb: Sandbox, creds: dict[str, str] | None = None, **kwargs: Any) -> Client:
    c = {**sb.credentials, **(creds or {})}
    return Client(c["api_key"], client_secret=c["api_secret"], resource_owner_key=c["oauth_token"],
                  resource_owner_secret=c["oauth_token_secret"], **kwargs)


def build_upload(sb: Sandbox, fields: dict[str, str], photo: tuple[str, bytes] | None = None, *,
                 route: str = "replace", sign: dict[str, str] | None = None, oauth_in: str = "header",
                 creds: dict[str, str] | None = None, **client_kwargs: Any) -> tuple[str, bytes, dict[str, str]]:
    """A multipart upload signed the way Flickr wants: `sign` (default: every field) as if form-encoded."""
    url = f"{sb.base_url}/services/{route}/"
    kind = SIGNATURE_TYPE_BODY if oauth_in == "body" else SIGNATURE_TYPE_AUTH_HEADER
    client = oauth_client(sb, creds, signature_type=kind, **client_kwargs)
    _, headers, body = client.sign(url, "POST", body=urlencode(list((fields if sign is None else sign).items())),
                                   headers=dict(FORM))
    parts: list[tuple[str, Any]] = list(fields.items())
    extra = {}
    if oauth_in == "body":
        parts += [(k, v) for k, v in parse_qsl(body) if k.startswith("oauth_")]
    else:
        extra["Authorization"] = headers["Authorization"]
    if photo is not None:
        parts.append(("photo", (photo[0], photo[1], "application/octet-stream")))
    encoder = MultipartEncoder(fields=parts)
    return url, encoder.to_string(), {**extra, "Content-Type": encoder.content_type}


def post_photo(sb: Sandbox, fields: dict[str, str], photo: tuple[str, bytes] | None = None,
               timeout: float = 10, **kwargs: Any) -> requests.Response:
    url, body, headers = build_upload(sb, fields, photo, **kwargs)
    return requests.post(url, data=body, headers=headers, timeout=timeout)


def rest(sb: Sandbox, method: str, *, http: str = "POST", signed: bool = True, fmt: str = "json",
         **params: str) -> requests.Response:
    params = {"method": method, **params}
    if fmt == "json":
        params.update(format="json", nojsoncallback="1")
    c = sb.credentials
    auth = OAuth1(c["api_key"], c["api_secret"], c["oauth_token"], c["oauth_token_secret"]) if signed else None
    if not signed:
        params.setdefault("api_key", c["api_key"])
    url = f"{sb.base_url}/services/rest/"
    if http == "GET":
        return requests.get(url, params=params, auth=auth, timeout=10)
    return requests.post(url, data=params, auth=auth, timeout=10)


def jpeg(path: Path) -> tuple[str, bytes]:
    return path.name, path.read_bytes()


def xml(response: requests.Response) -> ET.Element:
    return ET.fromstring(response.content)


def flickr_code(response: requests.Response) -> int | None:
    err = xml(response).find("err")
    return None if err is None else int(err.get("code"))


def raw_exchange(sb: Sandbox, head: str, body: bytes) -> bytes:
    """Send bytes as they are (no client library fixing them up), half-close, read the answer."""
    with socket.create_connection(("127.0.0.1", sb.port), timeout=10) as conn:
        conn.sendall(head.encode("latin-1") + body)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer
