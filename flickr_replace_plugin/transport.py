"""Talking to Flickr: OAuth 1.0a signing, the streamed multipart upload, REST calls.

One FlickrClient per worker thread: each owns a requests Session so connections are reused.
Transport errors become FlickrFailure values in one place (`_send`).
"""
from __future__ import annotations

import logging
import os
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import urlencode

import requests

from .config import Config
from .ratelimit import CallLimiter, ThrottledFile
from .responses import FlickrFailure, UploadAnswer, parse_rest_json, parse_upload
from .result import ResultError

log = logging.getLogger("flickr_replace.transport")
USER_AGENT = "flickr-replace/0.1"
CONNECT_TIMEOUT = 15.0


def upload_timeout(size: int) -> tuple[float, float]:
    """Generous for big files: a fixed minimum plus time for a slow (100 kB/s) link."""
    return CONNECT_TIMEOUT, 60.0 + size / 100_000


class FlickrClient:
    def __init__(self, config: Config, limiter: CallLimiter | None = None) -> None:
        self.config = config.require_credentials()
        self.endpoints = config.endpoints
        self.limiter = limiter
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.trust_env = True
        self.session.verify = True  # never disabled

    def close(self) -> None:
        self.session.close()

    # -- signing -------------------------------------------------------------------------------
    def _oauth_client(self):
        from oauthlib.oauth1 import Client

        c = self.config
        return Client(c.api_key, client_secret=c.api_secret, resource_owner_key=c.oauth_token,
                      resource_owner_secret=c.oauth_token_secret)

    def sign_fields(self, url: str, fields: Mapping[str, str]) -> str:
        """The Authorization header for a POST whose signed fields are `fields` (photo left out).

        Signs as if the fields were form-encoded, then the multipart body goes out with this
        header: a stock OAuth library signing the multipart request would leave them out.
        A fresh nonce and timestamp every call, so a retry is a new request.
        """
        _, headers, _ = self._oauth_client().sign(
            url, http_method="POST", body=urlencode(sorted(fields.items())),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return headers["Authorization"]

    # -- requests --------------------------------------------------------------------------------
    def _send(self, method: str, url: str, *, what: str, **kwargs: Any) -> requests.Response:
        if self.limiter is not None:
            self.limiter.acquire()
        log.debug("%s %s (%s)", method, url, what)
        try:
            response = self.session.request(method, url, allow_redirects=False, **kwargs)
        except requests.Timeout:
            raise FlickrFailure(ResultError.network(f"{what}: Flickr did not answer in time")) from None
        except requests.ConnectionError as exc:
            raise FlickrFailure(ResultError.network(f"{what}: connection failed ({_reason(exc)})")) from None
        except requests.RequestException as exc:
            raise FlickrFailure(ResultError.network(f"{what}: {type(exc).__name__}")) from None
        log.debug("%s answered HTTP %s (%d bytes)", what, response.status_code, len(response.content))
        return response

    def upload_file(self, path: str, fields: Mapping[str, str], *, replace: bool = True,
                    size: int | None = None, content_type: str = "application/octet-stream",
                    progress: Callable[[int], None] | None = None) -> UploadAnswer:
        """One signed, streamed upload: the body is read from disk as it is sent, with a Content-Length."""
        from requests_toolbelt import MultipartEncoder

        url = self.endpoints.replace if replace else self.endpoints.upload
        size = os.path.getsize(path) if size is None else size
        auth = self.sign_fields(url, fields)
        with open(path, "rb") as raw:
            body_file = ThrottledFile(raw, size, self.config.limit_rate, progress)
            encoder = MultipartEncoder(fields=[*fields.items(),
                                               ("photo", (os.path.basename(path), body_file, content_type))])
            headers = {"Authorization": auth, "Content-Type": encoder.content_type,
                       "Content-Length": str(encoder.len)}
            response = self._send("POST", url, what="upload", data=encoder, headers=headers,
                                  timeout=upload_timeout(size))
        return parse_upload(response.status_code, response.content)

    def rest(self, method: str, **params: str) -> dict:
        """A signed REST call in JSON; POST so long ticket lists never hit a URL length limit."""
        from requests_oauthlib import OAuth1

        c = self.config
        auth = OAuth1(c.api_key, c.api_secret, c.oauth_token, c.oauth_token_secret)
        data = {"method": method, "format": "json", "nojsoncallback": "1", **params}
        response = self._send("POST", self.endpoints.rest, what=method, data=data, auth=auth,
                              timeout=(CONNECT_TIMEOUT, 60.0))
        return parse_rest_json(response.status_code, response.content)

    # -- Flickr methods the tool uses ---------------------------------------------------------------
    def check_tickets(self, ticket_ids: Iterable[str]) -> dict:
        return self.rest("flickr.photos.upload.checkTickets", tickets=",".join(ticket_ids))

    def photo_secrets(self, photo_id: str) -> tuple[str | None, str | None]:
        photo = _member(self.rest("flickr.photos.getInfo", photo_id=photo_id), "photo")
        secret, original = photo.get("secret"), photo.get("originalsecret")
        return (str(secret) if secret else None), (str(original) if original else None)

    def upload_status(self) -> dict:
        return _member(self.rest("flickr.people.getUploadStatus"), "user")

    def max_upload_bytes(self) -> int | None:
        """The account's file-size limit: `filesize maxbytes` (maxmb rounds small limits to 0)."""
        filesize = _member(self.upload_status(), "filesize")
        try:
            return int(filesize.get("maxbytes"))
        except (TypeError, ValueError):
            return None

    def test_login(self) -> dict:
        return _member(self.rest("flickr.test.login"), "user")


def _member(data: dict, key: str) -> dict:
    """A nested object of a JSON answer, or {} when Flickr sent another shape."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _reason(exc: Exception) -> str:
    """A short cause without URLs or headers (they could carry tokens)."""
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Connection aborted", "RemoteDisconnected",
                   "timed out", "Name or service not known", "BrokenPipe", "Broken pipe",
                   "certificate verify failed", "Max retries exceeded"):
        if marker in text:
            return marker.lower() if marker != "Max retries exceeded" else "could not connect"
    return type(exc).__name__
