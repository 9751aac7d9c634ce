"""What the stages use, built once per run by the core: the client, the retry policy, the journal,
the saved tickets and the answers asked once per run. Nothing here calls back into the core."""
from __future__ import annotations

import sqlite3
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Protocol, TypeVar

from ..errors import PluginError
from ..flickr.ratelimit import CallLimiter
from ..flickr.responses import FlickrFailure, UploadAnswer
from ..flickr.retry import Retry
from ..result import ResultError
from ..safety.account import AccountMemory
from ..safety.journal import Journal
from ..safety.versions import Attempt
from ..tickets import TicketStore
from .samebytes import SameBytes

if TYPE_CHECKING:
    from ..flickr.client import FlickrClient
    from ..link.upload import DuplicateGuard
    from ..options import RunOptions
    from ..photoid.candidates import Resolution
    from ..plugins import Plugins

log = logging.getLogger("flickr_replace.core")
Progress = Callable[[str, int, int], None]  # (path, bytes sent so far in this file, file size)
OnStage = Callable[[str, str], None]  # (path, stage: "checking", "metadata") for a host's progress
T = TypeVar("T")
# What one file asks ahead at once (its digest, its getInfo or small image, its backup): a batch's
# jobs never queue behind each other's downloads. Threads are made only as the work comes.
AHEAD_PER_JOB = 3


class Activity(Protocol):
    """Told of uploads in flight and tickets waiting (the CLI's progress bar)."""

    def uploading(self, change: int) -> None: ...
    def tickets_waiting(self, count: int) -> None: ...


class Services:
    def __init__(self, options: "RunOptions", plugins: "Plugins", *, progress: Progress | None = None,
                 on_wait: Callable[[float], None] | None = None, activity: Activity | None = None,
                 on_stage: OnStage | None = None) -> None:
        config = options.config
        self.options, self.plugins, self.config = options, plugins, config
        self.progress, self.activity, self.on_stage = progress, activity, on_stage
        self.limiter = CallLimiter(config.calls_per_hour, on_wait=on_wait)
        self.retry = Retry(config.retries, config.backoff)
        self.journal = Journal(config.state_path)
        self.store = TicketStore(config.state_path)
        # A dry run needs no credentials; without them it cannot ask Flickr, so only local checks run.
        self.remote = config.has_credentials or not options.dry_run
        self.verify = options.verify and self.remote
        self.backup = config.backup and self.remote
        self.resolved: dict[str, "Resolution | PluginError"] = {}  # Run.prepare's, taken by each file once
        self.duplicates: dict[str, ResultError] = {}  # paths that name one photo with another path
        self.account_changed = False  # a replace or upload landed: the cached photo list is behind
        self.same_bytes = SameBytes()  # a run's new uploads by their bytes: two identical files, one photo
        self._local = threading.local()
        self._clients: list["FlickrClient"] = []
        self._idle: list["FlickrClient"] = []  # clients lent to background threads, free again
        self._lock = threading.Lock()
        self._asking = threading.Lock()  # held while a shared question is looked up or asked
        self._answers: dict[str, "Future[tuple[Any, ResultError | None]]"] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._account: AccountMemory | None = None
        self._guard: "DuplicateGuard | None" = None

    def tell_stage(self, path: str, stage: str) -> None:
        """A host following the run hears that `path` reached `stage`."""
        if self.on_stage is not None:
            self.on_stage(path, stage)

    def client(self) -> "FlickrClient":
        """This thread's client (a requests session is not shared between threads)."""
        client = getattr(self._local, "client", None)
        if client is None:
            from ..flickr.client import FlickrClient

            client = self._local.client = FlickrClient(self.config, self.limiter)
            self._clients.append(client)
        return client

    def ahead(self, ask: Callable[[], T]) -> "Future[T]":
        """`ask` on a worker of the run (its own client), so independent calls go out together."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=AHEAD_PER_JOB * self.options.jobs + 1,
                                                thread_name_prefix="ahead")
            return self._pool.submit(ask)

    def in_background(self, call: Callable[[], T]) -> "Future[T]":
        """`call` on a daemon thread of its own, with a client lent for the while: a body held back
        for the checks never keeps the process from exiting, and a batch reuses its connections."""
        future: "Future[T]" = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            with self._lock:
                client = self._idle.pop() if self._idle else None
            self._local.client = client  # None: made on first use, as on any thread
            try:
                future.set_result(call())
            except BaseException as exc:  # handed to whoever waits for the future
                future.set_exception(exc)
            finally:
                client = getattr(self._local, "client", None)
                if client is not None:
                    with self._lock:
                        self._idle.append(client)

        threading.Thread(target=run, name="send", daemon=True).start()
        return future

    def _asked_once(self, name: str, ask: Callable[[], T]) -> "Future[tuple[T | None, ResultError | None]]":
        def answer() -> tuple[T | None, ResultError | None]:
            try:
                return self.retry(ask), None
            except FlickrFailure as exc:
                return None, exc.error

        with self._asking:  # one question each, however many jobs ask at once as a batch starts
            started = self._answers.get(name)
            return started if started is not None else self._start(name, answer)

    def _start(self, name: str, answer: Callable[[], T]) -> "Future[T]":
        future = self.ahead(answer)
        with self._lock:
            return self._answers.setdefault(name, future)  # type: ignore[return-value]

    def account(self) -> AccountMemory:
        if self._account is None:
            config = self.config
            self._account = AccountMemory(self.journal, config.endpoints.rest, config.oauth_token or "",
                                          write=not self.options.dry_run)
        return self._account

    def prefetch(self) -> bool:
        """Starts the run's shared questions together, each once per run: the size limit (not on a
        dry run) and the user when the target check will want it; answers remembered in the state
        store are not asked. True while one of them is still on its way."""
        started = [] if self.options.dry_run else [self._limit()]
        if self.verify:
            started.append(self._user())
        return not all(f.done() for f in started)

    def size_limit(self) -> tuple[int | None, ResultError | None]:
        """The account's file-size limit, asked once per run (retried like an upload)."""
        self.prefetch()
        return self._limit().result()

    def user(self) -> tuple[str | None, ResultError | None]:
        """The user's nsid from flickr.test.login, asked once per token (remembered after)."""
        return self._user().result()

    def _limit(self) -> "Future[tuple[int | None, ResultError | None]]":
        if "limit" not in self._answers:
            known, limit = self.account().max_bytes()
            if known:
                return self._known("limit", limit)

        def ask() -> int | None:
            limit = self.client().max_upload_bytes()
            self.account().remember(limit=(limit,))
            return limit

        return self._asked_once("limit", ask)

    def _user(self) -> "Future[tuple[str | None, ResultError | None]]":
        if "user" not in self._answers:
            nsid = self.account().nsid()
            if nsid:
                return self._known("user", nsid)

        def ask() -> str | None:
            answer = self.client().test_login()
            nsid = str(answer.get("id")) if answer.get("id") else None
            if nsid:
                self.account().remember(nsid=nsid)
            return nsid

        return self._asked_once("user", ask)

    def _known(self, name: str, value: Any) -> "Future[tuple[Any, ResultError | None]]":
        future: "Future[tuple[Any, ResultError | None]]" = Future()
        future.set_result((value, None))
        with self._lock:
            return self._answers.setdefault(name, future)

    def guard(self) -> "DuplicateGuard":
        """The run's photo list, read on first use (only --upload-missing needs it)."""
        with self._lock:
            if self._guard is None:
                from ..link.upload import DuplicateGuard

                self._guard = DuplicateGuard(self.config, self.plugins, scratch=self.options.dry_run)
            return self._guard

    def download(self, url: str, into: BinaryIO, max_bytes: int | None = None) -> int:
        return self.client().download(url, into, max_bytes)

    def send_file(self, path: str, fields: dict[str, str], content_type: str, watch: Attempt) -> UploadAnswer:
        """One replace request of the whole file at `path` (putting a backup back; the caller retries)."""
        return self.client().upload_file(path, fields, content_type=content_type, watch=watch)

    def close(self) -> None:
        self.store.release()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for client in self._clients:
            client.close()
        if self._guard is not None:
            self._guard.close()
        if self.account_changed:
            self._forget_listing()

    def _forget_listing(self) -> None:
        """A replace or upload changed the account: the cached photo list may be behind now."""
        from ..link.cache import mark_stale

        try:
            mark_stale(self.config.user_dirs.cache, self.config.base_url, self.config.oauth_token)
        except (OSError, sqlite3.Error) as exc:  # the next `link --refresh` reads it afresh anyway
            log.warning("could not mark the cached photo list as out of date: %s", exc)
