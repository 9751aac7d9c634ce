"""plugin.yaml against the code: hooks, commands and options, settings, versions and glue files.

The file is made by flickr_replace_plugin.cli.manifest; the first test says when it is stale, the
others check what the generator wrote, so a generator mistake cannot pass unseen either."""
from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import re
from dataclasses import MISSING, fields
from pathlib import Path

import pytest
import yaml

import flickr_replace_plugin
from flickr_replace_plugin import cli, config, hookspecs, plugins
from flickr_replace_plugin.cli import manifest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "plugin.yaml").read_text(encoding="utf-8"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SKIPPED_OPTIONS = {"-h", "--help"}
TYPES = {"bool": "boolean", "int": "integer", "float": "number", "str": "string"}


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Each option action keyed the way plugin.yaml writes it: "-v, --verbose", "--jobs N"."""
    out = {}
    for action in parser._actions:
        flags = [f for f in action.option_strings if f not in SKIPPED_OPTIONS]
        if flags:
            value = "" if action.nargs == 0 else " " + (action.metavar or action.dest.upper())
            out[", ".join(flags) + value] = action
    return out


def positionals(parser: argparse.ArgumentParser) -> list[str]:
    return [(a.metavar or a.dest) + ("..." if a.nargs in ("+", "*") else "")
            for a in parser._actions if not a.option_strings and not isinstance(a, argparse._SubParsersAction)]


def check_options(where: str, declared: dict[str, str], actual: dict[str, argparse.Action]) -> None:
    assert set(declared) == set(actual), f"{where}: plugin.yaml {sorted(declared)} != code {sorted(actual)}"
    for key, action in actual.items():
        assert declared[key], f"{where} {key}: describe it in plugin.yaml"
        if action.help and action.help != argparse.SUPPRESS:
            assert declared[key] == action.help, f"{where} {key}: help differs from the code"


def test_plugin_yaml_is_made_from_the_code():
    written = (ROOT / "plugin.yaml").read_text(encoding="utf-8")
    made = manifest.render()
    diff = "".join(difflib.unified_diff(written.splitlines(True), made.splitlines(True), "plugin.yaml", "the code", n=0))
    assert written == made, f"plugin.yaml is out of date; regenerate it with `{manifest.REGENERATE}`:\n{diff[:3000]}"


def test_name_version_and_console_script_match_pyproject():
    project = PYPROJECT["project"]
    assert MANIFEST["name"] == project["name"]
    assert MANIFEST["version"] == project["version"] == flickr_replace_plugin.__version__
    assert MANIFEST["summary"] == project["description"]
    assert MANIFEST["python"] == project["requires-python"]
    assert project["scripts"] == {MANIFEST["command"]: MANIFEST["console_script"]}
    module, func = MANIFEST["console_script"].split(":")
    assert module == "flickr_replace_plugin.cli" and callable(getattr(cli, func))
    assert MANIFEST["package"] == flickr_replace_plugin.__name__
    assert MANIFEST["exit_status"] == {status.name.lower(): status.value for status in cli.ExitStatus}


def test_entry_point_group_and_hooks_match_hookspecs():
    assert MANIFEST["entry_point_group"] == hookspecs.PROJECT
    assert MANIFEST["hookimpl"] == "flickr_replace_plugin.hookimpl"
    assert list(MANIFEST["hooks"]) == plugins.hook_names()
    for name, declared in MANIFEST["hooks"].items():
        spec = getattr(hookspecs, name)
        assert declared["arguments"] == list(inspect.signature(spec).parameters), name
        opts = getattr(spec, f"{hookspecs.PROJECT}_spec")
        assert declared["firstresult"] is bool(opts.get("firstresult")), name
        assert declared["returns"] and declared["called"], name


def test_commands_and_options_match_the_parser():
    parser = cli.build_parser()
    top = options(parser)
    shared = {k: v for k, v in top.items() if k in MANIFEST["global_options"]}
    check_options("global", MANIFEST["global_options"], shared)
    check_options("top level", MANIFEST["options"], {k: v for k, v in top.items() if k not in shared})
    commands = subcommands(parser)
    assert list(MANIFEST["commands"]) == list(commands)
    for name, sub in commands.items():
        declared = MANIFEST["commands"][name]
        assert declared["summary"], name
        assert declared["arguments"] == positionals(sub), name
        check_options(name, {**MANIFEST["global_options"], **declared["options"]}, options(sub))
        nested = subcommands(sub) if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions) else {}
        assert list(declared.get("subcommands", {})) == list(nested), name
        for inner, parser in nested.items():
            entry = declared["subcommands"][inner]
            assert entry["summary"] and entry["arguments"] == positionals(parser), f"{name} {inner}"
            check_options(f"{name} {inner}", {**MANIFEST["global_options"], **entry["options"]}, options(parser))


def test_config_keys_are_the_config_fields():
    declared = MANIFEST["config"]
    settings = [f for f in fields(config.Config) if f.name in config.SETTINGS]
    assert list(declared) == [f.name for f in settings]
    for f in settings:
        entry = declared[f.name]
        assert entry["type"] == TYPES[str(f.type).split(" ")[0]], f.name
        assert entry["default"] == (None if f.default is MISSING else f.default), f.name
        assert entry.get("env") == config.ENV_NAMES.get(f.name), f.name
        assert (entry["allowed"], entry["help"]) == (f.metadata["rule"].allowed, f.metadata["help"]), f.name


def env_names_in_code() -> set[str]:
    """Every FLICKR_* string literal in the package: the variables it reads."""
    found = set()
    for file in Path(flickr_replace_plugin.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    re.fullmatch(r"FLICKR_[A-Z0-9_]+", node.value):
                found.add(node.value)
    return found


def test_environment_variables_are_those_the_code_reads():
    assert set(MANIFEST["environment"]) == env_names_in_code()
    assert plugins.ENV_PLUGINS in MANIFEST["environment"]


@pytest.mark.parametrize("host", sorted(MANIFEST["hosts"]))
def test_host_glue_exists_with_a_minimum_version(host):
    entry = MANIFEST["hosts"][host]
    glue = ROOT / entry["glue"]
    assert glue.is_file(), f"{entry['glue']} is missing"
    assert entry["min_version"] and entry["integration"]


def test_darktable_minimum_matches_the_api_the_script_checks():
    entry = MANIFEST["hosts"]["darktable"]
    script = (ROOT / entry["glue"]).read_text(encoding="utf-8")
    declared = re.search(r'MIN_API\s*=\s*"(\d+\.\d+)', script)
    assert declared, "the darktable script declares no MIN_API"
    assert declared.group(1) == entry["lua_api"]


def test_desktop_entry_version_matches():
    entry = MANIFEST["hosts"]["open-with"]
    declared = re.search(r"^Version=(\S+)$", (ROOT / entry["glue"]).read_text(encoding="utf-8"), re.MULTILINE)
    assert declared and entry["min_version"].startswith(f"Desktop Entry Specification {declared.group(1)} ")


def test_every_glue_file_in_hooks_is_listed():
    listed = {entry["glue"] for entry in MANIFEST["hosts"].values()}
    present = {str(p.relative_to(ROOT)) for p in (ROOT / "hooks").rglob("*") if p.is_file()
               and "__pycache__" not in p.parts and p.suffix != ".md" and not p.name.startswith(".")}
    assert present <= listed, f"glue not in plugin.yaml: {sorted(present - listed)}"
