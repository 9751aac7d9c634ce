"""`flickr-replace completion SHELL`: the shell's completion script, made by shtab from the parser.

shtab is imported here only, so no other command pays for it at start-up. Arguments that take a
path complete as files or folders, told apart by their metavar (one naming habit, every command).
"""
from __future__ import annotations

import argparse
from typing import Iterator

from .env import Environment, ExitStatus

SHELLS = ("bash", "zsh", "tcsh")
FILE_METAVARS = ("PATH", "FILE")
DIR_METAVARS = ("DIR",)


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
               root: argparse.ArgumentParser) -> None:
    c = sub.add_parser("completion", parents=[common],
                       help="print the shell completion script (see the README for where it goes)")
    c.add_argument("shell", choices=SHELLS, metavar="SHELL", help="the shell to complete in: " + ", ".join(SHELLS))
    c.set_defaults(handler=cmd_completion, completion_root=root)  # the whole command line, for shtab to describe


def _actions(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    for action in parser._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for inner in dict.fromkeys(action.choices.values()):  # aliases name one parser twice
                yield from _actions(inner)


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    import shtab

    for action in _actions(parser):
        if action.metavar in FILE_METAVARS:
            action.complete = shtab.FILE  # type: ignore[attr-defined]
        elif action.metavar in DIR_METAVARS:
            action.complete = shtab.DIRECTORY  # type: ignore[attr-defined]
    return shtab.complete(parser, shell=shell)


def cmd_completion(args: argparse.Namespace, env: Environment, redactor: object = None) -> int:
    env.stdout.write(script(args.completion_root, args.shell))
    return ExitStatus.OK
