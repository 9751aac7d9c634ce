"""Every hook through a real plugin against the sandbox; loading, listing and misbehaving plugins."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from flickr_replace_plugin import Candidate, hookimpl, replace, replace_many, resolve_photo_id
from flickr_replace_plugin.config import Config, load_config
from flickr_replace_plugin.errors import ConfigError
from flickr_replace_plugin.plugins import DEFAULT_PLUGINS, ENV_PLUGINS, Plugins
from flickr_replace_plugin.result import ReplaceResult

SAMPLES = Path(__file__).parent / "plugins"
ID = "52345678901"


@pytest.fixture
def samples(monkeypatch):
    """The sample plugins importable, their recorded calls emptied."""
    monkeypatch.syspath_prepend(str(SAMPLES))
    import sample_recorder
    import sample_veto

    sample_recorder.RESULTS.clear()
    sample_veto.CALLS.clear()
    return sample_recorder, sample_veto


@pytest.fixture
def config(sandbox, tmp_path) -> Config:
    return Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), backup_dir=str(tmp_path / "backups"), backoff=0.01, timeout=30,
                  **sandbox.credentials)


@pytest.fixture
def env(cli_env) -> dict[str, str]:
    return {**cli_env, "PYTHONPATH": str(SAMPLES)}


@pytest.fixture
def export(sandbox, make_jpeg):
    """export(name) -> (a new export whose PATH.photoid names its photo, that photo's id)."""
    def make(name: str = "export.jpg") -> tuple[Path, str]:
        pid = sandbox.add_photo(make_jpeg("old-" + name).read_bytes(), filename=name)
        path = make_jpeg(name)
        Path(f"{path}.photoid").write_text(pid)
        return path, pid

    return make


def load(*modules: str) -> Plugins:
    return Plugins(modules, env={})


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flickr_replace_plugin", *args], env=env, capture_output=True,
                          text=True, timeout=60)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replace_requests(sandbox) -> list[dict]:
    return [r for r in sandbox.requests if r["path"].startswith("/services/replace")]


# -- one test per hook ------------------------------------------------------------------------------

def test_hook_find_photo_id(sandbox, config, samples, export):
    path, pid = export()
    plugins = load("sample_find")
    resolution = resolve_photo_id(path, plugins=plugins)
    assert (resolution.photo_id, resolution.source) == (pid, "plugin:sample_find")
    assert [c.detail for c in resolution.candidates] == ["photoid-file"]
    result = replace(str(path), async_=False, config=config, plugins=plugins)
    assert (result.status.value, result.photo_id, result.source) == ("replaced", pid, "plugin:sample_find")
    assert sandbox.photo(pid).sha256 == sha(path)


def test_hook_before_replace(sandbox, config, samples, export):
    _, veto = samples
    (draft, draft_id), (final, final_id) = export("draft.jpg"), export("final.jpg")
    results = {Path(r.path).name: r for r in replace_many([draft, final], config=config,
                                                          plugins=load("sample_find", "sample_veto"))}
    skipped = results["draft.jpg"]
    assert skipped.status.value == "skipped"
    assert "drafts stay local" in skipped.error.message and "sample_veto" in skipped.error.message
    assert results["final.jpg"].status.value == "replaced"
    assert [r["fields"]["photo_id"] for r in replace_requests(sandbox)] == [final_id]
    assert sandbox.photo(draft_id).replacements == 0
    assert sorted((Path(p).name, pid) for p, pid, _ in veto.CALLS) == [("draft.jpg", draft_id), ("final.jpg", final_id)]
    options = veto.CALLS[0][2]
    assert options == {"async": True, "wait": True, "dry_run": False, "source": "plugin:sample_find"}


def test_hook_after_replace(sandbox, config, samples, export, tmp_path):
    recorder, _ = samples
    (draft, _), (final, final_id) = export("draft.jpg"), export("final.jpg")
    missing = tmp_path / "gone.jpg"
    plugins = load("sample_find", "sample_veto", "sample_recorder")
    returned = {r.path: r.to_dict() for r in replace_many([draft, final, missing], config=config,
                                                         plugins=plugins)}
    seen = {r["path"]: r for r in recorder.RESULTS}
    assert seen == returned  # every final result, exactly as the host got it
    assert {Path(p).name: r["status"] for p, r in seen.items()} == \
        {"draft.jpg": "skipped", "final.jpg": "replaced", "gone.jpg": "failed"}
    assert seen[str(final)]["photo_id"] == final_id and seen[str(final)]["secret"]


def test_hook_flickr_credentials(sandbox, env, samples, tmp_path, make_jpeg, monkeypatch):
    keychain = tmp_path / "keychain.json"
    keychain.write_text(json.dumps(sandbox.credentials))
    env = {k: v for k, v in env.items() if k not in ("FLICKR_API_SECRET", "FLICKR_OAUTH_TOKEN_SECRET")}
    env["SAMPLE_KEYCHAIN"] = str(keychain)
    pid = sandbox.add_photo(make_jpeg("old.jpg").read_bytes())
    path = make_jpeg("new.jpg")
    done = cli(["replace", str(path), "--photo-id", pid, "--json", "--plugin", "sample_keychain"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "replaced"
    assert sandbox.photo(pid).sha256 == sha(path)
    # The environment still wins over the keychain; the keychain over the config file.
    monkeypatch.setenv("SAMPLE_KEYCHAIN", str(keychain))
    loaded = load_config({**env, "FLICKR_API_KEY": "from-env"}, load("sample_keychain"))
    assert loaded.api_key == "from-env"
    assert loaded.api_secret == sandbox.credentials["api_secret"]


# -- plugins that raise: a per-file result or exit 2, never a traceback -----------------------------

def test_raising_find_photo_id_fails_only_that_file_naming_the_plugin(sandbox, env, export, make_jpeg):
    good, pid = export("good.jpg")
    boom = make_jpeg("boom-find.jpg")
    done = cli(["replace", str(good), str(boom), "--json", "--plugin", "sample_find", "--plugin", "sample_raising"],
               env)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    results = {Path(r["path"]).name: r for r in map(json.loads, done.stdout.splitlines())}
    assert results["good.jpg"]["status"] == "replaced" and sandbox.photo(pid).sha256 == sha(good)
    failed = results["boom-find.jpg"]
    assert failed["status"] == "failed" and failed["error"]["origin"] == "local"
    assert "'sample_raising' failed in find_photo_id" in failed["error"]["message"]
    assert "find exploded" in failed["error"]["message"]


def test_raising_before_replace_fails_the_file_and_sends_nothing(sandbox, config, samples, export):
    path, pid = export("boom-veto.jpg")
    result = replace(str(path), config=config, plugins=load("sample_find", "sample_raising"))
    assert result.status.value == "failed" and "'sample_raising' failed in before_replace" in result.error.message
    assert sandbox.photo(pid).replacements == 0 and not replace_requests(sandbox)


def test_raising_after_replace_leaves_the_result_and_the_other_plugins(sandbox, config, samples, export):
    recorder, _ = samples
    path, pid = export("boom-after.jpg")
    plugins = load("sample_find", "sample_raising", "sample_recorder")
    result = replace(str(path), config=config, plugins=plugins)
    assert result.status.value == "replaced" and result.error is None
    assert sandbox.photo(pid).sha256 == sha(path)
    # after_replace calls every plugin even when one raises, whatever the order.
    recorder.RESULTS.clear()
    plugins = load("sample_recorder", "sample_raising")
    errors = plugins.after_replace(ReplaceResult(path=str(path)))
    assert [str(e) for e in errors] == ["plugin 'sample_raising' failed in after_replace: RuntimeError: after exploded"]
    assert [r["path"] for r in recorder.RESULTS] == [str(path)]


def test_raising_flickr_credentials_exits_2_naming_the_plugin(sandbox, env):
    done = cli(["status", "--plugin", "sample_bad_keychain"], env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["flickr-replace: plugin 'sample_bad_keychain' failed in "
                                                "flickr_credentials: PermissionError: keychain is locked"]
    assert not sandbox.requests


# -- loading ---------------------------------------------------------------------------------------

def test_misspelled_hook_stops_the_run_with_one_line_and_exit_2(sandbox, env, make_jpeg):
    done = cli(["replace", str(make_jpeg()), "--photo-id", "1", "--plugin", "sample_misspelled"], env)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "flickr-replace: plugin 'sample_misspelled' (--plugin) implements unknown hook 'find_photoid' "
        "(did you mean 'find_photo_id'?)"]
    assert not sandbox.requests


def test_plugin_that_does_not_import_exits_2(env):
    done = cli(["plugins", "--plugin", "no_such_plugin_module"], env)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "cannot import plugin module 'no_such_plugin_module' (--plugin)" in done.stderr


def test_plugins_command_lists_name_origin_and_hooks(env):
    done = cli(["plugins", "--plugin", "sample_find"], {**env, ENV_PLUGINS: "sample_recorder, sample_veto"})
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    builtins = [name.rsplit(".", 1)[-1] for name in DEFAULT_PLUGINS]
    assert rows[:len(builtins)] == [[name, "builtin", "find_photo_id"] for name in builtins]
    assert rows[len(builtins):] == [["sample_recorder", ENV_PLUGINS, "after_replace"],
                                    ["sample_veto", ENV_PLUGINS, "before_replace"],
                                    ["sample_find", "--plugin", "find_photo_id"]]


def test_a_module_named_by_two_routes_loads_once(samples):
    plugins = Plugins(["sample_find"], env={ENV_PLUGINS: "sample_find"})
    assert [(p.name, p.origin) for p in plugins.listing() if not p.builtin] == [("sample_find", ENV_PLUGINS)]


def test_a_third_party_hook_wrapper_sees_and_changes_the_answers(samples, tmp_path, make_jpeg):
    photo = tmp_path / f"{ID}_9d32d647f1_b.jpg"  # a Flickr download's name: the file name names the id
    photo.write_bytes(make_jpeg().read_bytes())
    assert resolve_photo_id(photo, plugins=load()).source == "filename"
    resolution = resolve_photo_id(photo, plugins=load("sample_wrapper"))
    assert resolution.photo_id is None and resolution.error.reason == "no_photo_id"


def test_a_hook_wrapper_that_raises_fails_the_file_naming_its_plugin(samples, tmp_path, make_jpeg):
    resolution = resolve_photo_id(make_jpeg("boom-wrap.jpg"), plugins=load("sample_wrapper"))
    assert "plugin 'sample_wrapper' failed in find_photo_id: RuntimeError: wrapper exploded" in resolution.error.message


def test_the_first_veto_wins_and_the_plugins_after_it_are_not_asked(samples):
    _, veto = samples
    plugins = load("sample_veto")

    class Veto:
        @hookimpl
        def before_replace(self):
            return "not today"

    plugins.pm.register(Veto(), name="later")  # registered last: pluggy asks it first
    assert plugins.before_replace("draft.jpg", None, {}) == ("later", "not today")
    assert veto.CALLS == []


def test_before_replace_hears_that_a_new_photo_has_no_id(samples):
    _, veto = samples
    assert load("sample_veto").before_replace("draft.jpg", None, {"source": None}) == \
        ("sample_veto", "drafts stay local")
    assert veto.CALLS == [("draft.jpg", None, {"source": None})]


@pytest.mark.parametrize("answer", [(ID, "catalog"), [(ID, "catalog")], Candidate(ID, "catalog")])
def test_an_older_find_photo_id_answer_still_works_with_a_deprecation_warning(tmp_path, make_jpeg, answer):
    plugins = load()

    class Old:
        @hookimpl
        def find_photo_id(self):
            return answer

    plugins.pm.register(Old(), name="old")
    with pytest.warns(DeprecationWarning, match="plugin 'old' answered find_photo_id with a .*Candidate"):
        resolution = resolve_photo_id(make_jpeg(), plugins=plugins)
    assert (resolution.photo_id, resolution.source, resolution.candidates[0].detail) == (ID, "plugin:old", "catalog")


def test_the_documented_find_photo_id_answer_warns_nothing(samples, export):
    path, pid = export()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_photo_id(path, plugins=load("sample_find")).photo_id == pid


def test_an_implementation_asking_for_an_argument_the_hook_lacks_is_refused(monkeypatch, tmp_path):
    (tmp_path / "sample_extra_arg.py").write_text(
        "from flickr_replace_plugin import hookimpl\n\n"
        "@hookimpl\ndef after_replace(result, photo):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match=r"^plugin 'sample_extra_arg' \(--plugin\) is invalid: [^\n]*photo"):
        load("sample_extra_arg")
