"""The commands that talk to Flickr, one function each (the parser names each one as its handler);
each returns an exit status and raises ConfigError for exit 2."""
from __future__ import annotations

import argparse
import functools
import json
from typing import Any, Callable

from .env import Environment, ExitStatus, Terminated
from .output import Printer
from .redact import RedactingFilter
from .setup import setup as _setup, status_for as _status_for


def cmd_replace(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    from ..core import replace_many
    from .progress import progress_for
    from .stagejson import stage_events

    config, plugins = _setup(args, env, redactor)
    config = config.with_(privacy=args.privacy)
    metadata = {"original": args.original} if args.original else None
    printer = args.printer = Printer(env.stdout, args.json)  # an interruption's message reads what it printed
    shows_bar = _shows_progress(args) and args.progress_json != "-"
    with progress_for(env.stderr, args.paths, shows_bar) as plain, \
            stage_events(args.progress_json, env.stderr, plain) as (bar, on_stage):
        results = replace_many(args.paths, photo_id=args.photo_id, metadata=metadata, async_=args.async_,
                               wait=args.wait, dry_run=args.dry_run, config=config, plugins=plugins,
                               progress=bar.bytes_sent, on_wait=bar.waiting, activity=bar, on_stage=on_stage, jobs=args.jobs,
                               timeout=args.timeout, retries=args.retries, limit_rate=args.limit_rate,
                               record=args.record, upload_missing=args.upload_missing, verify=args.verify,
                               force=args.force, backup=False if args.no_backup else None,
                               sync_metadata=False if args.no_metadata else None, metadata_only=args.metadata_only)
        _print_all(results, printer, bar)
    return _finish(args, env, printer)


def _shows_progress(args: argparse.Namespace) -> bool:
    return bool(args.progress) and not args.quiet


def _print_all(results: Any, printer: Printer, bar: Any) -> None:
    """Print each result as it comes. An interruption that lands here, outside the batch (a reader
    that stopped reading holds the printing), is handed to the batch, which then gives every
    result it knows before it stops."""
    from ..interrupts import INTERRUPTS

    results = iter(results)
    step: Callable[[], Any] = results.__next__
    while True:
        try:
            result = step()
        except StopIteration:
            return
        step = results.__next__
        try:
            with INTERRUPTS.waiting():
                bar.clear()
                printer.result(result)
                bar.file_done(had_ticket=bool(result.ticket_id))
        except (KeyboardInterrupt, Terminated) as exc:
            if not hasattr(results, "throw"):
                raise
            step = functools.partial(results.throw, exc)  # the batch's own handler runs, then re-raises


def _finish(args: argparse.Namespace, env: Environment, printer: Printer) -> int:
    if not args.quiet:
        printer.summary(env.stderr)
    return _status_for(printer)


def cmd_tickets(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    from ..core import finish_saved_tickets
    from .progress import progress_for

    config, plugins = _setup(args, env, redactor)
    printer = args.printer = Printer(env.stdout, args.json)
    held: list[str] = []

    def tell(result: Any, who: str) -> None:
        held.append(result.ticket_id)
        env.stderr.write(f"ticket {result.ticket_id} ({result.path}): left to {who}, which is still running "
                         "and will print its result (should it report it `pending`, run `flickr-replace tickets` "
                         "again once it has ended)\n")

    with progress_for(env.stderr, None, _shows_progress(args)) as bar:
        try:
            results = finish_saved_tickets(wait=args.wait, config=config, plugins=plugins, timeout=args.timeout,
                                           activity=bar, on_held=tell)
        except OSError as exc:
            bar.clear()
            env.stderr.write(f"flickr-replace: cannot read or update the saved tickets in {config.state_path}: "
                             f"{exc.strerror or exc}; nothing was finished (fix that folder, then run this again)\n")
            return ExitStatus.FAILED
        _print_all(results, printer, bar)
    if not sum(printer.counts.values()) and not held and not args.json and not args.quiet:
        env.stderr.write("no pending tickets\n")
    return _finish(args, env, printer)


def cmd_resolve(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    from ..photoid.resolve import resolve_photo_id

    _, plugins = _setup(args, env, redactor)  # a broken config is exit 2 here too, as for every command
    metadata = {"original": args.original} if args.original else None
    printer = Printer(env.stdout, args.json)
    failed = False
    for path in args.paths:
        res = resolve_photo_id(path, metadata=metadata, plugins=plugins, command="resolve")
        failed |= res.error is not None
        data: dict[str, Any] = {"path": path, "photo_id": res.photo_id, "source": res.source}
        if res.error is not None:
            data["error"] = res.error.to_dict()
        if args.json:
            if args.verbose:
                data["candidates"] = [{"photo_id": c.photo_id, "source": c.source, "detail": c.detail}
                                      for c in res.candidates]
            printer.record(data)
            continue
        line = f"{path}: {res.photo_id} (from {res.source})" if res.photo_id else f"{path}: {res.error.message}"
        env.stdout.write(line + "\n")
        if args.verbose:
            for c in res.candidates:
                env.stdout.write(f"    candidate {c.photo_id} from {c.source}" + (f" ({c.detail})" if c.detail else "") + "\n")
            for note in res.notes:
                env.stdout.write(f"    note: {note}\n")
    return ExitStatus.FAILED if failed else ExitStatus.OK


def cmd_status(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    from ..flickr.responses import FlickrFailure
    from ..flickr.client import FlickrClient

    config, _ = _setup(args, env, redactor)
    client = FlickrClient(config)
    try:
        user = client.upload_status()
    except FlickrFailure as exc:
        env.stderr.write(f"flickr-replace: {exc.error.message}\n")
        return ExitStatus.FAILED
    finally:
        client.close()
    if args.json:
        env.stdout.write(json.dumps(user, ensure_ascii=False) + "\n")
        return ExitStatus.OK
    name = (user.get("username") or {}).get("_content") if isinstance(user.get("username"), dict) else user.get("username")
    filesize = user.get("filesize") or {}
    bandwidth = user.get("bandwidth") or {}
    env.stdout.write(f"user: {name or '?'} ({user.get('id', '?')}), pro: {'yes' if str(user.get('ispro')) == '1' else 'no'}\n")
    env.stdout.write(f"largest photo: {human_size(filesize.get('maxbytes'))}\n")
    if str(bandwidth.get("unlimited")) == "1":
        env.stdout.write("monthly bandwidth: unlimited\n")
    else:
        env.stdout.write(f"monthly bandwidth: {human_size(bandwidth.get('remainingbytes'))} of "
                         f"{human_size(bandwidth.get('maxbytes'))} left\n")
    return ExitStatus.OK


def cmd_plugins(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    from ..plugins import get_plugins

    for plugin in get_plugins(args.plugin or (), env.env).listing():
        env.stdout.write(f"{plugin.name}\t{plugin.origin}\t{', '.join(plugin.hooks)}\n")
    return ExitStatus.OK


def cmd_auth(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    from .auth import authorize
    from .tokenimport import import_token

    config, _ = _setup(args, env, redactor)
    if args.from_flickrapi or args.flickrapi_cache:
        return import_token(config, env, redactor, args.flickrapi_cache)
    return authorize(config, env, redactor)


def cmd_sandbox(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    from ..sandbox import run

    return run(args, env.stdout, env.stderr)


def cmd_demo(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    from ..plugins import get_plugins
    from .demo import run_demo

    return run_demo(env, get_plugins(args.plugin or (), env.env))


def cmd_link(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    from ..link.run import link_photos

    config, plugins = _setup(args, env, redactor)
    printer = Printer(env.stdout, args.json)
    for result in link_photos(args.paths, write=args.write, refresh=args.refresh, config=config, plugins=plugins,
                              recursive=args.recursive):
        printer.counts[result.status.value] += 1
        if args.json:
            printer.record(result.to_dict())
        else:
            env.stdout.write(result.describe() + "\n")
    return _finish(args, env, printer)


def human_size(value: Any) -> str:
    """Bytes as a person reads them (MB and GB, in Flickr's binary units); '?' when Flickr sent none."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return "?"
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def cmd_watch(args: argparse.Namespace, env: Environment, redactor: RedactingFilter) -> int:
    """Runs until Ctrl-C or SIGTERM, which `main` turns into 130 / 143 (pending tickets stay saved)."""
    import os

    from ..core import replace_many
    from ..errors import ConfigError
    from ..watch.loop import Stop, watch_batches
    from ..watch.results import watch_results
    from .signals import kept_signals

    missing = [d for d in args.dirs if not os.path.isdir(d)]
    if missing:
        raise ConfigError(f"not a folder: {', '.join(missing)} (give the folder your photo tool exports to)")
    config, plugins = _setup(args, env, redactor)
    config.require_credentials()
    printer = args.printer = Printer(env.stdout, args.json)  # an interruption's message reads what it printed

    def ready(events: bool) -> None:
        how = "file-system events" if events else "rescanning every 0.25 s"
        env.stderr.write(f"watching {', '.join(args.dirs)} ({how}; a file is sent {args.settle:g} s after its last "
                         "change); Ctrl-C stops\n")
        env.stderr.flush()

    from contextlib import closing

    stop = Stop()
    with kept_signals(stop), closing(watch_batches(args.dirs, recursive=args.recursive, settle=args.settle,
                                                   ready=ready, stop=stop)) as batches:
        send = functools.partial(replace_many, config=config, plugins=plugins, upload_missing=args.upload_missing)
        for result in watch_results(batches, send):
            printer.result(result)
    return _status_for(printer)
