"""The one replace core every host calls: resolve the id, check the file, upload, wait, report."""
from __future__ import annotations

import logging
import random
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from .config import Config
from .errors import JournalUnavailable, PluginError
from .flickr.ratelimit import CallLimiter
from .flickr.responses import MAX_RETRY_AFTER, FlickrFailure, Ticket, TicketState
from .options import RunOptions, run_options
from .photoid.candidates import CALLER_SOURCES
from .result import Origin, ReplaceResult, ResultError, Status
from .scheduler import stream_results
from .tickets import TicketStore, held_by, result_from_saved, unsaved

if TYPE_CHECKING:
    from .plugins import Plugins
    from .preflight import Checked

log = logging.getLogger("flickr_replace.core")
MAX_BACKOFF = 30.0
Progress = Callable[[str, int, int], None]  # (path, bytes sent so far in this file, file size)


def backoff_delay(attempt: int, base: float) -> float:
    """Exponential backoff with full jitter: retries from many workers don't arrive in step."""
    return random.uniform(0.5, 1.0) * min(MAX_BACKOFF, base * (2 ** (attempt - 1)))


class Run:
    """What one invocation shares across files: options, plugins, clients per thread, limits, tickets.

    The scheduler drives it through `upload`, `check_tickets`, `finish_ticket` and `after`
    (its `Batch` protocol)."""

    def __init__(self, options: RunOptions, plugins: "Plugins", *, progress: Progress | None = None,
                 on_wait: Callable[[float], None] | None = None, activity: Any = None) -> None:
        self.options, self.plugins, self.config = options, plugins, options.config
        self.wait, self.timeout = options.wait, options.timeout
        if not options.dry_run:
            self.config.require_credentials()
        self.progress = progress
        self.activity = activity  # told of uploads in flight and tickets waiting (the CLI's progress bar)
        self.limiter = CallLimiter(self.config.calls_per_hour, on_wait=on_wait)
        self.store = TicketStore(self.config.state_path)
        self._local = threading.local()
        self._clients: list[Any] = []
        self._limit_lock = threading.Lock()
        self._limit: tuple[int | None, ResultError | None] | None = None
        self._guard: Any = None
        self._account_changed = False  # a replace or upload landed: the cached photo list is behind
        from .safety.guard import Safety

        self.safety = Safety(options, client=self.client, retrying=self.retrying)
        self._resolved: dict[str, Any] = {}

    # -- shared resources ------------------------------------------------------------------------
    def client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            from .flickr.client import FlickrClient

            client = self._local.client = FlickrClient(self.config, self.limiter)
            self._clients.append(client)
        return client

    def close(self) -> None:
        self.store.release()
        for client in self._clients:
            client.close()
        if self._guard is not None:
            self._guard.close()
        if self._account_changed:
            self._forget_listing()

    def _forget_listing(self) -> None:
        """A replace or upload changed the account: the cached photo list may be behind now."""
        import sqlite3

        from .link.cache import mark_stale

        try:
            mark_stale(self.config.user_dirs.cache, self.config.base_url, self.config.oauth_token)
        except (OSError, sqlite3.Error) as exc:  # the next `link --refresh` reads it afresh anyway
            log.warning("could not mark the cached photo list as out of date: %s", exc)

    def size_limit(self) -> tuple[int | None, ResultError | None]:
        """The account's file-size limit, asked once per run (retried like an upload)."""
        with self._limit_lock:
            if self._limit is None:
                try:
                    self._limit = (self.retrying(lambda: self.client().max_upload_bytes()), None)
                except FlickrFailure as exc:
                    self._limit = (None, exc.error)
            return self._limit

    def retrying(self, call: Callable[[], Any], until: float | None = None) -> Any:
        """Run `call`, retrying Flickr's temporary failures (uploads count their own attempts).

        An HTTP 429's Retry-After is waited out when it is short (a longer one fails at once: its
        message says when to try again); no retry starts past `until` (a time.monotonic())."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except FlickrFailure as exc:
                if not exc.error.retryable or attempt >= max(1, self.config.retries):
                    raise
                delay = backoff_delay(attempt, self.config.backoff)
                if exc.retry_after is not None:
                    if exc.retry_after > MAX_RETRY_AFTER:
                        raise
                    delay = max(delay, exc.retry_after)
                if until is not None and time.monotonic() + delay >= until:
                    raise
                log.info("attempt %d failed (%s); retrying in %.1f s", attempt, exc.error.message, delay)
                time.sleep(delay)

    # -- one file --------------------------------------------------------------------------------
    def prepare(self, paths: list[str]) -> None:
        """Resolve every path before any upload (cheap, local): two paths naming one photo send nothing.

        Only files that pass the local checks count: a missing file next to a good one names nothing.
        A single path cannot collide: it is looked at once, by its upload."""
        if len(paths) < 2:
            return
        from .photoid.resolve import resolve_photo_id
        from .preflight import open_checked

        ids: dict[str, str | None] = {}
        for path in paths:
            checked = open_checked(path)
            try:
                resolution = resolve_photo_id(path, metadata=self.options.metadata, photo_id=self.options.photo_id,
                                              plugins=self.plugins, checked=checked)
            except PluginError:
                continue  # resolved again, and reported, with the file's own result
            finally:
                if not isinstance(checked, ResultError):
                    checked.close()
            self._resolved[path] = resolution
            if resolution.error is None and not isinstance(checked, ResultError):
                ids[path] = resolution.photo_id
        self.safety.prepare(ids)

    def check_tickets(self, ticket_ids: list[str], until: float | None = None) -> dict:
        """One checkTickets, retries included, ended by `until` (the ticket wait's end)."""
        log.info("polling %d ticket(s): %s", len(ticket_ids), ", ".join(ticket_ids))
        if self.activity is not None:
            self.activity.tickets_waiting(len(ticket_ids))
        return self.retrying(lambda: self.client().check_tickets(ticket_ids, until), until)

    def upload(self, path: str) -> ReplaceResult:
        """Everything up to the upload's answer; never raises for a per-file problem."""
        started = time.monotonic()
        result = ReplaceResult(path=str(path))
        try:
            self._process(result)
        except PluginError as exc:  # a before_replace plugin that raised stops this file like a veto
            result.fail(ResultError.refusal("vetoed", f"{exc}; fix or remove that plugin (`flickr-replace plugins` lists them)"))
        except FlickrFailure as exc:
            result.fail(exc.error)
        except JournalUnavailable as exc:  # before the upload: nothing was sent
            result.fail(ResultError.refusal("journal_failed", f"{path} was not sent: {exc}"))
        except OSError as exc:
            result.fail(ResultError.refusal("no_file", f"cannot read {path}: {exc.strerror or exc} "
                                                       "(check that it exists and that you may read it)"))
        except Exception as exc:  # a bug or a library's surprise: this file fails, the batch goes on
            log.debug("unexpected error replacing %s", path, exc_info=True)
            result.fail(ResultError(f"unexpected {type(exc).__name__} while replacing {path} (a bug: run again "
                                    "with -vv to see where, and report it)"))
        result.elapsed_s = time.monotonic() - started
        return result

    def _process(self, result: ReplaceResult) -> None:
        from .preflight import open_checked

        checked = open_checked(result.path)  # the one look at the file before its upload
        try:
            self._replace(result, checked)
        finally:
            if not isinstance(checked, ResultError):
                checked.close()

    def _replace(self, result: ReplaceResult, checked: "Checked | ResultError") -> None:
        from .photoid.resolve import resolve_photo_id
        from .preflight import check_size
        from .safety.caller import caller_disagrees

        path = result.path
        options = self.options
        resolution = self._resolved.pop(path, None) or resolve_photo_id(
            path, metadata=options.metadata, photo_id=options.photo_id, plugins=self.plugins, checked=checked)
        result.photo_id, result.source = resolution.photo_id, resolution.source
        if options.command == "undo" and resolution.error is None:
            result.source = "backup"
        if resolution.photo_id:
            log.info("%s: photo %s, id from %s", path, resolution.photo_id, _where(resolution))
        if isinstance(checked, ResultError):  # before the id's verdict: "no such file" says more
            result.fail(checked)
            return
        if resolution.error is not None and not self._uploads_missing(resolution):
            result.fail(resolution.error)
            return
        result.bytes = checked.size
        log.info("%s: local checks passed (%s, %d bytes)", path, checked.kind, result.bytes)
        limit, limit_error = (None, None) if options.dry_run else self.size_limit()
        too_big = check_size(path, result.bytes, limit)
        if too_big is not None or limit_error is not None:
            result.fail(too_big or limit_error)
            return
        veto = self.plugins.before_replace(path, result.photo_id, options.for_plugins(result.source))
        if veto is not None:
            plugin, reason = veto
            result.status, result.error = Status.SKIPPED, ResultError.refusal("vetoed", f"{reason} (plugin {plugin})")
            return
        new = result.photo_id is None  # --upload-missing: a new photo
        if new and (not options.dry_run or self.config.has_credentials):
            refusal = self.guard.refusal(path)
            if refusal is not None:
                result.fail(refusal)
                return
        if result.source in CALLER_SOURCES:
            result.warnings += caller_disagrees(path, result.photo_id, options.metadata, self.plugins, checked)
        plan = self.safety.check(result, checked.file)
        if plan is None:
            return
        if options.dry_run:
            result.status = Status.DRY_RUN
            return
        fields = self._new_photo_fields(path) if new else {"photo_id": result.photo_id}
        fields["async"] = "1" if options.async_ else "0"
        progress = self._progress_for(path, result.bytes)

        def upload(watch):
            result.attempts += 1
            if progress:
                progress(0, reset=True)
            log.info("%s: sending %d bytes %s (%s, attempt %d)", path, result.bytes,
                     "as a new photo" if new else f"to replace photo {result.photo_id}",
                     "async" if options.async_ else "sync", result.attempts)
            if self.activity is not None:
                self.activity.uploading(+1)
            try:
                return self.client().upload_file(path, fields, content_type=checked.content_type,
                                                 progress=progress, file=checked.file, replace=not new,
                                                 watch=watch)
            finally:
                if self.activity is not None:
                    self.activity.uploading(-1)

        answer = self.safety.send(result, plan, upload)
        if answer.ticket_id:
            log.info("%s: sent; Flickr is processing it as ticket %s", path, answer.ticket_id)
            result.status, result.ticket_id = Status.PENDING, answer.ticket_id
            try:
                self.store.add(result, claim=self.wait)  # --no-wait: nothing here waits on it
            except OSError as exc:  # the upload went through: this run waits for it, whatever --no-wait says
                unsaved(result, self.store.path, exc)
            return
        if new and answer.photo_id:
            self._uploaded(result, answer.photo_id)
            return
        if answer.photo_id and answer.photo_id != result.photo_id:
            result.fail(ResultError(f"Flickr answered for photo {answer.photo_id}, not {result.photo_id}: "
                                    "check both on flickr.com", origin=Origin.FLICKR))
            return
        result.status, result.secret, result.originalsecret = Status.REPLACED, answer.secret, answer.originalsecret
        self._maybe_record(result)

    # -- new photos (--upload-missing) --------------------------------------------------------------
    def _uploads_missing(self, resolution: Any) -> bool:
        """No source named any id (not: ids that conflict or are not ids)."""
        return self.config.upload_missing and not resolution.candidates and \
            resolution.error.reason == "no_photo_id"

    @property
    def guard(self):
        with self._limit_lock:
            if self._guard is None:
                from .link.upload import DuplicateGuard

                self._guard = DuplicateGuard(self.config, self.plugins)
            return self._guard

    def _new_photo_fields(self, path: str) -> dict[str, str]:
        from .link.upload import upload_fields
        from .sources.origin import source_image

        return upload_fields(path, self.config.privacy, source_image(path, self.options.metadata))

    def _uploaded(self, result: ReplaceResult, photo_id: str) -> None:
        """A new photo: recorded next to the source image, so its next export replaces it."""
        from .sources.origin import record_upload

        result.status, result.photo_id = Status.UPLOADED, photo_id
        record_upload(result, self.options.metadata, self.config.state_path)

    def _progress_for(self, path: str, size: int):
        if self.progress is None:
            return None
        sent = 0

        def step(n: int, reset: bool = False) -> None:
            nonlocal sent
            sent = 0 if reset else sent + n
            self.progress(path, sent, size)

        return step

    def _maybe_record(self, result: ReplaceResult) -> None:
        if self.options.record and result.source in CALLER_SOURCES:
            from .sources.sidecar import record_photo_id

            try:
                record_photo_id(result.path, result.photo_id)
            except Exception as exc:  # the replace is done; only the note for next time is missing
                log.warning("could not record the photo id next to %s: %s", result.path,
                            getattr(exc, "strerror", None) or type(exc).__name__)

    # -- async tickets ----------------------------------------------------------------------------
    def finish_ticket(self, result: ReplaceResult, state: TicketState | None, started: float) -> ReplaceResult:
        """Turn a ticket's final state into the result; `None` means the wait timed out (still pending).

        :param started: when the file's work began, for `elapsed_s`.
        """
        if state is None:
            log.info("%s: ticket %s still waiting after %.0f s", result.path, result.ticket_id, self.timeout)
            if result.ticket_unsaved:
                result.warnings.append(f"ticket {result.ticket_id} was still being processed after {self.timeout:.0f} s, "
                                       f"and it is not saved: check photo {result.photo_id or '(new)'} on flickr.com "
                                       "later; `flickr-replace tickets` cannot finish it")
            return result
        done = state.status is Ticket.DONE
        if done and result.photo_id is None and state.photo_id:
            self._uploaded(result, state.photo_id)
        elif done and state.photo_id and state.photo_id != result.photo_id:
            result.fail(ResultError(f"ticket {result.ticket_id} finished photo {state.photo_id}, not {result.photo_id}: "
                                    "check both on flickr.com", origin=Origin.FLICKR))
        elif done:
            result.status = Status.REPLACED
            try:
                result.secret, result.originalsecret = self.retrying(
                    lambda: self.client().photo_secrets(result.photo_id))
            except FlickrFailure as exc:  # replaced all the same; the secrets stay unknown (null)
                log.warning("photo %s replaced, but its new secrets are unknown: %s", result.photo_id,
                            exc.error.message)
            self._maybe_record(result)
        elif state.status is Ticket.FAILED:
            result.fail(ResultError.flickr(3, f"Flickr could not process the replacement (ticket {result.ticket_id}): try again; if it fails again, export the file again"))
        else:
            result.fail(ResultError.flickr(3, f"Flickr does not know ticket {result.ticket_id} (invalid)"))
        result.elapsed_s = time.monotonic() - started
        log.info("%s: ticket %s finished: %s", result.path, result.ticket_id, result.status.value)
        return result

    def after(self, result: ReplaceResult) -> ReplaceResult:
        if result.status in (Status.REPLACED, Status.UPLOADED):
            self._account_changed = True
        self.safety.finish(result)
        log.info("%s: %s%s", result.path, result.status.value, f" ({result.error.message})" if result.error else "")
        for exc in self.plugins.after_replace(result):
            log.warning("%s", exc)
            if result.status is Status.FAILED and result.error is None:
                result.error = ResultError(str(exc))
        return result


def replace_many(paths: Iterable[str], *, photo_id: str | None = None, metadata: Mapping[str, Any] | None = None,
                 async_: bool = True, wait: bool = True, dry_run: bool = False, config: Config | None = None,
                 plugins: "Plugins | None" = None, progress: Progress | None = None,
                 on_wait: Callable[[float], None] | None = None, activity: Any = None,
                 **settings: Any) -> Iterator[ReplaceResult]:
    """Replace many files; results come as they finish, and one bad path never stops the rest.

    `settings` are config keys for this run (`jobs`, `timeout`, `record`, `retries`,
    `limit_rate`, ...); left out or None, the config's value holds, as on the command line.
    A ticket is unsaved once its final result has been taken: stop early, and the rest stay
    saved for `finish_saved_tickets` (`flickr-replace tickets`)."""
    plugins = plugins or _default_plugins()
    options = run_options(config, plugins, async_=async_, wait=wait, dry_run=dry_run, photo_id=photo_id,
                          metadata=metadata, **settings)
    run = Run(options, plugins, progress=progress, on_wait=on_wait, activity=activity)
    paths = [str(p) for p in paths]
    return stream_results(run, paths, options.jobs)  # looks at every path first (Run.prepare)


def replace(path: str, photo_id: str | None = None, metadata: Mapping[str, Any] | None = None, *,
            async_: bool = True, wait: bool = True, dry_run: bool = False, **options: Any) -> ReplaceResult:
    """Replace one file's photo on Flickr. Raises only for a wrong configuration."""
    [result] = replace_many([path], photo_id=photo_id, metadata=metadata, async_=async_, wait=wait,
                            dry_run=dry_run, **options)  # to the end: a finished ticket is then unsaved
    return result


def finish_saved_tickets(*, wait: bool = True, config: Config | None = None, plugins: "Plugins | None" = None,
                         timeout: float | None = None, activity: Any = None,
                         on_held: Callable[[ReplaceResult, str], None] | None = None) -> Iterator[ReplaceResult]:
    """Finish the tickets an earlier run left pending (`flickr-replace tickets`).

    Each is claimed first; one still claimed by a run that is alive (a `replace` waiting on it) is
    left to that run, which prints its result: `on_held(result, who)` is told of it (else a log line).
    Raises OSError when the saved tickets can be neither read nor claimed (nothing is finished then)."""
    plugins = plugins or _default_plugins()
    run = Run(run_options(config, plugins, wait=wait, timeout=timeout if wait else 0.0), plugins, activity=activity)
    try:
        claimed, held = run.store.claim_saved()
    except BaseException:
        run.close()
        raise
    for entry in held:
        held_by(result_from_saved(entry), entry["claim"], on_held)
    if not claimed:
        run.close()
        return iter(())
    return stream_results(run, [], 1, resumed=[result_from_saved(e) for e in claimed])


def _where(resolution: Any) -> str:
    """The chosen source with the field it was read from, as `resolve -v` lists it."""
    first = resolution.candidates[0] if resolution.candidates else None
    return f"{resolution.source} ({first.detail})" if first is not None and first.detail else str(resolution.source)


def _default_plugins() -> "Plugins":
    """The process environment's plugins, loaded on first use (pluggy stays out of a bare import)."""
    from .plugins import get_plugins

    return get_plugins()
