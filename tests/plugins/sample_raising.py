"""Hooks that raise, for files whose name says so ("boom-find", "boom-veto", "boom-after"):
each must become that file's failed result or a logged warning, never a crash."""
from pathlib import Path

from flickr_replace_plugin import hookimpl


def _boom(path, hook):
    if f"boom-{hook}" in Path(path).name:
        raise RuntimeError(f"{hook} exploded")


@hookimpl
def find_photo_id(path):
    _boom(path, "find")


@hookimpl
def before_replace(path):
    _boom(path, "veto")


@hookimpl
def after_replace(result):
    _boom(result.path, "after")
