"""`python -m flickr_replace_catalog add PATH PHOTO_ID` / `history`: fill and read the catalog."""
from __future__ import annotations

import argparse
import json
import sys

from .catalog import Catalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flickr_replace_catalog")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="catalogue a file as a Flickr photo")
    add.add_argument("path")
    add.add_argument("photo_id")
    sub.add_parser("history", help="every result flickr-replace reported, as JSON lines")
    args = parser.parse_args(argv)
    with Catalog.open() as catalog:
        if args.command == "add":
            catalog.add(args.path, args.photo_id)
        else:
            for row in catalog.history():
                sys.stdout.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
