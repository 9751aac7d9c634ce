"""plugin.yaml, made from the code: `python -m flickr_replace_plugin.cli.manifest > plugin.yaml`.

Commands, options and help texts come from the parser; exit statuses from `ExitStatus`; hooks from
hookspecs (arguments, `firstresult`, and the "Called ..." and `:returns:` lines of each docstring);
settings and variables from the config's table; versions from the package and pyproject.toml; host
glue from the repository's `hooks/` folder. Only what a host needs to know about each glue file
and no file says (`HOSTS`) is written here. tests/test_manifest.py fails when plugin.yaml differs.
"""
from __future__ import annotations

import argparse
import inspect
import re
import sys
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, Callable

import yaml

REGENERATE = "python -m flickr_replace_plugin.cli.manifest > plugin.yaml"
SCHEMA = 1
PACKAGE = Path(__file__).resolve().parent.parent
ROOT = PACKAGE.parent
HIDDEN = {"-h", "--help"}
TYPES = {"bool": "boolean", "int": "integer", "float": "number", "str": "string"}

# What a host needs to know about each glue file, by its path in the repository, in plugin.yaml's
# order. The minimum versions a file declares itself (darktable's MIN_API, the desktop entry's
# Version=) are read from the file.
HOSTS: dict[str, dict[str, Any]] = {
    "hooks/darktable/flickr_replace.lua": {
        "name": "darktable",
        "integration": 'export target "Flickr (replace existing)", one run of the tool per export batch with '
                       "one summary; under darktable-cli, the intermediate-export-image event",
        "preferences": {"executable": "the flickr-replace command or its path", "mode": "async or sync",
                        "upload_missing": "upload images with no id, then tag them flickr:photo_id=N (default false)"},
    },
    "hooks/desktop/flickr-replace.desktop": {
        "name": "open-with",
        "min_version": "(digiKam 7.9, file managers, gThumb)",
        "integration": '"Replace on Flickr" in Open With menus (digiKam, file managers, gThumb)',
    },
    "hooks/shell/flickr-replace-step": {
        "name": "shell", "min_version": "POSIX sh",
        "integration": "a pipeline step for any host that can run a command per file",
    },
    "hooks/shell/digikam-bqm.sh": {
        "name": "digikam", "min_version": "7.9",
        "integration": "Batch Queue Manager, Custom Script tool ($INPUT / $OUTPUT)",
    },
}


def _project() -> dict[str, str]:
    """name, description and requires-python: pyproject.toml's in a checkout, else the installed metadata."""
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file() and sys.version_info >= (3, 11):
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        return {key: project[key] for key in ("name", "description", "requires-python")}
    from importlib.metadata import metadata

    meta = metadata("flickr-replace")
    return {"name": meta["Name"], "description": meta["Summary"], "requires-python": meta["Requires-Python"]}


# -- the command line ---------------------------------------------------------------------------

def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    return next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)


def option_key(action: argparse.Action) -> str:
    """An option as plugin.yaml writes it: "-v, --verbose", "--jobs N"."""
    flags = [f for f in action.option_strings if f not in HIDDEN]
    value = "" if action.nargs == 0 else " " + (action.metavar or action.dest.upper())
    return ", ".join(flags) + value


def options(parser: argparse.ArgumentParser, skip: Callable[[str], bool] = lambda key: False) -> dict[str, str]:
    return {option_key(a): a.help or "" for a in parser._actions
            if [f for f in a.option_strings if f not in HIDDEN] and not skip(option_key(a))}


def positionals(parser: argparse.ArgumentParser) -> list[str]:
    return [(a.metavar or a.dest) + ("..." if a.nargs in ("+", "*") else "")
            for a in parser._actions if not a.option_strings and not isinstance(a, argparse._SubParsersAction)]


def commands(parser: argparse.ArgumentParser, shared: dict[str, str]) -> dict[str, Any]:
    """Each command (and its own subcommands) with its summary, arguments and options beyond `shared`."""
    action = _subparsers(parser)
    summaries = {choice.dest: choice.help for choice in action._choices_actions} if action else {}
    found: dict[str, Any] = {}
    for name, sub in (action.choices.items() if action else ()):
        entry = {"summary": summaries.get(name) or "", "arguments": positionals(sub),
                 "options": options(sub, skip=lambda key: key in shared)}
        if _subparsers(sub):
            entry["subcommands"] = commands(sub, shared)
        found[name] = entry
    return found


# -- hooks, settings, variables, glue -----------------------------------------------------------

def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(text.split())) if s.strip()]


def _plain(text: str) -> str:
    return text.replace("``", "").rstrip(".")


def hook_entry(spec: Callable[..., Any], project: str) -> dict[str, Any]:
    """A hook as plugin.yaml lists it, from its spec and its docstring's own words."""
    doc = inspect.getdoc(spec) or ""
    body, _, returns = doc.partition(":returns:")
    called = next((s for s in _sentences(body.split(":param")[0]) if s.startswith("Called ")), "")
    return {"arguments": list(inspect.signature(spec).parameters),
            "returns": _plain(_sentences(returns)[0]) if returns.strip() else "None",
            "firstresult": bool(getattr(spec, f"{project}_spec").get("firstresult")),
            "called": _plain(called.removeprefix("Called ")) or _plain(doc.splitlines()[0] if doc else "")}


def hooks() -> dict[str, Any]:
    from .. import hookspecs
    from ..plugins import hook_names

    return {name: hook_entry(getattr(hookspecs, name), hookspecs.PROJECT) for name in hook_names()}


def environment() -> dict[str, str]:
    from ..config import ENV_CONFIG, ENV_NAMES, ENV_STATE_DIR, Config
    from ..plugins import ENV_PLUGINS

    helps = {f.name: f.metadata.get("help", "") for f in fields(Config)}
    found = {name: f"{key}: {helps[key]}" for key, name in ENV_NAMES.items()}
    found[ENV_CONFIG] = "the config file (default <user config dir>/flickr-replace/config.yaml)"
    found[ENV_STATE_DIR] = "where the journal and pending async tickets are kept (default <user state dir>/flickr-replace)"
    found[ENV_PLUGINS] = "comma-separated plugin modules to load"
    return found


def settings() -> dict[str, dict[str, Any]]:
    from ..config import ENV_NAMES, SETTINGS, Config

    found = {}
    for f in fields(Config):
        if f.name in SETTINGS:
            entry: dict[str, Any] = {"type": TYPES[str(f.type).split(" ")[0]],
                                     "default": None if f.default is MISSING else f.default}
            if f.name in ENV_NAMES:
                entry["env"] = ENV_NAMES[f.name]
            entry.update(allowed=f.metadata["rule"].allowed, help=f.metadata["help"])
            found[f.name] = entry
    return found


def _declared(path: Path, pattern: str) -> re.Match[str]:
    found = re.search(pattern, path.read_text(encoding="utf-8"), re.MULTILINE)
    if not found:
        raise SystemExit(f"{path.relative_to(ROOT)} no longer declares what {pattern!r} finds: update HOSTS in {__file__}")
    return found


def glue(root: Path = ROOT) -> dict[str, dict[str, Any]]:
    """Every file under hooks/ (an unlisted one is an error: plugin.yaml must name all the glue)."""
    present = sorted(str(p.relative_to(root).as_posix()) for p in (root / "hooks").rglob("*") if p.is_file()
                     and "__pycache__" not in p.parts and p.suffix != ".md" and not p.name.startswith("."))
    unknown = [path for path in present if path not in HOSTS]
    if unknown:
        raise SystemExit(f"glue with no entry in HOSTS ({__file__}): {', '.join(unknown)}")
    found = {}
    for path, known in HOSTS.items():
        entry: dict[str, Any] = {"glue": path}
        if path.endswith(".lua"):
            api = _declared(root / path, r'MIN_API\s*=\s*"(\d+\.\d+)[^"]*"\s*--\s*darktable (\d+\.\d+)')
            entry.update(min_version=api.group(2), lua_api=api.group(1))
        elif path.endswith(".desktop"):
            version = _declared(root / path, r"^Version=(\S+)$").group(1)
            entry["min_version"] = f"Desktop Entry Specification {version} {known['min_version']}"
        else:
            entry["min_version"] = known["min_version"]
        entry.update({k: v for k, v in known.items() if k not in ("name", "min_version")})
        found[known["name"]] = entry
    return found


# -- the file -----------------------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    """Readable for a person too: lists of words on one line, double quotes where quotes are needed
    (and around options, which start with a dash)."""

    def choose_scalar_style(self) -> Any:
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if value.startswith("-") else None)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def _dump(data: Any, flow: bool) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10**6, default_flow_style=flow)


def _block(data: dict[str, Any]) -> str:
    return _dump(data, flow=False)


def _flow(value: Any) -> str:
    return _dump(value, flow=True).strip()


def _comment(text: str) -> str:
    return "".join(f"# {line}\n".replace("# \n", "#\n") for line in text.splitlines())


def render() -> str:
    """plugin.yaml's text."""
    from .. import hookspecs
    from ..status import ExitStatus, described
    from ..version import __version__
    from . import build_parser, run

    project = _project()
    parser = build_parser()
    shared = options(parser, skip=lambda key: key == "--version")
    parts = [
        _comment(f"flickr-replace: what a host app can rely on, as plain data.\nMade from the code by "
                 f"`{REGENERATE}`: do not edit it by hand\n(tests/test_manifest.py fails when it is out of date)."),
        _block({"schema": SCHEMA, "name": project["name"], "version": __version__, "summary": project["description"],
                "python": project["requires-python"], "package": PACKAGE.name, "command": parser.prog,
                "console_script": f"{run.__module__}:{run.__name__}"}),
        "\n" + _comment("Exit status of every command:\n" + described()),
        f"exit_status: {_flow({s.name.lower(): s.value for s in ExitStatus})}\n",
        "\n" + _comment("Accepted by every command, before or after the command name."),
        _block({"global_options": shared}),
        "\n" + _block({"options": options(parser, skip=lambda key: key in shared)}),
        "\n" + _block({"commands": commands(parser, shared)}),
        "\n" + _comment("pluggy project name; third-party plugins register in this entry-point group."),
        _block({"entry_point_group": hookspecs.PROJECT, "hookimpl": f"{PACKAGE.name}.hookimpl"}),
        "\n" + _block({"hooks": hooks()}),
        "\n" + _comment("Variables the tool reads; a setting's variable overrides the config file and plugins."),
        _block({"environment": environment()}),
        "\n" + _comment("Keys of the YAML config file (written mode 0600 when it holds secrets)."),
        "config:\n" + "".join(f"  {key}: {_flow(entry)}\n" for key, entry in settings().items()),
        "\n" + _comment("Host glue: thin shims that run the command above."),
        _block({"hosts": glue()}),
    ]
    return "".join(parts)


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8", newline="\n")  # type: ignore[attr-defined]  # the same bytes on every OS
    sys.stdout.write(render())
