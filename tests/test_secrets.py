"""Secrets and trust: the token is stored for its owner only, no secret is ever printed, TLS is
never turned off, and plain http goes nowhere but this machine."""
from __future__ import annotations

import json
import re
import signal
import ssl
import stat
import subprocess
from pathlib import Path

import pytest
import requests
import yaml
from clirun import Started, assert_clean, cli, command, sandbox_env, secrets_of, wait_until

import flickr_replace_plugin
from flickr_replace_plugin.config import check_base_url
from flickr_replace_plugin.errors import ConfigError
from flickr_replace_plugin.flickr.transport import tls
from flickr_replace_plugin.sandbox import Sandbox

PACKAGE = Path(flickr_replace_plugin.__file__).parent


@pytest.fixture
def photo(sandbox: Sandbox, make_jpeg) -> tuple[str, str]:
    pid = sandbox.add_photo(make_jpeg("old.jpg").read_bytes())
    return str(make_jpeg("export.jpg")), pid


def test_auth_stores_the_token_for_its_owner_only_and_prints_no_secret(sandbox, cli_env, tmp_path):
    config = tmp_path / "config" / "flickr-replace.yaml"
    env = {k: v for k, v in cli_env.items() if not k.startswith("FLICKR_OAUTH_")}
    env["FLICKR_REPLACE_CONFIG"] = str(config)
    proc = subprocess.Popen(command(["auth", "-vv"]), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    seen = []
    while not (url := re.fullmatch(r"  (http\S+/authorize\S+)\n", seen[-1] if seen else "")):
        line = proc.stderr.readline()
        assert line, "auth ended before showing the authorize page:\n" + "".join(seen)
        seen.append(line)
    page = requests.get(url.group(1), timeout=10)  # the user opens the page and reads the code
    verifier = re.search(r'<code id="verifier">([^<]+)</code>', page.text).group(1)
    out, err = proc.communicate(verifier + "\n", timeout=30)
    err = "".join(seen) + err
    assert proc.returncode == 0, err
    assert "authorised as sandbox" in out

    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    stored = yaml.safe_load(config.read_text())
    assert {k: stored[k] for k in sandbox.credentials} == sandbox.credentials
    assert_clean(out + err, [*secrets_of(cli_env), verifier])
    assert "oauth_signature" in err and "Signature: ***" in err  # it did log the signing, masked

    from_file_only = {k: v for k, v in env.items() if k not in ("FLICKR_API_KEY", "FLICKR_API_SECRET")}
    later = cli(["status", "--json"], from_file_only)  # the stored token works on its own
    assert later.returncode == 0 and json.loads(later.stdout)["username"]["_content"] == "sandbox"


def test_a_config_with_secrets_readable_by_others_is_refused_with_the_fix(cli_env, tmp_path, photo):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"api_secret": "s3cr3t-in-the-file", "oauth_token_secret": "t0ken-s3cr3t"}))
    config.chmod(0o644)
    env = {**cli_env, "FLICKR_REPLACE_CONFIG": str(config)}
    for args in (["replace", photo[0], "--photo-id", photo[1]], ["status"], ["tickets"]):
        ran = cli(args, env, secrets=["s3cr3t-in-the-file", "t0ken-s3cr3t"])
        assert ran.returncode == 2 and ran.stdout == ""
        assert ran.stderr == f"flickr-replace: config file {config} holds secrets and is readable by others; " \
                             f"fix it with: chmod 600 {config}\n"
    config.chmod(0o600)
    assert cli(["tickets"], env).returncode == 0


def test_a_config_without_secrets_may_be_readable(cli_env, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("retries: 2\ntimeout: 30\n")
    config.chmod(0o644)
    assert cli(["tickets"], {**cli_env, "FLICKR_REPLACE_CONFIG": str(config)}).returncode == 0


def test_every_command_at_every_verbosity_keeps_the_secrets(sandbox, cli_env, tmp_path, photo):
    """Each run is checked by `cli`: no consumer secret, token secret or signature in any output."""
    path, pid = photo
    missing = str(tmp_path / "missing.jpg")
    wrong_secret = {**cli_env, "FLICKR_API_SECRET": "0123456789abcdef"}
    wrong_token = {**cli_env, "FLICKR_OAUTH_TOKEN_SECRET": "fedcba9876543210"}
    runs = [
        (["replace", path, "--photo-id", pid, "-vv", "--json"], cli_env, 0),
        (["replace", path, "--photo-id", pid, "-v", "--sync"], cli_env, 0),
        (["replace", path, "--photo-id", pid, "-vv", "--no-wait"], cli_env, 0),
        (["tickets", "-vv", "--json"], cli_env, 0),
        (["replace", path, missing, "--photo-id", pid, "-vv"], cli_env, 1),
        (["replace", path, "--photo-id", pid, "-vv", "--json"], wrong_secret, 1),
        (["replace", path, "--photo-id", pid, "-vv"], wrong_token, 1),
        (["status", "-vv"], cli_env, 0),
        (["status", "-vv", "--json"], wrong_secret, 1),
        (["resolve", path, "-vv", "--json"], cli_env, 1),
        (["plugins", "-vv"], cli_env, 0),
        (["replace", path, "--photo-id", pid, "-vv"], {**cli_env, "FLICKR_REPLACE_BASE_URL": "http://example.com"}, 2),
    ]
    real = secrets_of(cli_env)
    for args, env, status in runs:
        ran = cli(args, env, secrets=real)
        assert ran.returncode == status, (args, ran.stderr)
    refused = cli(["replace", path, "--photo-id", pid, "--json"], wrong_secret, secrets=real)
    assert json.loads(refused.stdout)["error"]["code"] == 96


def test_an_interrupted_run_keeps_the_secrets_too(tmp_path, cli_env, photo):
    with Sandbox(data_dir=tmp_path / "sb", ticket_delay=30) as slow:
        env = sandbox_env(cli_env, slow)
        pid = slow.add_photo(Path(photo[0]).read_bytes())
        run = Started(["replace", photo[0], "--photo-id", pid, "-vv"], env, tmp_path / "run.out")
        wait_until(lambda: "checkTickets" in run.err.read_text(), what="the run to poll its ticket")
        ran = run.finish(signal.SIGTERM)  # `finish` checks the output as `cli` does
        assert ran.returncode == 143


def test_tls_verification_is_never_disabled():
    sources = {path: path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py")}
    for pattern in (r"verify\s*=\s*False", r"CERT_NONE", r"check_hostname\s*=\s*False", r"disable_warnings",
                    r"_create_unverified_context"):
        offenders = [str(p.relative_to(PACKAGE)) for p, text in sources.items() if re.search(pattern, text)]
        assert offenders == [], f"{pattern} in {offenders}"
    context = tls()  # what every HTTPS connection to Flickr is made with
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True


@pytest.mark.parametrize("base, allowed", [
    ("http://127.0.0.1:8080", True),
    ("http://127.3.4.5", True),
    ("http://localhost:5000", True),
    ("http://[::1]:80", True),
    ("https://flickr.example.com", True),
    ("http://flickr.example.com", False),
    ("http://192.168.1.20:8080", False),
    ("http://localhost.example.com", False),
    ("http://127.0.0.1.example.com", False),
    ("http://0.0.0.0:8080", False),
    ("ftp://127.0.0.1", False),
    ("127.0.0.1:8080", False),
])
def test_plain_http_only_to_this_machine(base, allowed):
    if allowed:
        check_base_url(base)
    else:
        with pytest.raises(ConfigError):
            check_base_url(base)


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as the kernel lists them) listening on `port`."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc/net/tcp")
def test_the_sandbox_listens_on_loopback_only_by_default(tmp_path, cli_env):
    proc = subprocess.Popen(command(["sandbox", "--data", str(tmp_path / "sb")]), env=cli_env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = json.loads(proc.stdout.readline())
        port = int(first["base_url"].rsplit(":", 1)[1])
        assert first["base_url"] == f"http://127.0.0.1:{port}"
        assert _listening(port) == ["0100007F"]  # 127.0.0.1, and no other address
    finally:
        proc.terminate()
        proc.wait(10)


def test_vv_masks_the_api_key_the_token_and_every_oauth_header_value(sandbox, cli_env, photo):
    path, pid = photo
    ran = cli(["replace", path, "--photo-id", pid, "-vv", "--json"], cli_env)
    assert ran.returncode == 0, ran.stderr
    err = ran.stderr
    assert "Authorization: OAuth " in err, "the signing is logged at -vv"
    for name in ("FLICKR_API_KEY", "FLICKR_OAUTH_TOKEN"):
        assert cli_env[name] not in err, f"-vv printed {name} in clear"
    header_values = re.findall(r'(oauth_\w+)="([^"]*)"', err)
    assert header_values and all(value == "***" for _, value in header_values), header_values
    assert {"oauth_consumer_key", "oauth_token", "oauth_nonce"} <= {name for name, _ in header_values}
    assert 'OAuth ***"' not in err
