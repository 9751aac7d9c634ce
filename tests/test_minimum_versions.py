"""MINIMUM VERSIONS: the runtime dependencies at exactly the versions pyproject.toml declares.

A fresh venv gets `pkg==min` for every `pkg>=min` of `[project] dependencies` (from PyPI, as CI
installs them; about 15 s), then a smoke subset runs in it against this checkout: the demo (a
sandbox, OAuth signing, uploads, tickets), XMP refused for a DTD and for broken XML (defusedxml),
a config file (PyYAML) and the progress bar (tqdm). Raising a minimum means this must pass.
Deselect with `-m "not minimum_versions"` where there is no package index.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.minimum_versions


def minimums() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^dependencies = \[(.*?)^\]", text, re.MULTILINE | re.DOTALL).group(1)
    pins = re.findall(r'"([A-Za-z0-9_.-]+)>=([0-9][^",;\s]*)"', block)
    assert pins and len(pins) == block.count('"') // 2, "every runtime dependency declares a minimum"
    return [f"{name}=={version}" for name, version in pins]


SMOKE = r"""
import io, sys
from pathlib import Path
from flickr_replace_plugin import resolve_photo_id
folder = Path(sys.argv[1])
head, body = sys.argv[2], sys.argv[3]
(folder / "dtd.jpg").write_bytes(b"\xff\xd8\xff\xd9")
(folder / "dtd.jpg.xmp").write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + body)
(folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xd9")
(folder / "broken.jpg.xmp").write_text(body[: len(body) // 2])
for name, words in (("dtd.jpg", "declares a DTD"), ("broken.jpg", "not well-formed XML")):
    res = resolve_photo_id(str(folder / name))
    assert any(words in n for n in res.notes), res.notes
from flickr_replace_plugin.cli.progress import progress_for
class Tty(io.StringIO):
    def isatty(self): return True
stream = Tty()
with progress_for(stream, ["a.jpg"]) as bar:
    bar.bytes_sent("a.jpg", 10, 100)
assert stream.getvalue(), "no progress bar drawn"
print("smoke ok")
"""


def test_the_declared_minimum_versions_work(tmp_path):
    pins = minimums()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLICKR_", "XDG_", "PYTHON"))}
    env.update(HOME=str(tmp_path / "home"))  # pip and the tools it runs keep their files there
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=env)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *pins],
                             capture_output=True, text=True, timeout=600, env=env)
    assert install.returncode == 0, f"the declared minimums do not install together: {pins}\n{install.stderr[-2000:]}"
    frozen = subprocess.run([str(python), "-m", "pip", "freeze"], capture_output=True, text=True, check=True, env=env).stdout.lower()
    for pin in pins:
        assert pin.lower().replace("_", "-") in frozen.replace("_", "-"), f"{pin} was not what got installed"

    env.update(PYTHONPATH=str(ROOT), FLICKR_REPLACE_CONFIG=str(tmp_path / "config.yaml"))
    (tmp_path / "config.yaml").write_text("jobs: 2\nlimit_rate: 2M\nrecord: no\n")
    demo = subprocess.run([str(python), "-m", "flickr_replace_plugin", "demo"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert demo.returncode == 0 and "replaced" in demo.stdout, demo.stdout + demo.stderr

    from photofiles import bag, xmp_packet

    body = xmp_packet(bag("dc:subject", "flickr:id=5169665786")).decode()
    smoke = subprocess.run([str(python), "-c", SMOKE, str(tmp_path), "", body], env=env, capture_output=True,
                           text=True, timeout=120)
    assert smoke.returncode == 0 and "smoke ok" in smoke.stdout, smoke.stdout + smoke.stderr
