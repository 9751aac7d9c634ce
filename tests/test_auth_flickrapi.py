"""`flickr-replace auth --from-flickrapi`: a token flickrapi saved is checked and stored, so a
flickrapi user replaces photos without authorising again; one that cannot replace is refused."""
from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest
import yaml
from clirun import cli

from flickr_replace_plugin.sandbox import Sandbox

flickrapi = pytest.importorskip("flickrapi")
from flickrapi.auth import FlickrAccessToken  # noqa: E402
from flickrapi.tokencache import OAuthTokenCache  # noqa: E402


def flickrapi_saves(folder: Path, api_key: str, token: str, secret: str, access: str = "write",
                    lookup_key: str = "") -> Path:
    """The token cache flickrapi itself writes after its own authorisation."""
    cache = OAuthTokenCache(api_key, lookup_key=lookup_key, path=str(folder))
    cache.token = FlickrAccessToken(token, secret, access, "Sandbox User", "sandbox", "12345678@N00")
    OAuthTokenCache.RAM_CACHE.clear()  # flickrapi's process-wide memo; nothing of ours reads it
    return Path(cache.filename)


@pytest.fixture
def app_env(cli_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The app's key and secret known, no token yet, and a config file to store one in."""
    env = {k: v for k, v in cli_env.items() if not k.startswith("FLICKR_OAUTH_")}
    env["FLICKR_REPLACE_CONFIG"] = str(tmp_path / "config" / "config.yaml")
    return env


def test_a_write_token_is_stored_and_a_replace_then_works(sandbox: Sandbox, app_env, make_jpeg, tmp_path):
    creds = sandbox.credentials
    home = Path(app_env["HOME"])
    flickrapi_saves(home / ".flickr", creds["api_key"], creds["oauth_token"], creds["oauth_token_secret"])
    flickrapi_saves(home / ".flickr", "another-apps-key", "other-token", "other-secret")
    ran = cli(["auth", "--from-flickrapi"], app_env, secrets=[creds["oauth_token_secret"]])
    assert ran.returncode == 0, ran.stderr
    config = Path(app_env["FLICKR_REPLACE_CONFIG"])
    assert ran.stdout == f"authorised as sandbox; token stored in {config} (mode 0600)\n"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert yaml.safe_load(config.read_text(encoding="utf-8")) == creds

    pid = sandbox.add_photo(make_jpeg("old.jpg").read_bytes())
    export = make_jpeg("export.jpg")
    file_only = {k: v for k, v in app_env.items() if k not in ("FLICKR_API_KEY", "FLICKR_API_SECRET")}
    replaced = cli(["replace", str(export), "--photo-id", pid, "--json"], file_only)
    assert replaced.returncode == 0, replaced.stderr
    assert replaced.results()[0]["status"] == "replaced"
    assert sandbox.photo(pid).sha256 == hashlib.sha256(export.read_bytes()).hexdigest()


def test_named_cache_and_named_config_the_token_goes_there(sandbox: Sandbox, app_env, tmp_path):
    creds = sandbox.credentials
    cache = flickrapi_saves(tmp_path / "elsewhere", creds["api_key"], creds["oauth_token"],
                            creds["oauth_token_secret"], access="delete", lookup_key="sandbox")
    target = tmp_path / "new" / "flickr.yaml"  # not there yet: auth creates it
    for given in (cache, cache.parent):  # the file itself, or the folder flickrapi was given
        ran = cli(["--config", str(target), "auth", "--flickrapi-cache", str(given)], app_env, process=True)
        assert ran.returncode == 0, ran.stderr
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert yaml.safe_load(target.read_text(encoding="utf-8")) == creds
        target.unlink()
    assert not Path(app_env["FLICKR_REPLACE_CONFIG"]).exists()


def test_a_read_token_is_refused_and_nothing_is_stored(sandbox: Sandbox, app_env):
    creds = sandbox.credentials
    flickrapi_saves(Path(app_env["HOME"]) / ".flickr", creds["api_key"], creds["oauth_token"],
                    creds["oauth_token_secret"], access="read")
    ran = cli(["auth", "--from-flickrapi"], app_env, secrets=[creds["oauth_token_secret"]])
    assert ran.returncode == 2 and ran.stdout == ""
    assert "'read' access only" in ran.stderr and "needs 'write'" in ran.stderr
    assert "flickr-replace auth" in ran.stderr
    assert not Path(app_env["FLICKR_REPLACE_CONFIG"]).exists()
    assert sandbox.requests == []  # refused before anything was sent


def test_a_token_flickr_does_not_accept_is_not_stored(sandbox: Sandbox, app_env):
    creds = sandbox.credentials
    flickrapi_saves(Path(app_env["HOME"]) / ".flickr", creds["api_key"], "revoked-token", "revoked-secret")
    ran = cli(["auth", "--from-flickrapi"], app_env, secrets=["revoked-secret"])
    assert ran.returncode == 1 and ran.stdout == ""
    assert ran.stderr.startswith("flickr-replace: flickrapi's token does not work: ")
    assert ran.stderr.endswith("; nothing stored\n")
    assert not Path(app_env["FLICKR_REPLACE_CONFIG"]).exists()


def test_a_missing_cache_says_where_it_looked(app_env, tmp_path):
    expected = Path(app_env["HOME"]) / ".flickr" / "oauth-tokens.sqlite"
    ran = cli(["auth", "--from-flickrapi"], app_env)
    assert ran.returncode == 2 and ran.stdout == ""
    assert f"no flickrapi token cache at {expected}" in ran.stderr and "--flickrapi-cache" in ran.stderr
    given = tmp_path / "nope.sqlite"
    named = cli(["auth", "--flickrapi-cache", str(given)], app_env)
    assert named.returncode == 2 and f"no flickrapi token cache at {given}" in named.stderr


def test_a_cache_without_this_apps_key_says_so(sandbox: Sandbox, app_env, tmp_path):
    flickrapi_saves(Path(app_env["HOME"]) / ".flickr", "another-apps-key", "t", "s")
    ran = cli(["auth", "--from-flickrapi"], app_env)
    assert ran.returncode == 2
    assert "no token for this API key" in ran.stderr and "1 other API key(s)" in ran.stderr
    not_a_cache = tmp_path / "photo.sqlite"
    not_a_cache.write_bytes(b"not a database at all" * 100)
    ran = cli(["auth", "--flickrapi-cache", str(not_a_cache)], app_env)
    assert ran.returncode == 2 and "is not a flickrapi token cache" in ran.stderr
    assert not Path(app_env["FLICKR_REPLACE_CONFIG"]).exists()


def test_of_several_tokens_for_the_key_the_one_flickr_accepts_is_stored(sandbox: Sandbox, app_env):
    creds = sandbox.credentials
    folder = Path(app_env["HOME"]) / ".flickr"
    flickrapi_saves(folder, creds["api_key"], "stale-token", "stale-secret")  # flickrapi's default lookup key
    flickrapi_saves(folder, creds["api_key"], "read-token", "read-secret", access="read", lookup_key="a")
    flickrapi_saves(folder, creds["api_key"], creds["oauth_token"], creds["oauth_token_secret"], lookup_key="b")
    ran = cli(["auth", "--from-flickrapi"], app_env, secrets=["stale-secret", "read-secret"])
    assert ran.returncode == 0, ran.stderr
    assert yaml.safe_load(Path(app_env["FLICKR_REPLACE_CONFIG"]).read_text(encoding="utf-8")) == creds


def test_a_symlinked_config_is_written_through_the_link_and_keeps_its_comments(sandbox: Sandbox, app_env, tmp_path):
    creds = sandbox.credentials
    flickrapi_saves(Path(app_env["HOME"]) / ".flickr", creds["api_key"], creds["oauth_token"],
                    creds["oauth_token_secret"])
    real = tmp_path / "dotfiles" / "flickr-replace.yaml"
    real.parent.mkdir()
    real.write_text("# my settings, kept in my dotfiles\nbackup: false  # I keep my own\n"
                    "# the key below is the app's\njobs: 2\n", encoding="utf-8")
    real.chmod(0o600)
    link = Path(app_env["FLICKR_REPLACE_CONFIG"])
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    ran = cli(["auth", "--from-flickrapi"], app_env, secrets=[creds["oauth_token_secret"]])
    assert ran.returncode == 0, ran.stderr
    assert link.is_symlink() and link.resolve() == real.resolve()
    text = real.read_text(encoding="utf-8")
    assert text.startswith("# my settings, kept in my dotfiles\nbackup: false  # I keep my own\n"
                           "# the key below is the app's\njobs: 2\n")
    assert yaml.safe_load(text) == {"backup": False, "jobs": 2, **creds}
