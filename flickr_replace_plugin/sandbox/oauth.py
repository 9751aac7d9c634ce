"""Strict OAuth 1.0a HMAC-SHA1 verification, the way Flickr checks uploads and API calls.

The signature base string is rebuilt with oauthlib's own functions from everything the request
carried — query, every form or multipart field except `photo`, the `oauth_*` values from the
header or the body — so a client that leaves a field out of its signature is refused, exactly
the mistake a faithful sandbox has to catch. Problems answer as HTTP 401 plain text.
"""
from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping
from urllib.parse import quote, unquote

from .request import Request

WINDOW = 600  # seconds a timestamp may be off, and how long a nonce is remembered
REQUIRED = ("oauth_consumer_key", "oauth_nonce", "oauth_signature", "oauth_signature_method", "oauth_timestamp")
SecretLookup = Callable[[str], "str | None"]


class OAuthProblem(Exception):
    """An OAuth refusal, answered as `oauth_problem=NAME&...` with HTTP 401."""

    def __init__(self, problem: str, **details: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.details = details

    @property
    def body(self) -> str:
        pairs = [("oauth_problem", self.problem), *self.details.items()]
        return "&".join(f"{k}={quote(v, safe='')}" for k, v in pairs)


@dataclass(frozen=True)
class Signed:
    """What a verified signature vouches for."""

    consumer_key: str
    token: str | None
    signed_params: frozenset[str]
    auth_in: str  # "header", "body" or "query"
    oauth: Mapping[str, str]


def oauth_values(request: Request) -> tuple[dict[str, str], str | None]:
    """The oauth_* parameters and where they came from (None when the request carries none)."""
    header = request.authorization or ""
    if header[:6].lower() == "oauth ":
        from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

        try:
            pairs = parse_authorization_header(header)
        except ValueError:
            raise OAuthProblem("parameter_rejected", oauth_parameters_rejected="Authorization") from None
        return {k: unquote(v) for k, v in pairs if k.startswith("oauth_")}, "header"
    for where, pairs in (("body", request.form), ("query", request.query)):
        values = {k: v for k, v in pairs if k.startswith("oauth_")}
        if values:
            return values, where
    return {}, None


@dataclass(frozen=True)
class _Secrets:
    """The two secrets the HMAC key is made of, in the shape oauthlib's signer reads."""

    client_secret: str
    resource_owner_secret: str


class Verifier:
    """Checks signatures, timestamps and nonces; remembers nonces for the timestamp window."""

    def __init__(self, consumer_secret: SecretLookup, clock: Callable[[], float] = time.time) -> None:
        self.consumer_secret = consumer_secret
        self.clock = clock
        self._nonces: dict[tuple[str, str, str, str], float] = {}
        self._lock = threading.Lock()

    def verify(self, request: Request, token_secret: SecretLookup, need_token: bool) -> Signed:
        """Verify in the order providers report problems: absent, method, key, time, token, signature, nonce."""
        oauth, where = oauth_values(request)
        absent = [name for name in REQUIRED + (("oauth_token",) if need_token else ()) if not oauth.get(name)]
        if absent:
            raise OAuthProblem("parameter_absent", oauth_parameters_absent="&".join(absent))
        if oauth.get("oauth_version", "1.0") != "1.0":
            raise OAuthProblem("version_rejected", oauth_acceptable_versions="1.0-1.0")
        if oauth["oauth_signature_method"] != "HMAC-SHA1":
            raise OAuthProblem("signature_method_rejected")
        key = oauth["oauth_consumer_key"]
        consumer_secret = self.consumer_secret(key)
        if consumer_secret is None:
            raise OAuthProblem("consumer_key_unknown")
        now = self.clock()
        try:
            stamp = int(oauth["oauth_timestamp"])
        except ValueError:
            stamp = None
        if stamp is None or abs(now - stamp) > WINDOW:
            raise OAuthProblem("timestamp_refused",
                               oauth_acceptable_timestamps=f"{int(now) - WINDOW}-{int(now) + WINDOW}")
        token = oauth.get("oauth_token") or None
        owner_secret = ""
        if token is not None:
            found = token_secret(token)
            if found is None:
                raise OAuthProblem("token_rejected")
            owner_secret = found
        base, names = self.base_string(request, with_header=where == "header")
        from oauthlib.oauth1.rfc5849.signature import sign_hmac_sha1_with_client

        expected = sign_hmac_sha1_with_client(base, _Secrets(consumer_secret, owner_secret))
        if not hmac.compare_digest(expected.encode(), oauth["oauth_signature"].encode()):
            raise OAuthProblem("signature_invalid", debug_sbs=base)
        self._use_nonce((key, token or "", oauth["oauth_timestamp"], oauth["oauth_nonce"]), now)
        return Signed(key, token, names, where or "header", oauth)

    @staticmethod
    def base_string(request: Request, with_header: bool) -> tuple[str, frozenset[str]]:
        """RFC 5849 signature base string of everything the request carried (photo excluded)."""
        from oauthlib.oauth1.rfc5849 import signature

        headers = {"Authorization": request.authorization} if with_header else None
        params = signature.collect_parameters(body=request.query + request.form, headers=headers,
                                              exclude_oauth_signature=True, with_realm=False)
        base = signature.signature_base_string(request.method, signature.base_string_uri(request.url),
                                               signature.normalize_parameters(params))
        return base, frozenset(name for name, _ in params)

    def _use_nonce(self, key: tuple[str, str, str, str], now: float) -> None:
        """RFC 5849 3.3: a nonce is unique per timestamp, consumer key and token combination, so the
        same nonce with another token or timestamp is a different request (Perl Flickr::API relies on it)."""
        with self._lock:
            if key in self._nonces:
                raise OAuthProblem("nonce_used")
            if len(self._nonces) > 10_000:  # forget what the timestamp check refuses anyway
                self._nonces = {k: t for k, t in self._nonces.items() if now - t <= 2 * WINDOW}
            self._nonces[key] = now
