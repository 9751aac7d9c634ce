"""Every example in examples/ runs against the sandbox, the way its reader would run it."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from photofiles import jpeg, subject_xmp

from flickr_replace_plugin.photoid.record import record_photo_id

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CATALOG_SRC = EXAMPLES / "catalog_plugin"


def run(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, **kw)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def on_flickr(sandbox, make_jpeg):
    """on_flickr(name, sidecar=True) -> (a new export of a photo already on the sandbox, its id)."""
    def make(name: str, sidecar: bool = True) -> tuple[Path, str]:
        pid = sandbox.add_photo(make_jpeg("old-" + name).read_bytes(), filename=name)
        path = make_jpeg(name)
        if sidecar:
            record_photo_id(path, pid)
        return path, pid

    return make


# -- examples/host_app.py -----------------------------------------------------------------------

def test_host_app_reports_progress_and_reacts_to_each_result(sandbox, cli_env, on_flickr, make_jpeg):
    path, pid = on_flickr("harbour.jpg")
    unknown = make_jpeg("unknown.jpg")
    done = run([sys.executable, str(EXAMPLES / "host_app.py"), str(path), str(unknown)], cli_env)
    assert done.returncode == 1, done.stderr
    assert f"{path}: 100% sent" in done.stderr.splitlines()
    lines = sorted(done.stdout.splitlines())
    assert lines == sorted([
        f"replaced {path} -> https://www.flickr.com/photo.gne?id={pid} (id from sidecar:{path.name}.flickr.yaml)",
        f"no photo id for {unknown}: tag the original with flickr:photo_id=N and export again",
    ])
    assert sandbox.photo(pid).sha256 == sha(path)


def test_host_app_turns_a_configuration_error_into_exit_2(cli_env, on_flickr):
    path, _ = on_flickr("harbour.jpg")
    env = {k: v for k, v in cli_env.items() if k != "FLICKR_API_SECRET"}
    done = run([sys.executable, str(EXAMPLES / "host_app.py"), str(path)], env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("cannot replace on Flickr: no Flickr credentials")


# -- examples/pipeline_step.py ------------------------------------------------------------------

def test_pipeline_step_uses_the_items_metadata(sandbox, cli_env, on_flickr):
    tagged, tagged_id = on_flickr("tagged.jpg", sidecar=False)
    sidecar, sidecar_id = on_flickr("sidecar.jpg")
    items = [{"path": str(tagged), "photo_id": tagged_id, "title": "Harbour"}, {"path": str(sidecar)}]
    done = run([sys.executable, str(EXAMPLES / "pipeline_step.py")], cli_env,
               input="".join(json.dumps(item) + "\n" for item in items))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out[0] == {**items[0], "flickr_status": "replaced", "flickr_photo_id": tagged_id,
                      "flickr_source": "metadata"}
    assert out[1]["flickr_source"] == f"sidecar:{sidecar.name}.flickr.yaml"
    assert out[1]["flickr_photo_id"] == sidecar_id and out[1]["flickr_status"] == "replaced"
    assert sandbox.photo(tagged_id).sha256 == sha(tagged) and sandbox.photo(sidecar_id).sha256 == sha(sidecar)


# -- examples/recipes.md ------------------------------------------------------------------------

def recipe(name: str) -> str:
    text = (EXAMPLES / "recipes.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- recipe: {name} -->\s*```\w*\n(.*?)```", text, re.DOTALL)
    assert found, f"no recipe {name!r} in examples/recipes.md"
    return found.group(1)


@pytest.fixture
def user_env(cli_env) -> dict[str, str]:
    """cli_env plus `flickr-replace` where pip --user and pipx put it: ~/.local/bin, first on PATH
    in the recipes, so this interpreter's copy is the one they run."""
    bin_dir = Path(cli_env["HOME"]) / ".local" / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "flickr-replace"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m flickr_replace_plugin "$@"\n')
    shim.chmod(0o755)
    return cli_env


def test_lightroom_export_action_replaces_every_exported_file(sandbox, user_env, make_jpeg, tmp_path):
    script = tmp_path / "Export Actions" / "Replace on Flickr"
    script.parent.mkdir()
    script.write_text(recipe("lightroom"))
    script.chmod(0o755)
    ids = [sandbox.add_photo(jpeg(xmp=subject_xmp("harbour"))) for _ in range(2)]  # the same picture as the exports
    exports = []
    for i, pid in enumerate(ids):  # Lightroom writes the catalog's keywords into each export
        exports.append(tmp_path / "export" / f"Lightroom export {i}.jpg")
        exports[-1].parent.mkdir(exist_ok=True)
        exports[-1].write_bytes(jpeg(xmp=subject_xmp("harbour", f"flickr:photo_id={pid}")))
    done = run([str(script), *map(str, exports)], user_env)
    assert done.returncode == 0, done.stderr
    log = Path(user_env["HOME"]) / "Library" / "Logs" / "flickr-replace.log"
    results = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert sorted((r["photo_id"], r["status"], r["source"]) for r in results) == \
        sorted((pid, "replaced", "xmp") for pid in ids)
    for path, pid in zip(exports, ids):
        assert sandbox.photo(pid).sha256 == sha(path)
    failing = run([str(script), str(make_jpeg("no-id.jpg"))], user_env)
    assert failing.returncode == 1 and "Some photos were not replaced on Flickr" in failing.stderr


def test_osxphotos_post_command_quotes_odd_file_names(sandbox, user_env, on_flickr):
    path, pid = on_flickr("Ærø 'quoted' name $(x).jpg")
    template = re.search(r'--post-command exported "(.*?)"\s*$', recipe("osxphotos"), re.MULTILINE).group(1)
    command = template.replace("{filepath|shell_quote}", shlex.quote(str(path)))  # what osxphotos renders
    done = run(["sh", "-c", command], user_env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "replaced"
    assert sandbox.photo(pid).sha256 == sha(path)


def test_recipes_link_only_to_files_that_exist():
    text = (EXAMPLES / "recipes.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((\.\./[^)]+)\)", text)
    assert links
    for link in links:
        assert (EXAMPLES / link).resolve().is_file(), link


# -- examples/catalog_plugin: a third-party plugin through each discovery route ----------------------

@pytest.fixture(scope="module")
def installed_catalog(tmp_path_factory) -> Path:
    """The plugin package pip-installed into a directory of its own (from a copy: pip may build in-tree)."""
    work = tmp_path_factory.mktemp("catalog")
    source = shutil.copytree(CATALOG_SRC, work / "src")
    target = work / "site"
    # pip caches, and asks rustc for its version (rustup then writes its settings), under HOME
    home = work / "home"
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    done = run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                "--target", str(target), str(source)], env=env)
    assert done.returncode == 0, done.stderr
    return target


ROUTES = {  # route -> (plugin name, how the environment and command line name it)
    "entry point": "catalog",
    "FLICKR_REPLACE_PLUGINS": "flickr_replace_catalog",
    "--plugin": "flickr_replace_catalog",
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_catalog_plugin_supplies_ids_and_sees_results(route, sandbox, cli_env, on_flickr, installed_catalog,
                                                      tmp_path):
    name = ROUTES[route]
    env = {**cli_env, "FLICKR_REPLACE_CATALOG": str(tmp_path / "catalog.sqlite"),
           "PYTHONPATH": str(installed_catalog if route == "entry point" else CATALOG_SRC)}
    extra = ["--plugin", "flickr_replace_catalog"] if route == "--plugin" else []
    if route == "FLICKR_REPLACE_PLUGINS":
        env["FLICKR_REPLACE_PLUGINS"] = "flickr_replace_catalog"
    path, pid = on_flickr("catalogued.jpg", sidecar=False)
    added = run([sys.executable, "-m", "flickr_replace_catalog", "add", str(path), pid], env)
    assert added.returncode == 0, added.stderr

    listing = run([sys.executable, "-m", "flickr_replace_plugin", "plugins", *extra], env)
    origin = "entry point flickr-replace-catalog" if route == "entry point" else route
    third_party = [line for line in listing.stdout.splitlines() if "\tbuiltin\t" not in line]
    assert third_party == [f"{name}\t{origin}\tafter_replace, find_photo_id"], listing.stderr

    done = run([sys.executable, "-m", "flickr_replace_plugin", "replace", str(path), "--json", *extra], env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["photo_id"], result["source"], result["status"]) == (pid, f"plugin:{name}", "replaced")
    assert sandbox.photo(pid).sha256 == sha(path)

    history = run([sys.executable, "-m", "flickr_replace_catalog", "history"], env)
    rows = [json.loads(line) for line in history.stdout.splitlines()]
    assert [(r["path"], r["photo_id"], r["status"], r["source"]) for r in rows] == \
        [(str(path.resolve()), pid, "replaced", f"plugin:{name}")]
