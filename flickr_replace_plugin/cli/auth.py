"""`flickr-replace auth`: OAuth 1.0a with 'write' permission and an out-of-band verifier."""
from __future__ import annotations

import getpass
from pathlib import Path

from .env import Environment, ExitStatus
from ..config import Config, UserDirs, save_credentials
from .redact import RedactingFilter
from ..flickr.responses import FlickrFailure


class Aborted(Exception):
    """The user closed the input at a prompt (Ctrl-D): stop, store nothing."""


def _ask(env: Environment, prompt: str, secret: bool = False) -> str:
    if secret and env.stdin.isatty():
        try:
            return getpass.getpass(prompt).strip()
        except EOFError:
            raise Aborted() from None
    env.stderr.write(prompt)
    env.stderr.flush()
    line = env.stdin.readline()
    if not line:  # end of input, not an empty answer
        raise Aborted()
    return line.strip()


# Why Flickr's OAuth endpoints refused (RFC 5849 and Flickr's oauth_problem words), and what to do.
_REFUSALS = {
    "consumer_key_unknown": "Flickr does not know this API key: check it against the App Garden "
                            "(https://www.flickr.com/services/apps/)",
    "consumer_key_rejected": "Flickr rejected this API key: check it in the App Garden",
    "signature_invalid": "the signature was refused: check the API secret that goes with this key",
    "parameter_rejected": "the code was not accepted: type the code the page shows for this run, "
                          "and run `flickr-replace auth` again",
    "verifier_invalid": "the code was not accepted: run `flickr-replace auth` again and type the new code",
    "token_rejected": "the authorisation request was not accepted (expired?): run `flickr-replace auth` again",
    "token_expired": "the authorisation request expired: run `flickr-replace auth` again and be quicker",
    "permission_unknown": "access was not allowed yet: open the page, allow 'write' access, then type its code",
    "token_used": "this authorisation request was used already: run `flickr-replace auth` again",
    "timestamp_refused": "this computer's clock is off: set it right (or enable network time) and try again",
    "nonce_used": "Flickr saw this request before: run `flickr-replace auth` again",
    "parameter_absent": "Flickr missed a part of the request (a proxy in between?): try again",
}


def refusal_words(exc: Exception) -> str:
    """Why the OAuth step failed, in words, without quoting the answer (it may hold tokens)."""
    import requests

    response = getattr(exc, "response", None)
    if response is not None:
        from urllib.parse import parse_qs

        problem = parse_qs(response.text[:4096].strip()).get("oauth_problem", [""])[0]
        return _REFUSALS.get(problem, f"Flickr refused it ({problem or f'HTTP {response.status_code}'})")
    if isinstance(exc, requests.Timeout):
        return "Flickr did not answer in time: check your connection and try again"
    if isinstance(exc, requests.ConnectionError):
        return "Flickr could not be reached: check your connection (or base_url) and try again"
    return f"Flickr's answer was not what OAuth expects ({type(exc).__name__}): try again"


def authorize(config: Config, env: Environment, redactor: RedactingFilter) -> int:
    try:
        return _authorize(config, env, redactor)
    except Aborted:
        env.stderr.write("\nflickr-replace: aborted at the prompt; nothing stored\n")
        return ExitStatus.USAGE


def _authorize(config: Config, env: Environment, redactor: RedactingFilter) -> int:
    import requests
    from requests_oauthlib import OAuth1Session

    keys = app_keys(config, env, redactor)
    if keys is None:
        return ExitStatus.USAGE
    api_key, api_secret = keys
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
        # requests-oauthlib's messages can quote the token response: say why in our own words only
        env.stderr.write(f"flickr-replace: authorisation failed: {refusal_words(exc)}; nothing stored\n")
        return ExitStatus.FAILED
    redactor.add(access.get("oauth_token_secret"))
    new = config.with_(api_key=api_key, api_secret=api_secret, oauth_token=access.get("oauth_token"),
                       oauth_token_secret=access.get("oauth_token_secret"))
    return store(new, env, "the new token", access.get("username"))


def app_keys(config: Config, env: Environment, redactor: RedactingFilter) -> tuple[str, str] | None:
    """The app's API key and secret: from the environment or config, else asked for; None when not given."""
    api_key, api_secret = config.api_key, config.api_secret
    if not (api_key and api_secret):
        env.stderr.write("An API key and secret come from Flickr's App Garden: https://www.flickr.com/services/apps/create/\n")
        api_key = api_key or _ask(env, "API key: ")
        api_secret = api_secret or _ask(env, "API secret: ", secret=True)
        if not (api_key and api_secret):
            env.stderr.write("flickr-replace: an API key and secret are needed\n")
            return None
    redactor.add(api_secret)
    return api_key, api_secret


def store(new: Config, env: Environment, what: str, username: str | None = None) -> int:
    """Save `new`'s credentials in its config file (mode 0600), once flickr.test.login accepts them."""
    user, refusal = logged_in(new)
    if user is None:
        env.stderr.write(f"flickr-replace: {what} does not work: {refusal}; nothing stored\n")
        return ExitStatus.FAILED
    return save(new, env, user, username)


def logged_in(new: Config) -> tuple[dict | None, str]:
    """(flickr.test.login's user, "") for credentials Flickr accepts, else (None, why not)."""
    from ..flickr.client import FlickrClient

    client = FlickrClient(new)
    try:
        return client.test_login(), ""
    except FlickrFailure as exc:
        return None, exc.error.message
    finally:
        client.close()


def save(new: Config, env: Environment, user: dict, username: str | None = None) -> int:
    path = Path(new.path) if new.path else UserDirs.from_env(env.env).config_file
    save_credentials(path, {"api_key": new.api_key, "api_secret": new.api_secret,
                            "oauth_token": new.oauth_token, "oauth_token_secret": new.oauth_token_secret})
    name = user.get("username", {}).get("_content") if isinstance(user.get("username"), dict) else user.get("username")
    env.stdout.write(f"authorised as {name or username or user.get('id')}; token stored in {path} (mode 0600)\n")
    return ExitStatus.OK
