"""The package as a user gets it: an sdist and a wheel built from this tree, the wheel installed
(not editable) in a fresh venv, and the README's first command and `hosts` run from there."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("build")


def run(cmd: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """`python -m build`: the sdist first, then the wheel built from that sdist (so the sdist must
    hold everything the wheel needs)."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        dict(os.environ, HOME=str(tmp_path_factory.mktemp("build-home"))))  # the build tools' caches go there
    [wheel] = out.glob("*.whl")
    [sdist] = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def installed(dists, tmp_path_factory) -> dict:
    """A fresh venv with the wheel installed; its deps may come from this Python's site-packages."""
    home = tmp_path_factory.mktemp("home")
    where = tmp_path_factory.mktemp("venv") / "v"
    bindir = where / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLICKR_", "XDG_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), PATH=os.pathsep.join([str(bindir), env.get("PATH", "")]))
    # pip (also ensurepip's) writes under HOME, so the venv is made in a process with that home
    run([sys.executable, "-m", "venv", "--system-site-packages", str(where)], env)
    # the package itself from the wheel even where this Python already has it (an editable install);
    # then whatever dependency is still missing
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--ignore-installed", str(dists["wheel"])], env)
    run([str(python), "-m", "pip", "install", "-q", str(dists["wheel"])], env)
    return {"python": python, "bin": bindir, "env": env, "venv": where, "home": home}


def test_the_wheel_carries_the_glue_the_manifest_the_types_and_the_license(dists):
    names = set(zipfile.ZipFile(dists["wheel"]).namelist())
    glue = {f"flickr_replace_plugin/glue/{p.relative_to(ROOT / 'hooks').as_posix()}"
            for p in (ROOT / "hooks").rglob("*") if p.is_file()}
    assert glue and glue <= names
    assert {"flickr_replace_plugin/glue/plugin.yaml", "flickr_replace_plugin/py.typed"} <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(dists["wheel"]).read(metadata).decode()
    assert "License-Expression: MIT" in text


def test_the_sdist_holds_the_tests_and_their_helpers(dists, tmp_path):
    with tarfile.open(dists["sdist"]) as tar:
        tar.extractall(tmp_path, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(tmp_path)
    [top] = tmp_path.iterdir()
    for needed in ("tests/conftest.py", "tests/clirun.py", "tests/photofiles.py", "tests/plugins/sample_find.py",
                   "examples/host_app.py", "benchmarks/common.py", "scripts/install-test-deps",
                   "hooks/darktable/flickr_replace.lua", "plugin.yaml", "LICENSE"):
        assert (top / needed).is_file(), needed
    # every test module collects from the unpacked sdist (it needs its helpers and plugins/ beside it)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["HOME"] = str(tmp_path / "home")
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
                          cwd=top, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "error" not in proc.stdout.lower().splitlines()[-1]


def test_the_package_runs_from_the_wheel_not_from_this_tree(installed):
    where = run([str(installed["python"]), "-c", "import flickr_replace_plugin; print(flickr_replace_plugin.__file__)"],
                installed["env"], cwd=installed["home"]).stdout.strip()
    assert Path(where).resolve().is_relative_to(installed["venv"].resolve()), where


def test_demo_runs_from_the_wheel(installed):
    proc = run([str(installed["bin"] / "flickr-replace"), "demo"], installed["env"], cwd=installed["home"])
    assert "replaced" in proc.stdout + proc.stderr


def test_hosts_lists_the_installed_glue_and_installs_darktables(installed, tmp_path):
    command = str(installed["bin"] / "flickr-replace")
    proc = run([command, "hosts", "--json"], installed["env"], cwd=installed["home"])
    listed = {entry["name"]: entry for entry in map(json.loads, proc.stdout.splitlines())}
    venv_dir = installed["venv"].resolve()
    for name in ("manifest", "darktable", "open-with", "shell", "digikam"):
        path = Path(listed[name]["path"])
        assert path.is_file() and path.resolve().is_relative_to(venv_dir), listed[name]
    assert listed["darktable"]["installs_to"] == str(installed["home"] / ".config" / "darktable" / "lua" / "contrib")
    assert listed["manifest"]["installs_to"] is None

    dest = tmp_path / "contrib"
    proc = run([command, "hosts", "install", "darktable", "--dest", str(dest)], installed["env"], cwd=installed["home"])
    written = dest / "flickr_replace.lua"
    assert proc.stdout.strip() == str(written)
    assert written.read_bytes() == (ROOT / "hooks" / "darktable" / "flickr_replace.lua").read_bytes()
