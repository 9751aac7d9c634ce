"""The `flickr-replace` command. Only `main` turns errors into exit codes; heavy imports are deferred
so a host that starts the CLI once per photo pays little."""
from __future__ import annotations

import argparse
import os
import sys
import threading
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, Sequence

from .env import Environment, ExitStatus, Terminated


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2 with one line, as the contract says
        self.exit(ExitStatus.USAGE, f"{self.prog}: error: {message}\n")


def epilog() -> str:
    from ..status import described

    return ("exit status:\n" + "\n".join("  " + line for line in described().splitlines())
            + "\n\nRun `flickr-replace COMMAND --help` for a command's options.")


def build_parser() -> argparse.ArgumentParser:
    from ..argtypes import byte_size, positive_int, wait_seconds
    from ..config import PRIVACY_WORDS
    from . import commands

    def shared(top: bool) -> argparse.ArgumentParser:
        """Options every command takes, before or after the command; after it, SUPPRESS keeps the
        top level's value."""
        parser = argparse.ArgumentParser(add_help=False)
        default = (lambda value: value) if top else (lambda value: argparse.SUPPRESS)
        parser.add_argument("-v", "--verbose", action="count", default=default(0),
                            help="log what happens to each file on stderr (-vv: HTTP too); secrets are masked")
        parser.add_argument("-q", "--quiet", action="store_true", default=default(False),
                            help="print only results and errors: no progress bar, no summary")
        parser.add_argument("--no-progress", dest="progress", action="store_false", default=default(True),
                            help="no progress bar on stderr, even on a terminal")
        parser.add_argument("--plugin", action="append", default=default(None), metavar="MODULE",
                            help="load a plugin module (repeatable)")
        parser.add_argument("--config", default=default(None), metavar="FILE",
                            help="read settings from FILE instead of FLICKR_REPLACE_CONFIG or the default "
                                 "(`flickr-replace paths` shows it); it must exist, but for `auth`, which writes it")
        return parser

    common = shared(top=False)
    p = _Parser(prog="flickr-replace", parents=[shared(top=True)], epilog=epilog(),
                formatter_class=argparse.RawDescriptionHelpFormatter,
                description="Replace photos already on Flickr with a newly exported file: same photo page, id, views, comments and faves.")
    from ..version import __version__

    p.add_argument("--version", action="version", version=f"flickr-replace {__version__}",
                   help="show program's version number and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    r = sub.add_parser("replace", parents=[common], help="replace each file's photo on Flickr")
    r.set_defaults(handler=commands.cmd_replace, keeps_tickets=True)
    r.add_argument("paths", nargs="+", metavar="PATH", help="the exported image files")
    r.add_argument("--photo-id", type=_photo_id, help="the Flickr photo to replace (wins over every other source)")
    r.add_argument("--original", metavar="PATH", help="read the photo id from this source image (its sidecars, metadata, name), e.g. when PATH is a temporary export")
    mode = r.add_mutually_exclusive_group()
    mode.add_argument("--async", dest="async_", action="store_true", default=True, help="upload with async=1 and wait for the ticket (default)")
    mode.add_argument("--sync", dest="async_", action="store_false", help="async=0: Flickr answers once the photo is processed")
    waiting = r.add_mutually_exclusive_group()
    waiting.add_argument("--wait", dest="wait", action="store_true", default=True, help="wait for async tickets (default)")
    waiting.add_argument("--no-wait", dest="wait", action="store_false", help="report async uploads as pending at once; finish with `tickets`")
    r.add_argument("--dry-run", action="store_true", help="resolve and check every file, send nothing")
    r.add_argument("--force", action="store_true", help="send even a picture unlike the photo's, or the same bytes again")
    r.add_argument("--no-backup", action="store_true", help="don't download the photo's current original first")
    r.add_argument("--no-verify", dest="verify", action="store_false", default=True,
                   help="don't check the target and the picture first (saves API calls; one file per photo still holds)")
    r.add_argument("--json", action="store_true", help="one JSON object per path on stdout, nothing else")
    r.add_argument("--progress-json", metavar="FILE", help="write each file's stage (checking, sending, processing, metadata) as JSON lines to FILE (- for stderr) while the run goes on")
    r.add_argument("--jobs", type=positive_int, default=None, metavar="N", help="replace N files at a time")
    r.add_argument("--timeout", type=wait_seconds, default=None, metavar="S", help="seconds to wait for async tickets (default 600)")
    r.add_argument("--retries", type=positive_int, default=None, metavar="N", help="upload attempts for temporary failures (default 4)")
    r.add_argument("--limit-rate", type=byte_size, default=None, metavar="BYTES/S", help="cap upload speed, e.g. 500k or 2M")
    r.add_argument("--upload-missing", action="store_true", default=None, help="upload a file no source has an id for as a new photo (unless it is probably on Flickr already), and record its id")
    r.add_argument("--privacy", choices=PRIVACY_WORDS, default=None, help="who may see a photo uploaded as new (over config `privacy`)")
    r.add_argument("--record", action="store_true", default=None, help="after a replace, write NAME.EXT.flickr.yaml so the next export needs no id")
    meta = r.add_mutually_exclusive_group()
    meta.add_argument("--no-metadata", action="store_true", help="leave the photo's title, description, tags, date taken and place as they are")
    meta.add_argument("--metadata-only", action="store_true", help="send no picture: only bring the file's metadata onto its photo (the target checks still run)")

    s = sub.add_parser("resolve", parents=[common], help="print each file's photo id and where it was found; sends nothing")
    s.set_defaults(handler=commands.cmd_resolve)
    s.add_argument("paths", nargs="+", metavar="PATH", help="the image files to look up")
    s.add_argument("--original", metavar="PATH", help="read the photo id from this source image")
    s.add_argument("--json", action="store_true",
                   help="one {path, photo_id, source} object per path (plus error when none was found)")

    t = sub.add_parser("tickets", parents=[common], help="finish async tickets an earlier run left pending")
    t.set_defaults(handler=commands.cmd_tickets, keeps_tickets=True)
    t.add_argument("--json", action="store_true", help="one result object per ticket")
    t.add_argument("--no-wait", dest="wait", action="store_false", default=True, help="ask once, don't wait")
    t.add_argument("--timeout", type=wait_seconds, default=None, metavar="S", help="seconds to wait for the tickets")

    from .tokenimport import add_auth_parser

    add_auth_parser(sub, common).set_defaults(handler=commands.cmd_auth, writes_config=True)
    st = sub.add_parser("status", parents=[common], help="your Flickr upload limits")
    st.set_defaults(handler=commands.cmd_status)
    st.add_argument("--json", action="store_true", help="flickr.people.getUploadStatus's user object")
    sub.add_parser("plugins", parents=[common], help="list loaded plugins and where they come from"
                   ).set_defaults(handler=commands.cmd_plugins)

    sb = sub.add_parser("sandbox", parents=[common], help="run a local Flickr-compatible server")
    sb.set_defaults(handler=commands.cmd_sandbox)
    from ..sandbox import add_arguments

    add_arguments(sb)
    from .history import add_parsers

    add_parsers(sub, common)
    sub.add_parser("demo", parents=[common], help="replace a sample photo on a built-in sandbox: no account needed"
                   ).set_defaults(handler=commands.cmd_demo)
    from .linkwatch import add_link_parser, add_watch_parser

    add_link_parser(sub, common).set_defaults(handler=commands.cmd_link)
    add_watch_parser(sub, common).set_defaults(handler=commands.cmd_watch, keeps_tickets=True)

    from .hosts import add_parser as add_hosts

    add_hosts(sub, common)
    from .paths import add_parser as add_paths
    from .completion import add_parser as add_completion

    add_paths(sub, common)
    add_completion(sub, common, root=p)
    return p



def _photo_id(text: str) -> str:
    from ..photoid.patterns import is_photo_id, leading_zeros

    if not is_photo_id(text.strip()):
        raise argparse.ArgumentTypeError(
            f"not a Flickr photo id (digits only, as in flickr.com/photos/USER/ID): {text!r}")
    padded = leading_zeros(text.strip())
    if padded:
        raise argparse.ArgumentTypeError(f"not a Flickr photo id: {padded}")
    return text.strip()



def main(argv: Sequence[str] | None = None, environment: Environment | None = None) -> int:
    """Run one command in `environment` (the process's own when None) and return its exit status:
    usage errors, --help and --version too, so in-process callers and the console command take
    one path. Only an environment that owns the process gets the SIGINT / SIGTERM handler."""
    env = environment or Environment.from_process()
    if not (sys.argv[1:] if argv is None else list(argv)):  # the command alone: show what it can do
        env.stderr.write(build_parser().format_help())
        return ExitStatus.USAGE
    try:
        with redirect_stdout(env.stdout), redirect_stderr(env.stderr):  # argparse's help and errors
            args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else ExitStatus.USAGE
    from .redact import logging_to

    from ..interrupts import INTERRUPTS

    handles_signals = env.owns_process and threading.current_thread() is threading.main_thread()
    previous: dict[int, Any] = INTERRUPTS.install() if handles_signals else {}
    if hasattr(env.stdout, "reconfigure"):  # file names that are not UTF-8 print as their bytes, like ls
        env.stdout.reconfigure(errors="surrogateescape")
    try:
        with logging_to(env.stderr, args.verbose) as redactor:
            return _run(args, env, redactor)
    finally:
        INTERRUPTS.restore(previous)


def _run(args: argparse.Namespace, env: Environment, redactor: Any) -> int:
    """The command's status: only here do errors become exit codes."""
    from ..errors import ConfigError

    try:
        if args.config:
            from .setup import with_named_config

            env = with_named_config(args, env)
        return int(args.handler(args, env, redactor))
    except ConfigError as exc:
        env.stderr.write(f"flickr-replace: {redactor.redact(str(exc))}\n")
        return ExitStatus.USAGE
    except (KeyboardInterrupt, Terminated) as exc:
        stopped = isinstance(exc, Terminated)
        printer = getattr(args, "printer", None)  # what the run printed: were there pending tickets at all?
        some = printer is None or printer.counts["pending"] > 0
        saved = "; pending tickets are saved (finish with `flickr-replace tickets`)" \
            if some and getattr(args, "keeps_tickets", False) else ""
        unsaved = getattr(printer, "unsaved", None)
        if saved and unsaved:
            saved += f", except the ticket(s) of {', '.join(unsaved)}, which could not be saved (check those photos on flickr.com)"
        env.stderr.write(f"flickr-replace: {'terminated' if stopped else 'interrupted'}{saved}\n")
        return ExitStatus.TERMINATED if stopped else ExitStatus.INTERRUPTED
    except BrokenPipeError:
        return ExitStatus.FAILED
    except Exception as exc:  # a bug: one line for the user, the traceback (masked) with -vv
        import logging

        logging.getLogger("flickr_replace").debug("unexpected error", exc_info=True)
        first = (str(exc).splitlines() or [""])[0]
        env.stderr.write(f"flickr-replace: unexpected {type(exc).__name__}: {redactor.redact(first)}"
                         " (run again with -vv for the details)\n")
        return ExitStatus.FAILED


def run() -> None:
    """Console-script entry. Once the output is flushed, the process ends at once: after an
    interruption so that worker threads mid-upload don't hold the exit, and after a normal run to
    skip the interpreter's teardown of several hundred modules (about 80 ms, which a host that
    runs the command once per photo pays every time). Exit handlers still run first."""
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    if status in (ExitStatus.INTERRUPTED, ExitStatus.TERMINATED):
        os._exit(status)
    if _only_thread_left():
        import atexit

        run_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's; elsewhere the normal exit
        if run_handlers is not None:
            run_handlers()
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (BrokenPipeError, ValueError):
                    pass
            os._exit(status)
    sys.exit(status)


def _only_thread_left() -> bool:
    """No other thread the normal exit would wait for (a daemon thread it would not)."""
    return all(t is threading.current_thread() or t.daemon for t in threading.enumerate())
