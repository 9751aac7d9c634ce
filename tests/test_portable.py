"""Without the POSIX-only parts of Python, as on Windows: every module imports, and the demo, an
async replace finished by `tickets`, and `auth`'s saved credentials give what they give on Linux."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import requests
import yaml

import flickr_replace_plugin
from clirun import saved_tickets

POSIX_ONLY = ("fcntl", "resource", "termios", "pwd", "grp")
# Runs before the package loads: POSIX-only modules cannot be imported, os.fchmod is gone
# (Windows before Python 3.13), then the real console entry point runs with the given argv.
WRAPPER = f"""
import os, sys
BLOCKED = {POSIX_ONLY!r}
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"No module named {{name!r}} (blocked, as on Windows)")
        return None
for name in BLOCKED:
    sys.modules.pop(name, None)
sys.meta_path.insert(0, Blocker())
if hasattr(os, "fchmod"):
    del os.fchmod
"""
RUN = WRAPPER + """
import warnings; warnings.simplefilter("ignore")  # filelock notes it falls back to a soft lock
from flickr_replace_plugin.cli import run
sys.argv = ["flickr-replace", *sys.argv[1:]]
run()
"""
ROOT = Path(flickr_replace_plugin.__file__).resolve().parent


def without_posix(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUN, *args], env=env, capture_output=True, text=True,
                          timeout=120, **kw)


def test_every_module_imports_without_posix_only_modules():
    modules = sorted(".".join(p.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")
                     for p in ROOT.rglob("*.py") if p.name != "__main__.py")
    code = WRAPPER + f"""
import importlib
for name in {modules!r}:
    importlib.import_module(name)
leaked = sorted(m for m in {POSIX_ONLY!r} if m in sys.modules)
assert not leaked, leaked
print(len({modules!r}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) == len(modules) > 40


def test_demo_without_posix(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLICKR_", "XDG_"))}
    env["HOME"] = str(tmp_path)
    proc = without_posix(["demo"], env)
    assert proc.returncode == 0, proc.stderr
    assert "replaced" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_async_replace_then_tickets_without_posix(sandbox, cli_env, make_jpeg, tmp_path):
    pid = sandbox.add_photo(make_jpeg("old.jpg").read_bytes())
    export = make_jpeg("export.jpg")
    first = without_posix(["replace", str(export), "--photo-id", pid, "--no-wait", "--json"], cli_env)
    assert first.returncode == 0, first.stderr
    [pending] = map(json.loads, first.stdout.splitlines())
    assert pending["status"] == "pending" and re.fullmatch(r"[\d-]+", pending["ticket_id"])
    assert list(saved_tickets(tmp_path / "state")) == [pending["ticket_id"]]

    later = without_posix(["tickets", "--json"], cli_env)
    assert later.returncode == 0, later.stderr
    [done] = map(json.loads, later.stdout.splitlines())
    assert done["status"] == "replaced" and done["photo_id"] == pid
    assert saved_tickets(tmp_path / "state") == {}


def test_auth_saves_credentials_without_posix(sandbox, cli_env, tmp_path):
    config = tmp_path / "config" / "config.yaml"
    env = {k: v for k, v in cli_env.items() if not k.startswith("FLICKR_OAUTH_")}
    env["FLICKR_REPLACE_CONFIG"] = str(config)
    proc = subprocess.Popen([sys.executable, "-c", RUN, "auth"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    while not (url := re.fullmatch(r"  (http\S+/authorize\S+)\n", seen[-1] if seen else "")):
        line = proc.stderr.readline()
        assert line, "auth ended before showing the authorize page:\n" + "".join(seen)
        seen.append(line)
    verifier = re.search(r'<code id="verifier">([^<]+)</code>', requests.get(url.group(1), timeout=10).text).group(1)
    out, err = proc.communicate(verifier + "\n", timeout=60)
    assert proc.returncode == 0, "".join(seen) + err
    assert "authorised as sandbox" in out
    assert config.stat().st_mode & 0o777 == 0o600
    stored = yaml.safe_load(config.read_text())
    assert {k: stored[k] for k in sandbox.credentials} == sandbox.credentials


def test_a_config_on_windows_is_not_refused_for_modes_windows_cannot_set(tmp_path, monkeypatch, caplog):
    from flickr_replace_plugin import config as config_module

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"api_key": "k", "api_secret": "s"}))
    path.chmod(0o666)  # what os.stat reports for every file on Windows
    monkeypatch.setattr(config_module.os, "name", "nt")
    monkeypatch.setattr(config_module, "_noted_windows_modes", False)
    with caplog.at_level("INFO", logger="flickr_replace"):
        assert config_module.read_config_file(path)["api_secret"] == "s"
        config_module.read_config_file(path)
    assert [r.getMessage() for r in caplog.records].count(
        f"not checking who can read {path}: Windows keeps that in the file's ACL (your user profile folder is private by default)") == 1
