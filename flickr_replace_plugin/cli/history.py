"""`flickr-replace history` (the journal, newest first) and `flickr-replace undo` (the backup put back)."""
from __future__ import annotations

import argparse
from typing import Any

from ..argtypes import journal_time
from .env import Environment, ExitStatus
from .output import Printer
from .redact import RedactingFilter
from .setup import setup, status_for


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    from ..argtypes import positive_int

    h = sub.add_parser("history", parents=[common], help="what this tool replaced, newest first (the journal)")
    h.set_defaults(handler=cmd_history)
    h.add_argument("keys", nargs="*", metavar="PHOTO_ID or PATH", help="only these photos or files")
    h.add_argument("--json", action="store_true", help="one JSON object per entry")
    h.add_argument("--limit", type=positive_int, default=None, metavar="N", help="the newest N entries")
    u = sub.add_parser("undo", parents=[common], help="put back each photo's original from before this tool's last replace")
    u.set_defaults(handler=cmd_undo)
    u.add_argument("photo_ids", nargs="+", metavar="PHOTO_ID", help="the photos to put back, as history shows them")
    u.add_argument("--json", action="store_true", help="one JSON object per photo id, as replace prints")
    u.add_argument("--to", metavar="TIME", type=journal_time, help="put back the backup taken before the send at TIME (a time "
                   "as `history` prints it), not the last one")


def cmd_history(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    from ..errors import JournalUnavailable
    from ..safety.journal import Journal

    config, _ = setup(args, env, redactor)
    try:
        entries = Journal(config.state_path).entries(args.keys, args.limit)
    except JournalUnavailable as exc:
        env.stderr.write(f"flickr-replace: {exc}\n")
        return ExitStatus.FAILED
    printer = Printer(env.stdout, args.json)
    for entry in entries:
        if args.json:
            printer.record(entry)
            continue
        backup = f"  backup {entry['backup']}" if entry["backup"] else ""
        env.stdout.write(f"{entry['time']}  {entry['command']:<7} {entry['status']:<9} photo {entry['photo_id']}  "
                         f"{entry['path']}  sha256 {(entry['sha256'] or '-')[:12]}{backup}\n")
    if not entries and not args.json:
        env.stderr.write("no entries in the journal" + (" for " + " ".join(args.keys) if args.keys else "") + "\n")
    return ExitStatus.OK


def cmd_undo(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    from ..undoing import undo_many

    config, plugins = setup(args, env, redactor)
    printer = Printer(env.stdout, args.json)
    for result in undo_many(args.photo_ids, to=args.to, config=config, plugins=plugins):
        printer.result(result)
    printer.summary(env.stderr)
    return status_for(printer)
