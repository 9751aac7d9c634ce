"""Configuration as a user meets it: exit 2 with one line for every mistake, nothing sent."""
from __future__ import annotations

import os
import stat

import pytest

from clirun import cli
from flickr_replace_plugin.config import load_config


def run(args, env):
    return cli(args, env, secrets=["s3cr3t-value"])


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLICKR_")}
    clean.update(HOME=str(tmp_path), FLICKR_REPLACE_CONFIG=str(tmp_path / "config.yaml"),
                 FLICKR_REPLACE_STATE_DIR=str(tmp_path / "state"))
    return clean


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "p.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    return str(path)


def write_config(env, text, mode=0o600):
    path = env["FLICKR_REPLACE_CONFIG"]
    with open(path, "w") as fh:
        fh.write(text)
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("text, mode, expected", [
    ("api_key: [unclosed\n", 0o600, "not valid YAML"),
    ("- just\n- a list\n", 0o600, "must be a YAML mapping"),
    ("api_kye: abc\n", 0o600, "unknown key(s) api_kye"),
    ("api_key: k\napi_secret: s3cr3t-value\n", 0o644, "chmod 600"),
    ("retries: many\n", 0o600, "retries must be"),
    ("http_timeout: 0\n", 0o600, "http_timeout must be a number of seconds above 0, not 0"),
    ("backoff: -1\n", 0o600, "backoff must be a number of seconds, 0 or more, not -1"),
    ("calls_per_hour: 0\n", 0o600, "calls_per_hour must be a whole number, at least 1, not 0"),
    ("jobs: -1\n", 0o600, "jobs must be a whole number, at least 1, not -1"),
    ("jobs: 2.5\n", 0o600, "jobs must be a whole number"),
    ("retries: -3\n", 0o600, "retries must be a whole number, at least 1, not -3"),
    ("timeout: -1\n", 0o600, "timeout must be a number of seconds, 0 or more, not -1"),
    ("timeout: .nan\n", 0o600, "timeout must be a number of seconds"),
    ('record: "maybe"\n', 0o600, "record must be true or false (also yes/no, on/off, 1/0), not 'maybe'"),
    ("limit_rate: 0\n", 0o600, "limit_rate must be bytes per second, e.g. 500k or 2M, not 0"),
    ("limit_rate: fast\n", 0o600, "limit_rate must be bytes per second"),
    ("privacy: secret\n", 0o600, "privacy must be one of private, friends, family, friends-and-family, public, not 'secret'"),
    ("backup: perhaps\n", 0o600, "backup must be true or false"),
    ("backup_dir: [a, b]\n", 0o600, "backup_dir must be a folder"),
    ("base_url: http://flickr.example.com\n", 0o600, "SSL is required"),
])
def test_bad_config_exits_2_with_one_line(env, photo, text, mode, expected):
    write_config(env, text, mode)
    proc = run(["replace", photo, "--photo-id", "1"], env)
    assert proc.returncode == 2
    assert expected in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert "s3cr3t-value" not in proc.stderr


@pytest.mark.parametrize("command", [["resolve"], ["link"]], ids=["resolve", "link"])
def test_a_broken_config_stops_every_command_that_reads_files(env, photo, command):
    write_config(env, "jobs: -1\n")
    proc = run([*command, photo], env)
    assert proc.returncode == 2 and "jobs must be a whole number" in proc.stderr and proc.stdout == ""


def test_no_credentials_says_how_to_get_them(env, photo):
    proc = run(["replace", photo, "--photo-id", "1"], env)
    assert proc.returncode == 2 and "flickr-replace auth" in proc.stderr


def test_environment_wins_over_the_file(env):
    write_config(env, "api_key: from-file\napi_secret: file-secret\nretries: 7\n")
    config = load_config(dict(env, FLICKR_API_KEY="from-env"))
    assert (config.api_key, config.api_secret, config.retries) == ("from-env", "file-secret", 7)


def test_missing_config_is_not_an_error(env):
    assert load_config(env).api_key is None


@pytest.mark.parametrize("base", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9", "https://flickr.example.com"])
def test_loopback_http_and_any_https_are_allowed(env, base):
    assert load_config(dict(env, FLICKR_REPLACE_BASE_URL=base)).endpoints.replace == base + "/services/replace/"


def test_saved_credentials_are_private(env, tmp_path):
    from pathlib import Path

    from flickr_replace_plugin.config import save_credentials

    path = Path(env["FLICKR_REPLACE_CONFIG"])
    save_credentials(path, {"api_key": "k", "api_secret": "s"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(env).api_secret == "s"


@pytest.mark.parametrize("text, key, value", [
    ("limit_rate: 2M\n", "limit_rate", 2 << 20),  # as the command line's --limit-rate 2M
    ("limit_rate: 500k\n", "limit_rate", 500 << 10),
    ('record: "on"\n', "record", True),
    ('record: "0"\n', "record", False),
    ("privacy: Friends-and-Family\n", "privacy", "friends-and-family"),
    ("backup: no\n", "backup", False),
    ("timeout: 0\n", "timeout", 0.0),  # report pending at once
    ("jobs:\n", "jobs", 1),  # left empty: the default
])
def test_good_settings_load_as_the_config_reads_them(env, text, key, value):
    write_config(env, text)
    assert getattr(load_config(env), key) == value


def test_the_python_api_refuses_what_the_config_file_refuses(env, photo):
    from flickr_replace_plugin import ConfigError, replace

    with pytest.raises(ConfigError, match="jobs must be a whole number, at least 1, not -1"):
        replace(photo, photo_id="1", dry_run=True, jobs=-1, config=load_config(env))


def test_the_command_line_refuses_with_the_same_words(env, photo):
    proc = run(["replace", photo, "--photo-id", "1", "--jobs", "0"], env)
    assert proc.returncode == 2 and "--jobs: must be a whole number, at least 1, not '0'" in proc.stderr
    proc = run(["replace", photo, "--photo-id", "1", "--dry-run", "--limit-rate", "2M"], env)
    assert proc.returncode == 0, proc.stderr
