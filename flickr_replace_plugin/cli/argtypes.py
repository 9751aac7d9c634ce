"""Command-line value types shared by the main CLI and the sandbox's: one clear line per mistake."""
from __future__ import annotations

import argparse
from typing import Callable

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def _number(kind: type, what: str, minimum: float, inclusive: bool) -> Callable[[str], float]:
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if value < minimum or (not inclusive and value == minimum):
            raise argparse.ArgumentTypeError(f"must be {'at least' if inclusive else 'above'} {minimum}")
        return value

    return parse


positive_int = _number(int, "a whole number", 1, True)
seconds = _number(float, "a number of seconds", 0, True)


def byte_size(text: str) -> int:
    """A byte count (or bytes per second), with an optional K/M/G suffix in binary units: `500k`, `200M/s`."""
    value = text.strip().upper().removesuffix("/S").removesuffix("IB").removesuffix("B")
    unit = value[-1:] if value[-1:] in ("K", "M", "G") else ""
    try:
        size = int(float(value[: len(value) - len(unit)]) * _UNITS[unit])
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a byte size: {text!r} (try 500k or 2M)") from None
    if size <= 0:
        raise argparse.ArgumentTypeError("the size must be positive")
    return size
