"""`flickr-replace auth`: OAuth 1.0a with 'write' permission and an out-of-band verifier."""
from __future__ import annotations

import getpass
from pathlib import Path

from .env import Environment, ExitStatus
from ..config import Config, UserDirs, save_credentials
from .redact import RedactingFilter
from ..flickr.responses import FlickrFailure


def _ask(env: Environment, prompt: str, secret: bool = False) -> str:
    if secret and env.stdin.isatty():
        return getpass.getpass(prompt).strip()
    env.stderr.write(prompt)
    env.stderr.flush()
    return env.stdin.readline().strip()


def authorize(config: Config, env: Environment, redactor: RedactingFilter) -> int:
    import requests
    from requests_oauthlib import OAuth1Session

    api_key, api_secret = config.api_key, config.api_secret
    if not (api_key and api_secret):
        env.stderr.write("An API key and secret come from Flickr's App Garden: https://www.flickr.com/services/apps/create/\n")
        api_key = api_key or _ask(env, "API key: ")
        api_secret = api_secret or _ask(env, "API secret: ", secret=True)
        if not (api_key and api_secret):
            env.stderr.write("flickr-replace: an API key and secret are needed\n")
            return ExitStatus.USAGE
    redactor.add(api_secret)
    endpoints = config.endpoints
    try:
        oauth = OAuth1Session(api_key, client_secret=api_secret, callback_uri="oob")
        request_token = oauth.fetch_request_token(endpoints.request_token, timeout=30)
        redactor.add(request_token.get("oauth_token_secret"))
        url = oauth.authorization_url(endpoints.authorize, perms="write")
        env.stderr.write(f"Open this page, allow 'write' access, and type the code Flickr shows:\n  {url}\n")
        verifier = _ask(env, "Code: ", secret=False)
        if not verifier:
            env.stderr.write("flickr-replace: no code given; nothing stored\n")
            return ExitStatus.USAGE
        redactor.add(verifier)
        oauth = OAuth1Session(api_key, client_secret=api_secret,
                              resource_owner_key=request_token["oauth_token"],
                              resource_owner_secret=request_token["oauth_token_secret"], verifier=verifier)
        access = oauth.fetch_access_token(endpoints.access_token, timeout=30)
    except (requests.RequestException, ValueError, KeyError) as exc:
        # requests-oauthlib's messages can quote the token response: keep only the kind of failure
        env.stderr.write(f"flickr-replace: authorisation failed ({type(exc).__name__})\n")
        return ExitStatus.FAILED
    redactor.add(access.get("oauth_token_secret"))
    new = config.with_(api_key=api_key, api_secret=api_secret, oauth_token=access.get("oauth_token"),
                       oauth_token_secret=access.get("oauth_token_secret"))
    try:
        from ..flickr.client import FlickrClient

        user = FlickrClient(new).test_login()
    except FlickrFailure as exc:
        env.stderr.write(f"flickr-replace: the new token does not work: {exc.error.message}\n")
        return ExitStatus.FAILED
    path = Path(config.path) if config.path else UserDirs.from_env(env.env).config_file
    save_credentials(path, {"api_key": api_key, "api_secret": api_secret,
                            "oauth_token": new.oauth_token, "oauth_token_secret": new.oauth_token_secret})
    name = user.get("username", {}).get("_content") if isinstance(user.get("username"), dict) else user.get("username")
    env.stdout.write(f"authorised as {name or access.get('username') or user.get('id')}; token stored in {path} (mode 0600)\n")
    return ExitStatus.OK
