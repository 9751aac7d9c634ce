"""`flickr-replace hosts`: the host glue and plugin.yaml as installed, and copying one where its host looks.

A wheel carries them in the package's `glue/` folder (put there at build time from the repository's
`hooks/` and `plugin.yaml`); a checkout or an editable install reads the repository's own files.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from ..fsutil import atomic_write, reserve_aside
from .env import Environment, ExitStatus

PACKAGE = Path(__file__).resolve().parent.parent
MANIFEST_NAME = "manifest"
ALIASES = {"desktop": "open-with"}  # the hooks/ folder's name for the Open-With entry


@dataclass(frozen=True)
class Glue:
    name: str
    path: Path               # the file as installed with the package
    installs_to: Path | None  # the folder its host reads it from; None when it is pasted, not placed

    def to_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "path": str(self.path),
                "installs_to": None if self.installs_to is None else str(self.installs_to)}


def glue_root() -> tuple[Path, Path]:
    """(folder of the glue files, plugin.yaml): the wheel's copy, else the checkout's originals."""
    installed = PACKAGE / "glue"
    if (installed / "plugin.yaml").is_file():
        return installed, installed / "plugin.yaml"
    return PACKAGE.parent / "hooks", PACKAGE.parent / "plugin.yaml"


def home_dir(env: Mapping[str, str]) -> Path:
    """The user's home as `env` gives it (USERPROFILE on Windows), so tests and hosts decide it."""
    for name in ("HOME", "USERPROFILE"):
        if env.get(name):
            return Path(env[name])
    return Path.home()


def host_dir(name: str, env: Mapping[str, str], platform: str = sys.platform) -> Path | None:
    """Where host `name` looks for its glue on this OS, read from `env` alone (tests inject theirs)."""
    home = home_dir(env)
    if name == "darktable":
        # darktable's config dir is GLib's user config dir on Linux and on macOS alike (~/.config,
        # not ~/Library: the lua-scripts README says "Linux/MacOS: ~/.config/darktable"), and
        # %LOCALAPPDATA%\darktable on Windows. Scripts the user adds go in its lua/contrib/.
        if platform == "win32":
            base = Path(env["LOCALAPPDATA"]) if env.get("LOCALAPPDATA") else home / "AppData" / "Local"
            return base / "darktable" / "lua" / "contrib"
        xdg = env.get("XDG_CONFIG_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else home / ".config"
        return base / "darktable" / "lua" / "contrib"
    if name == "open-with":  # freedesktop menus only exist on Linux and the BSDs
        xdg = env.get("XDG_DATA_HOME", "")
        return (Path(xdg) if os.path.isabs(xdg) else home / ".local" / "share") / "applications"
    if name == "shell":
        # ~/.local/bin: where pipx and `pip install --user` put commands (on Windows too, for pipx),
        # so it is already on PATH wherever flickr-replace itself was installed that way.
        return home / ".local" / "bin"
    return None  # digikam: the snippet is pasted into digiKam's Custom Script tool; manifest: read in place


def listing(env: Mapping[str, str], platform: str = sys.platform) -> list[Glue]:
    """plugin.yaml first, then every host it names, in its order, with the files as installed."""
    import yaml

    folder, manifest = glue_root()
    hosts = yaml.safe_load(manifest.read_text(encoding="utf-8")).get("hosts") or {}
    found = [Glue(MANIFEST_NAME, manifest, None)]
    for name, entry in hosts.items():
        relative = Path(entry["glue"]).relative_to("hooks")
        found.append(Glue(name, folder / relative, host_dir(name, env, platform)))
    return found


def install(glue: Glue, dest: Path, on_kept: Callable[[Path], None] | None = None) -> Path:
    """Copy `glue` into `dest`; a different file already there is kept beside it as NAME.bak-STAMP[-N],
    a name no earlier or concurrent install reuses (the user's edited copy is never lost), and
    `on_kept` is told that name, so the user learns where their copy went."""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / glue.path.name
    wanted = _as_installed(glue)
    if target.is_file() and target.read_bytes() == wanted:
        return target  # installed already: nothing to keep aside
    if target.exists():
        aside = reserve_aside(target, "bak")
        target.replace(aside)
        if on_kept is not None:
            on_kept(aside)
    atomic_write(target, wanted, mode=0o755 if os.access(glue.path, os.X_OK) else 0o644)  # a shim stays runnable
    refresh = shutil.which("update-desktop-database") if glue.name == "open-with" else None
    if refresh:  # the menu sees the entry at once (what desktop-file-install does after installing)
        subprocess.run([refresh, str(dest)], check=False, capture_output=True)
    return target


def _as_installed(glue: Glue) -> bytes:
    """The bytes the installed copy should hold: for a menu entry, as desktop-file-install writes it
    (it validates the entry, as the desktop spec expects); otherwise the glue file itself."""
    tool = shutil.which("desktop-file-install") if glue.name == "open-with" else None
    if not tool:
        return glue.path.read_bytes()
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([tool, "--dir", scratch, str(glue.path)], check=True, capture_output=True)
        return (Path(scratch) / glue.path.name).read_bytes()


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    h = sub.add_parser("hosts", parents=[common],
                       help="list the host glue and plugin.yaml as installed; `hosts install NAME` copies one where its host looks")
    h.set_defaults(handler=cmd_hosts)
    h.add_argument("--json", action="store_true", help="one {name, path, installs_to} object per line")
    actions = h.add_subparsers(dest="hosts_action", metavar="ACTION", parser_class=type(h))
    i = actions.add_parser("install", parents=[common], help="copy one host's glue where that host looks for it")
    i.add_argument("name", metavar="NAME", help="a name `flickr-replace hosts` lists (darktable, open-with, shell, ...)")
    i.add_argument("--dest", metavar="DIR", help="copy it into DIR instead of the host's own folder")
    i.add_argument("--configdir", metavar="DIR",
                   help="darktable: its config folder, as darktable's own --configdir (the script goes in DIR/lua/contrib)")
    i.add_argument("--enable", action="store_true",
                   help="darktable: also add the line that loads the script to its luarc (once; the file is backed up)")


def cmd_hosts(args: argparse.Namespace, env: Environment, redactor: object = None) -> int:
    found = listing(env.env)
    if getattr(args, "hosts_action", None) == "install":
        return _install(args, env, found)
    for glue in found:
        if args.json:
            env.stdout.write(json.dumps(glue.to_dict()) + "\n")
        else:
            where = f" -> {glue.installs_to}" if glue.installs_to else ""
            env.stdout.write(f"{glue.name}\t{glue.path}{where}\n")
    return ExitStatus.OK


def _install(args: argparse.Namespace, env: Environment, found: list[Glue]) -> int:
    by_name = {glue.name: glue for glue in found}
    glue = by_name.get(ALIASES.get(args.name, args.name))
    if glue is None:
        env.stderr.write(f"flickr-replace: no host glue named {args.name!r}; one of: {', '.join(by_name)}\n")
        return ExitStatus.USAGE
    if (args.configdir or args.enable) and glue.name != "darktable":
        env.stderr.write("flickr-replace: --configdir and --enable are for darktable only\n")
        return ExitStatus.USAGE
    if args.configdir:
        dest = env.path(args.dest) if args.dest else env.path(args.configdir) / "lua" / "contrib"
    else:
        dest = env.path(args.dest) if args.dest else glue.installs_to
    if dest is None:
        env.stderr.write(f"flickr-replace: {glue.name} has no folder of its own to go in ({glue.path} is "
                         "read or pasted where it is); give --dest DIR to copy it\n")
        return ExitStatus.USAGE
    try:
        target = install(glue, dest, on_kept=lambda aside: env.stderr.write(
            f"the copy that was there differed: kept as {aside} (compare it to carry your edits over)\n"))
    except (OSError, subprocess.CalledProcessError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else (exc.stderr or b"").decode(errors="replace").strip()
        env.stderr.write(f"flickr-replace: cannot install {glue.name} into {dest}: {reason}\n")
        return ExitStatus.FAILED
    env.stdout.write(f"{target}\n")
    if glue.name == "darktable":
        if args.enable:
            luarc = (env.path(args.configdir) if args.configdir else dest.parent.parent) / "luarc"
            try:
                added = enable_in_luarc(luarc)
            except OSError as exc:
                env.stderr.write(f"flickr-replace: cannot add the script to {luarc}: {exc.strerror}\n")
                return ExitStatus.FAILED
            env.stderr.write(f"{'added to' if added else 'already in'} {luarc}: restart darktable to see the Flickr module\n")
        else:
            env.stderr.write("enable it in darktable's script manager (lua options), give --enable, or add "
                             f"{LUARC_LINE} to darktable's luarc\n")
    return ExitStatus.OK


LUARC_LINE = 'require "contrib/flickr_replace"'


def enable_in_luarc(luarc: Path) -> bool:
    """Add the line that loads the script to darktable's luarc unless a line already loads it;
    the file's other lines stay as they are, and the old file is kept under a new name first.
    Returns whether the line was added."""
    import re

    text = luarc.read_text(encoding="utf-8") if luarc.is_file() else ""
    loads = re.compile(r"""^\s*require\s*\(?\s*["']contrib/flickr_replace["']""")
    if any(loads.match(line) for line in text.splitlines()):
        return False
    mode = 0o644
    if luarc.exists():
        mode = luarc.stat().st_mode & 0o777
        reserve_aside(luarc, "bak").write_bytes(luarc.read_bytes())
    separator = "" if not text or text.endswith("\n") else "\n"
    atomic_write(luarc, (text + separator + LUARC_LINE + "\n").encode("utf-8"), mode=mode)
    return True
