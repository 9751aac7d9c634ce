"""Every hook is documented under its own heading, with its real arguments, and has its own test."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from flickr_replace_plugin import hookspecs
from flickr_replace_plugin.plugins import hook_names

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "writing-a-plugin.md"
HEADING = re.compile(r"^#{2,4} +`?(\w+)\(([^)]*)\)`?\s*$", re.MULTILINE)


def documented() -> dict[str, list[str]]:
    """Hook headings in the guide: name -> the argument names the heading shows."""
    return {name: [a.strip() for a in args.split(",") if a.strip()]
            for name, args in HEADING.findall(GUIDE.read_text(encoding="utf-8"))}


def hooks_with_tests() -> set[str]:
    names = set()
    for file in Path(__file__).parent.glob("test_*.py"):
        names |= set(re.findall(r"^def test_hook_(\w+)\(", file.read_text(encoding="utf-8"), re.MULTILINE))
    return names


@pytest.mark.parametrize("hook", hook_names())
def test_hook_is_documented_with_its_arguments(hook):
    headings = documented()
    assert hook in headings, f"docs/writing-a-plugin.md has no heading for the hook {hook}"
    assert headings[hook] == list(inspect.signature(getattr(hookspecs, hook)).parameters)


@pytest.mark.parametrize("hook", hook_names())
def test_hook_has_its_own_test(hook):
    assert hook in hooks_with_tests(), f"no test_hook_{hook} in tests/"


def test_guide_documents_no_hook_that_does_not_exist():
    assert set(documented()) <= set(hook_names())


def test_the_readme_layout_names_every_subpackage():
    """A new folder in the package gets its line in README's "How the code is laid out"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## How the code is laid out", 1)[1].split("\n## ", 1)[0]
    package = ROOT / "flickr_replace_plugin"
    folders = sorted(p.parent.name for p in package.glob("*/__init__.py"))
    assert folders and all(f"`{name}/`" in section for name in folders), \
        [name for name in folders if f"`{name}/`" not in section]


def test_readme_settings_table_is_the_one_the_checks_use():
    from flickr_replace_plugin.config import settings_table

    assert settings_table() in (ROOT / "README.md").read_text(encoding="utf-8")
