"""Command-line value types shared by the main CLI and the sandbox's: one clear line per mistake
(below both, so the sandbox never imports the CLI).

They are the config's own rules (config.Rule), so `--limit-rate 2M` and `limit_rate: 2M` are read
by one parser and refused with the same words."""
from __future__ import annotations

import argparse
from typing import Any, Callable

from .config import RULES, Rule, byte_size as _byte_size


def _argtype(rule: Rule, name: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return rule.parse(text)
        except (TypeError, ValueError, OverflowError):
            raise argparse.ArgumentTypeError(f"must be {rule.allowed}, not {text!r}") from None

    parse.__name__ = name  # argparse names the type in some messages
    return parse


positive_int = _argtype(RULES["jobs"], "positive_int")
seconds = _argtype(RULES["timeout"], "seconds")
# a ticket wait of 0 s would report every async upload pending at once: --no-wait says that
wait_seconds = _argtype(RULES["http_timeout"], "wait_seconds")
byte_size = _argtype(Rule("integer", "a byte size such as 500k or 2M", _byte_size), "byte_size")


def journal_time(text: str) -> str:
    """A time as `history` prints it (or its start: at least the date): `undo --to`."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < 8 or not text[:1].isdigit():
        raise argparse.ArgumentTypeError(f"must be a time as `flickr-replace history` prints it (such as "
                                         f"2026-01-02T03:04:05Z, or at least its date), not {text!r}")
    return text
