"""The command lines of `link` (files with no id) and `watch` (export folders)."""
from __future__ import annotations

import argparse



def add_link_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    k = sub.add_parser("link", parents=[common], help="find which of your Flickr photos each file is; --write records it")
    k.add_argument("paths", nargs="+", metavar="PATH")
    k.add_argument("--write", action="store_true", help="record a unique match in NAME.EXT.flickr.yaml (the image is never modified)")
    k.add_argument("--json", action="store_true", help="one {path, status, photo_id, matched_on, candidates, written, error} object per path")
    k.add_argument("--refresh", action="store_true", help="read your photo list from Flickr again instead of the cached one")
