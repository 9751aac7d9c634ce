"""`flickr-replace paths`: where this run reads its config and keeps its state, cache and backups.

Worked out from the config that the other commands load (FLICKR_REPLACE_CONFIG, `--config`, the
config's own `state_dir` and `backup_dir`, the platform's user dirs), so what it prints is where a
replace would write, not a second guess at it.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..config import Config, load_config
from .env import Environment, ExitStatus


def locations(config: Config) -> dict[str, Any]:
    """Every place the tool reads or writes, as `paths --json` prints them."""
    from ..safety.journal import FILENAME as JOURNAL
    from ..tickets import STORE_NAME as TICKETS

    config_file = Path(config.path) if config.path else config.user_dirs.config_file
    state = config.state_path
    return {"config": str(config_file), "config_exists": config_file.is_file(), "state_dir": str(state),
            "tickets": str(state / TICKETS), "journal": str(state / JOURNAL),
            "cache_dir": str(config.user_dirs.cache), "backup_dir": str(config.backup_path)}


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("paths", parents=[common],
                       help="print where the config, state (tickets, journal), cache and backups live")
    p.set_defaults(handler=cmd_paths)
    p.add_argument("--json", action="store_true",
                   help="one {config, config_exists, state_dir, tickets, journal, cache_dir, backup_dir} object")


def cmd_paths(args: argparse.Namespace, env: Environment, redactor: object = None) -> int:
    found = locations(load_config(env.env))
    if args.json:
        env.stdout.write(json.dumps(found) + "\n")
        return ExitStatus.OK
    exists = found.pop("config_exists")
    for name, path in found.items():
        note = "" if name != "config" else " (exists)" if exists else " (not there yet: `flickr-replace auth` writes it)"
        env.stdout.write(f"{name}: {path}{note}\n")
    return ExitStatus.OK
