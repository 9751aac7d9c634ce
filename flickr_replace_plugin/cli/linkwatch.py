"""The command lines of `link` (files with no id) and `watch` (export folders)."""
from __future__ import annotations

import argparse


def add_link_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    k = sub.add_parser("link", parents=[common], help="find which of your Flickr photos each file is; --write records it")
    k.add_argument("paths", nargs="+", metavar="PATH", help="the image files to find on Flickr")
    k.add_argument("--write", action="store_true", help="record a unique match in NAME.EXT.flickr.yaml (the image is never modified)")
    k.add_argument("--json", action="store_true", help="one {path, status, photo_id, matched_on, candidates, written, error} object per path")
    k.add_argument("--recursive", action="store_true", help="a folder stands for its image files; with this, its subfolders' too")
    k.add_argument("--refresh", action="store_true", help="read your photo list from Flickr again instead of the cached one")
    return k


def add_watch_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    from ..argtypes import seconds

    w = sub.add_parser("watch", parents=[common], help="replace each image that appears or changes in DIR, once it has stopped changing; until Ctrl-C")
    w.add_argument("dirs", nargs="+", metavar="DIR", help="the folders your photo tool exports to")
    w.add_argument("--recursive", action="store_true", help="watch the folders inside DIR too")
    w.add_argument("--settle", type=seconds, default=2.0, metavar="S", help="seconds a file's size and time must hold before it is sent (default 2)")
    w.add_argument("--json", action="store_true", help="one JSON result object per replace, as they finish")
    w.add_argument("--upload-missing", action="store_true", default=None, help="upload an image no source has an id for as a new photo, as replace --upload-missing")
    return w
