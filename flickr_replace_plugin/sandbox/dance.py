"""Flickr's three OAuth endpoints: request token, the authorize page (shows the verifier), access token."""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from .oauth import OAuthProblem, Verifier
from .replies import Reply
from .request import Request
from .store import Store

REQUEST_TOKEN_TTL = 3600


@dataclass
class RequestToken:
    token: str
    secret: str
    callback: str
    created: float
    perms: str | None = None
    verifier: str | None = None  # set when the user has seen the authorize page


class OAuthDance:
    def __init__(self, store: Store, verifier: Verifier) -> None:
        self.store = store
        self.verifier = verifier
        self._request_tokens: dict[str, RequestToken] = {}
        self._lock = threading.Lock()

    def request_token(self, request: Request) -> Reply:
        signed = self.verifier.verify(request, lambda token: None, need_token=False)
        callback = signed.oauth.get("oauth_callback")
        if not callback:
            raise OAuthProblem("parameter_absent", oauth_parameters_absent="oauth_callback")
        token = RequestToken(f"72157{secrets.randbelow(10 ** 12):012d}-{secrets.token_hex(8)}",
                             secrets.token_hex(8), callback, time.time())
        with self._lock:
            now = time.time()
            self._request_tokens = {k: t for k, t in self._request_tokens.items()
                                    if now - t.created < REQUEST_TOKEN_TTL}
            self._request_tokens[token.token] = token
        body = urlencode({"oauth_callback_confirmed": "true", "oauth_token": token.token,
                          "oauth_token_secret": token.secret})
        return Reply.text(200, body, signed=signed)

    def _request_secret(self, token: str) -> str | None:
        with self._lock:
            found = self._request_tokens.get(token)
        return found.secret if found else None

    def authorize(self, request: Request) -> Reply:
        """The page a user sees: the sandbox's user always agrees, and is shown the verifier."""
        with self._lock:
            token = self._request_tokens.get(request.get("oauth_token") or "")
            if token is not None:
                token.perms = request.get("perms") or "read"
                token.verifier = token.verifier or "-".join(f"{secrets.randbelow(1000):03d}" for _ in range(3))
        if token is None:
            return _html(400, "Oops! Flickr can't find a valid callback URL.",
                         "<p>The request token is unknown or has expired.</p>")
        if token.callback != "oob":
            joiner = "&" if "?" in token.callback else "?"
            location = token.callback + joiner + urlencode({"oauth_token": token.token,
                                                              "oauth_verifier": token.verifier})
            return Reply(302, b"", headers={"Location": location})
        return _html(200, "You have successfully authorized the application",
                     f"<p>Copy this code into the application to finish ({escape(token.perms)} permission):</p>"
                     f'<p><code id="verifier">{token.verifier}</code></p>')

    def access_token(self, request: Request) -> Reply:
        signed = self.verifier.verify(request, self._request_secret, need_token=True)
        given = (signed.oauth.get("oauth_verifier") or "").replace("-", "")
        with self._lock:
            token = self._request_tokens.get(signed.token or "")
            if token is None:
                raise OAuthProblem("token_rejected")
            if not given:
                raise OAuthProblem("parameter_absent", oauth_parameters_absent="oauth_verifier")
            if token.verifier is None:
                raise OAuthProblem("permission_unknown")
            if not secrets.compare_digest(given, token.verifier.replace("-", "")):
                raise OAuthProblem("parameter_rejected", oauth_parameters_rejected="oauth_verifier")
            del self._request_tokens[token.token]  # a request token is good for one exchange
        creds, user = self.store.credentials, self.store.user
        body = urlencode({"fullname": user["fullname"], "oauth_token": creds["oauth_token"],
                          "oauth_token_secret": creds["oauth_token_secret"], "user_nsid": user["nsid"],
                          "username": user["username"]})
        return Reply.text(200, body, signed=signed)


def _html(status: int, title: str, body: str) -> Reply:
    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Flickr sandbox: {escape(title)}</title>"
            f"</head><body><h1>{escape(title)}</h1>{body}</body></html>")
    return Reply(status, page.encode("utf-8"), "text/html; charset=utf-8")
