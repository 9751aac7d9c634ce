"""`flickr-replace auth --from-flickrapi`: reuse the token flickrapi saved, so its users need not
authorise again. flickrapi keeps one token per (API key, lookup key) in an SQLite file; it is read
here directly (flickrapi need not be installed) and never written."""
from __future__ import annotations

import argparse
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .env import Environment, ExitStatus
from .hosts import home_dir

if TYPE_CHECKING:
    from ..config import Config
    from .redact import RedactingFilter

CACHE_NAME = "oauth-tokens.sqlite"
WRITABLE = ("write", "delete")  # flickrapi's access levels that can replace a photo ('read' cannot)


def add_auth_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    a = sub.add_parser("auth", parents=[common], help="authorise this tool for your Flickr account ('write')")
    a.add_argument("--from-flickrapi", action="store_true",
                   help=f"take the token flickrapi saved for this API key (~/.flickr/{CACHE_NAME}) "
                        "instead of authorising again")
    a.add_argument("--flickrapi-cache", metavar="PATH",
                   help=f"flickrapi's token cache: its {CACHE_NAME} or the folder holding it (implies --from-flickrapi)")
    return a


def cache_file(given: str | None, env: Environment) -> Path:
    """flickrapi's token database: the one given (file or folder), else where flickrapi keeps it."""
    path = env.path(given) if given else home_dir(env.env) / ".flickr" / CACHE_NAME
    path = path / CACHE_NAME if path.is_dir() else path
    if not path.is_file():
        hint = "check the path" if given else "give --flickrapi-cache PATH if yours is elsewhere"
        raise ConfigError(f"no flickrapi token cache at {path} ({hint}; or run `flickr-replace auth` "
                          "to authorise this tool itself)")
    return path


def _rows(path: Path, api_key: str) -> tuple[list[tuple[str, ...]], int]:
    """(the tokens for `api_key`, how many other API keys have one), read-only."""
    import sqlite3

    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            rows = db.execute("SELECT lookup_key, oauth_token, oauth_token_secret, access_level, username "
                              "FROM oauth_tokens WHERE api_key = ? ORDER BY lookup_key", (api_key,)).fetchall()
            others = db.execute("SELECT COUNT(DISTINCT api_key) FROM oauth_tokens WHERE api_key != ?",
                                (api_key,)).fetchone()[0]
    except sqlite3.Error as exc:
        raise ConfigError(f"{path} is not a flickrapi token cache ({exc}); give the oauth-tokens.sqlite "
                          "flickrapi wrote") from None
    return [tuple(str(v or "") for v in row) for row in rows], int(others)


def import_token(config: Config, env: Environment, redactor: RedactingFilter, given: str | None) -> int:
    from .auth import Aborted, app_keys, logged_in, save

    path = cache_file(given, env)
    try:
        keys = app_keys(config, env, redactor)
    except Aborted:
        env.stderr.write("\nflickr-replace: aborted at the prompt; nothing stored\n")
        return ExitStatus.USAGE
    if keys is None:
        return ExitStatus.USAGE
    rows, others = _rows(path, keys[0])
    for row in rows:
        redactor.add(row[2], row[1])  # the secret, and the token itself (masked at -vv too)
    if not rows:
        held = f"it holds tokens for {others} other API key(s), and " if others else ""
        raise ConfigError(f"flickrapi has no token for this API key in {path}: {held}a token works only with "
                          "the key it was made for (set FLICKR_API_KEY and FLICKR_API_SECRET to that app's)")
    writable = [row for row in rows if row[3].lower() in WRITABLE]
    if not writable:
        raise ConfigError(f"the token flickrapi saved for {rows[0][4] or 'this key'} has '{rows[0][3]}' access "
                          "only, and replacing a photo needs 'write': run `flickr-replace auth` to authorise "
                          "with 'write' (nothing stored)")
    refusals = []
    for lookup, token, secret, _, username in writable:  # flickrapi's default lookup key ('') first
        new = config.with_(api_key=keys[0], api_secret=keys[1], oauth_token=token, oauth_token_secret=secret)
        user, refusal = logged_in(new)
        if user is not None:
            return save(new, env, user, username)
        refusals.append(f"{username or lookup or 'a token'}: {refusal}" if len(writable) > 1 else refusal)
    env.stderr.write(f"flickr-replace: flickrapi's token does not work: {'; '.join(refusals)}; nothing stored\n")
    return ExitStatus.FAILED
