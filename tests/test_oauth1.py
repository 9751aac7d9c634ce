"""Our OAuth 1.0a signer against oauthlib's (the oracle), on the same nonce and time: every
upload and REST call is signed by ours, so a difference would be a refused request on Flickr."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header

from flickr_replace_plugin.flickr.oauth1 import authorization, base_uri

KEYS = dict(consumer_key="key&1", consumer_secret="s3cr3t/+=", token="72157-tok~en", token_secret="t s&e")


def _oauthlib(url: str, fields: dict[str, str], nonce: str, timestamp: int) -> dict[str, str]:
    client = Client(KEYS["consumer_key"], client_secret=KEYS["consumer_secret"], resource_owner_key=KEYS["token"],
                    resource_owner_secret=KEYS["token_secret"], nonce=nonce, timestamp=str(timestamp))
    _, headers, _ = client.sign(url, http_method="POST", body=urlencode(sorted(fields.items())),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    return dict(parse_authorization_header(headers["Authorization"]))


def _ours(url: str, fields: dict[str, str], nonce: str, timestamp: int) -> dict[str, str]:
    header = authorization("POST", url, fields, nonce=nonce, timestamp=timestamp, **KEYS)
    assert header.startswith("OAuth ")
    return dict(parse_authorization_header(header))


@pytest.mark.parametrize("url, fields", [
    ("https://up.flickr.com/services/replace/", {"photo_id": "52178747111", "async": "1"}),
    ("https://api.flickr.com/services/rest", {"method": "flickr.photos.getInfo", "format": "json",
                                              "nojsoncallback": "1", "photo_id": "1"}),
    ("http://127.0.0.1:8765/services/upload/", {"title": "Été à Paris ~ 100% «ok» & more", "tags": 'a "b c" d',
                                                "description": "line\nbreak+plus=eq", "is_public": "0"}),
    ("HTTPS://API.Flickr.com:443/services/rest?x=1&y=", {"empty": "", "photo_id": "7"}),
    ("http://[::1]:8080/services/rest", {"method": "flickr.test.login"}),
])
def test_signature_matches_oauthlib(url: str, fields: dict[str, str]) -> None:
    assert _ours(url, fields, "n0nce", 1765000000) == _oauthlib(url, fields, "n0nce", 1765000000)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=30), max_size=5))
@example({"photo_id": "1", "async": "0"})
@example({"a b": "ü/?&=%", "~": "~"})
def test_any_fields_sign_as_oauthlib_signs_them(fields: dict[str, str]) -> None:
    fields = {k: v for k, v in fields.items() if not k.startswith("oauth_")}
    url = "https://up.flickr.com/services/upload/"
    assert _ours(url, fields, "abc", 1700000000) == _oauthlib(url, fields, "abc", 1700000000)


def test_each_call_has_a_fresh_nonce() -> None:
    url = "https://api.flickr.com/services/rest"
    first, second = (dict(parse_authorization_header(authorization("POST", url, {}, **KEYS))) for _ in range(2))
    assert first["oauth_nonce"] != second["oauth_nonce"]
    assert first["oauth_signature"] != second["oauth_signature"]


def test_base_uri_drops_default_port_and_query() -> None:
    assert base_uri("HTTPS://Up.Flickr.com:443/services/replace/?a=1") == "https://up.flickr.com/services/replace/"
    assert base_uri("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080/x"
