"""`flickr-replace auth`: OAuth 1.0a with 'write' permission and an out-of-band verifier."""
from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from .env import Environment, ExitStatus
from ..config import Config, UserDirs, save_credentials
from .redact import RedactingFilter
from ..flickr.responses import FlickrFailure


TOKEN_SECONDS = 30.0  # each token request, answer included


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


# Where the dance reads an oauth_problem differently from an API call (the token is the request's).
_DANCE = {
    "token_rejected": "the authorisation request was not accepted (expired?): run `flickr-replace auth` again",
    "token_expired": "the authorisation request expired: run `flickr-replace auth` again and be quicker",
    "permission_unknown": "access was not allowed yet: open the page, allow 'write' access, then type its code",
    "parameter_rejected": "the code was not accepted: type the code the page shows for this run, "
                          "and run `flickr-replace auth` again",
}
TOKEN_ANSWER = 64 * 1024  # a token answer is a few hundred bytes


class Refused(Exception):
    """A token endpoint answered, but not with a token."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.body = status, body


def refusal_words(exc: Exception) -> str:
    """Why the OAuth step failed, in words, without quoting the answer (it may hold tokens)."""
    if isinstance(exc, FlickrFailure):  # the network: no answer, a slow one, one too large
        return f"{exc.error.message}; check your connection (or base_url) and try again"
    if isinstance(exc, Refused):
        from urllib.parse import parse_qs

        from ..flickr.oauthproblems import problem_of

        text = exc.body[:4096].decode("utf-8", "replace").strip()
        problem = parse_qs(text).get("oauth_problem", [""])[0]
        if problem in _DANCE:
            return _DANCE[problem]
        if problem or exc.status == 401:
            return problem_of(problem).advice
        return f"Flickr refused it (HTTP {exc.status}): try again later"
    return f"Flickr's answer was not what OAuth expects ({type(exc).__name__}): try again"


def _token(session: Any, url: str, what: str, **signer: str) -> dict[str, str]:
    """One signed token request (request_token, access_token) and its form-encoded answer, read
    within a deadline and a size cap like every other answer."""
    from urllib.parse import parse_qsl

    from oauthlib.oauth1 import Client

    from ..flickr.transport import exchange

    _, headers, _ = Client(**signer).sign(url, http_method="POST")
    answer = exchange(session, "POST", url, what=what, seconds=TOKEN_SECONDS, cap=TOKEN_ANSWER, headers=headers)
    if answer.status != 200:
        raise Refused(answer.status, answer.body)
    fields = dict(parse_qsl(answer.body.decode("utf-8", "replace")))
    if not fields.get("oauth_token") or not fields.get("oauth_token_secret"):
        raise ValueError("no token in the answer")
    return fields


def authorize(config: Config, env: Environment, redactor: RedactingFilter) -> int:
    try:
        return _authorize(config, env, redactor)
    except Aborted:
        env.stderr.write("\nflickr-replace: aborted at the prompt; nothing stored\n")
        return ExitStatus.USAGE


def _authorize(config: Config, env: Environment, redactor: RedactingFilter) -> int:
    from urllib.parse import urlencode

    from ..flickr.client import USER_AGENT
    from ..flickr.transport import new_session

    keys = app_keys(config, env, redactor)
    if keys is None:
        return ExitStatus.USAGE
    api_key, api_secret = keys
    endpoints = config.endpoints
    session = new_session(USER_AGENT)
    try:
        request_token = _token(session, endpoints.request_token, "request token", client_key=api_key,
                               client_secret=api_secret, callback_uri="oob")
        redactor.add(request_token.get("oauth_token_secret"), request_token.get("oauth_token"))
        url = f"{endpoints.authorize}?{urlencode({'oauth_token': request_token['oauth_token'], 'perms': 'write'})}"
        env.stderr.write(f"Open this page, allow 'write' access, and type the code Flickr shows:\n  {url}\n")
        verifier = _ask(env, "Code: ", secret=False)
        if not verifier:
            env.stderr.write("flickr-replace: no code given; nothing stored\n")
            return ExitStatus.USAGE
        redactor.add(verifier)
        access = _token(session, endpoints.access_token, "access token", client_key=api_key,
                        client_secret=api_secret, resource_owner_key=request_token["oauth_token"],
                        resource_owner_secret=request_token["oauth_token_secret"], verifier=verifier)
    except (Refused, FlickrFailure, ValueError, KeyError) as exc:
        # say why in our own words only: an answer could quote a token
        env.stderr.write(f"flickr-replace: authorisation failed: {refusal_words(exc)}; nothing stored\n")
        return ExitStatus.FAILED
    finally:
        session.close()
    redactor.add(access.get("oauth_token_secret"), access.get("oauth_token"))
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
    redactor.add(api_secret, api_key)
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
