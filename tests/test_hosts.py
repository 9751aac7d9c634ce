"""`flickr-replace hosts`: where each host's glue goes on each OS, and installing it without losing
a file the user already has there."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from flickr_replace_plugin.cli import Environment, main
from flickr_replace_plugin.cli.hosts import host_dir

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "hooks" / "darktable" / "flickr_replace.lua"


def hosts(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["hosts", *args], Environment(stdin=io.StringIO(), stdout=out, stderr=err, env=env))
    return int(status), out.getvalue(), err.getvalue()


@pytest.mark.parametrize("platform, env, expected", [
    ("linux", {"HOME": "/home/ann"}, "/home/ann/.config/darktable/lua/contrib"),
    ("linux", {"HOME": "/home/ann", "XDG_CONFIG_HOME": "/cfg"}, "/cfg/darktable/lua/contrib"),
    ("darwin", {"HOME": "/Users/ann"}, "/Users/ann/.config/darktable/lua/contrib"),
    ("win32", {"USERPROFILE": r"C:\Users\ann", "LOCALAPPDATA": r"C:\Users\ann\AppData\Local"},
     str(Path(r"C:\Users\ann\AppData\Local") / "darktable" / "lua" / "contrib")),
])
def test_darktable_glue_goes_into_its_lua_contrib_folder_on_each_os(platform, env, expected):
    assert host_dir("darktable", env, platform) == Path(expected)


def test_other_hosts_folders():
    env = {"HOME": "/home/ann"}
    assert host_dir("open-with", env, "linux") == Path("/home/ann/.local/share/applications")
    assert host_dir("shell", env, "linux") == Path("/home/ann/.local/bin")
    assert host_dir("digikam", env, "linux") is None


def test_install_into_the_users_darktable_keeps_a_changed_copy(tmp_path):
    env = {"HOME": str(tmp_path)}
    status, out, _ = hosts(["--json"], env)
    listed = {e["name"]: e for e in map(json.loads, out.splitlines())}
    contrib = tmp_path / ".config" / "darktable" / "lua" / "contrib"
    assert status == 0 and listed["darktable"]["installs_to"] == str(contrib)

    contrib.mkdir(parents=True)
    (contrib / LUA.name).write_text("-- the user's own edits\n")
    status, out, err = hosts(["install", "darktable"], env)
    assert status == 0 and out.strip() == str(contrib / LUA.name)
    assert (contrib / LUA.name).read_bytes() == LUA.read_bytes()
    [kept] = contrib.glob(f"{LUA.name}.bak-*")
    assert kept.read_text() == "-- the user's own edits\n"
    assert f"kept as {kept}" in err  # the user learns where their edited copy went
    status, _, err = hosts(["install", "darktable"], env)
    assert status == 0 and "kept as" not in err  # the same file again: nothing new kept
    assert len(list(contrib.glob(f"{LUA.name}.bak-*"))) == 1


def test_shell_shim_stays_executable(tmp_path):
    status, out, _ = hosts(["install", "shell", "--dest", str(tmp_path)], {"HOME": str(tmp_path)})
    assert status == 0 and Path(out.strip()).stat().st_mode & 0o111


def test_unknown_or_unplaceable_glue_is_a_usage_error(tmp_path):
    status, _, err = hosts(["install", "gimp"], {"HOME": str(tmp_path)})
    assert status == 2 and "darktable" in err
    status, _, err = hosts(["install", "digikam"], {"HOME": str(tmp_path)})
    assert status == 2 and "--dest" in err
    assert not any(tmp_path.iterdir())


def test_installs_in_the_same_second_never_lose_the_users_edited_copy(tmp_path):
    dest = tmp_path / "applications"
    dest.mkdir()
    edited = "[Desktop Entry]\nType=Application\nName=my own edit\nExec=true %F\n"
    (dest / "flickr-replace.desktop").write_text(edited)
    for _ in range(3):  # faster than a second apart: the names kept aside must still differ
        assert hosts(["install", "open-with", "--dest", str(dest)], {"HOME": str(tmp_path)})[0] == 0
        (dest / "flickr-replace.desktop").write_text(edited + "# edited again\n")
    kept = sorted(p.read_text() for p in dest.glob("flickr-replace.desktop.bak-*"))
    assert kept == sorted([edited] + [edited + "# edited again\n"] * 2)
    (dest / "flickr-replace.desktop").unlink()
    assert hosts(["install", "open-with", "--dest", str(dest)], {"HOME": str(tmp_path)})[0] == 0
    assert hosts(["install", "open-with", "--dest", str(dest)], {"HOME": str(tmp_path)})[0] == 0
    assert len(list(dest.glob("flickr-replace.desktop.bak-*"))) == 3  # the same install again keeps nothing new


def test_install_into_a_darktable_configdir_and_enable_it_once(tmp_path):
    config = tmp_path / "my darktable"
    config.mkdir()
    (config / "luarc").write_text('require "tools/script_manager"\n-- my own line')
    env = {"HOME": str(tmp_path / "home")}

    status, out, err = hosts(["install", "darktable", "--configdir", str(config), "--enable"], env)

    assert status == 0 and out.strip() == str(config / "lua" / "contrib" / LUA.name), err
    assert (config / "lua" / "contrib" / LUA.name).read_bytes() == LUA.read_bytes()
    assert (config / "luarc").read_text() == ('require "tools/script_manager"\n-- my own line\n'
                                              'require "contrib/flickr_replace"\n')
    [kept] = config.glob("luarc.bak-*")
    assert kept.read_text() == 'require "tools/script_manager"\n-- my own line'
    assert "restart darktable" in err
    for _ in range(2):  # again: the line is there once, and nothing more is kept aside
        assert hosts(["install", "darktable", "--configdir", str(config), "--enable"], env)[0] == 0
    assert (config / "luarc").read_text().count("contrib/flickr_replace") == 1
    assert len(list(config.glob("luarc.bak-*"))) == 1
    assert not (tmp_path / "home").exists(), "the default config folder was touched"


def test_enable_without_configdir_uses_darktables_own_folder(tmp_path):
    status, _, _ = hosts(["install", "darktable", "--enable"], {"HOME": str(tmp_path)})
    luarc = tmp_path / ".config" / "darktable" / "luarc"
    assert status == 0 and luarc.read_text() == 'require "contrib/flickr_replace"\n'
    assert list(luarc.parent.glob("luarc.bak-*")) == []  # there was no file to keep


def test_enable_is_for_darktable_only(tmp_path):
    status, _, err = hosts(["install", "shell", "--dest", str(tmp_path), "--enable"], {"HOME": str(tmp_path)})
    assert status == 2 and "darktable only" in err
