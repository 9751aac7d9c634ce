"""`flickr-replace sandbox`: the options, and serving until SIGINT or SIGTERM.

Imports only the standard library at module level: the main CLI builds its parser from
`add_arguments` on every start, and the server itself is loaded only when it runs.
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import IO, Sequence

from ..argtypes import byte_size, seconds
from ..status import ExitStatus


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0 to 65535; 0 picks a free one): {text!r}")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=port_number, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="keep photos, tickets and credentials here across restarts (default: a temporary dir)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--latency", type=seconds, default=0.0, metavar="SECONDS",
                        help="answer every request this much later, as a distant server would")
    parser.add_argument("--max-bytes", type=byte_size, default=None, metavar="N",
                        help="the account's photo file-size limit (default 200M, Flickr's)")
    parser.add_argument("--ticket-delay", type=seconds, default=None, metavar="SECONDS",
                        help="how long an async upload takes to complete (default 1)")


def run(args: argparse.Namespace, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    """Serve; the first `stdout` line is the JSON object a client needs (URL and credentials)."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    import errno

    from .app import Sandbox

    sandbox = None
    try:
        sandbox = Sandbox(getattr(args, "data", None), port=getattr(args, "port", 0) or 0,
                          host=getattr(args, "host", None) or "127.0.0.1", latency=getattr(args, "latency", 0.0),
                          max_bytes=getattr(args, "max_bytes", None),
                          ticket_delay=getattr(args, "ticket_delay", None))
        sandbox.start()
    except (OSError, ValueError) as exc:
        if sandbox is not None:
            sandbox.close()  # a temporary data dir goes with the failed start
        if getattr(exc, "errno", None) == errno.EADDRINUSE:
            exc = f"port {args.port} is already in use; pick another with --port, or --port 0 for a free one"
        elif getattr(exc, "errno", None) == errno.EADDRNOTAVAIL:
            exc = f"cannot listen on {args.host}: not an address of this machine (the default is 127.0.0.1)"
        print(f"flickr-replace sandbox: {exc}", file=stderr)
        return ExitStatus.USAGE
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        print(json.dumps({"base_url": sandbox.base_url, **sandbox.credentials}), file=stdout, flush=True)
        print(f"Flickr sandbox at {sandbox.base_url}, data in {sandbox.data_dir}; Ctrl-C stops it.",
              file=stderr, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sandbox.close()
    return ExitStatus.OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flickr-replace sandbox", description="A local Flickr-compatible server.")
    add_arguments(parser)
    return run(parser.parse_args(argv))
