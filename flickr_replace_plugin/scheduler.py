"""Running a batch: uploads on worker threads, every ticket polled together, results as they finish."""
from __future__ import annotations

import dataclasses
import collections
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Protocol

from .flickr.responses import TicketState
from .interrupts import INTERRUPTS
from .result import Origin, ReplaceResult, ResultError, Status
from .tickets import TicketPoller, TicketStore

log = logging.getLogger("flickr_replace.scheduler")


class Batch(Protocol):
    """What the scheduler asks of a run (the core's `Run`): it knows files, the scheduler knows time."""

    store: TicketStore

    @property
    def wait(self) -> bool: ...
    @property
    def timeout(self) -> float: ...
    def prepare(self, paths: list[str]) -> None: ...
    def upload(self, path: str) -> ReplaceResult: ...
    def in_flight(self, path: str) -> ReplaceResult | None: ...
    def check_tickets(self, ticket_ids: list[str], until: float | None = None) -> dict: ...
    def finish_ticket(self, result: ReplaceResult, state: TicketState | None, started: float) -> ReplaceResult: ...
    def after(self, result: ReplaceResult) -> ReplaceResult: ...
    def close(self) -> None: ...


@dataclass
class Step:
    """A worker's finished piece of one file: its result, and when the file's work began."""

    result: ReplaceResult
    started: float
    polled: bool = False  # it came from the ticket poller: never queued for polling again


def stream_results(run: Batch, paths: Iterable[str], jobs: int, resumed: Iterable[ReplaceResult] = ()) -> Iterator[ReplaceResult]:
    """Results as they finish; uploads run on `jobs` workers, ticket polling on this thread, and
    finished tickets (their getInfo) on workers of their own, so they never queue behind uploads.

    An interruption (Ctrl-C, SIGTERM) first hands over every result already known, pending
    ones included (their tickets stay saved for `flickr-replace tickets`), then propagates.
    """
    paths = list(paths)
    stream = Stream(run, jobs)
    try:
        run.prepare(paths)
    except BaseException as exc:  # interrupted while looking at the files: none was sent
        stream.shutdown(cancel=False)
        if not isinstance(exc, Exception):
            for path in paths:
                yield _handed_on(run, _not_started(path), [])
        run.close()
        raise
    try:
        yield from stream.results(paths, resumed)
    except BaseException as exc:
        if isinstance(exc, (Exception, GeneratorExit)):
            raise
        for result in stream.known_at_interruption():
            yield _handed_on(run, result, stream.handed_over)
        raise
    finally:
        stream.shutdown()
        _unsave(run, stream.handed_over)
        run.close()


class Stream:
    """One batch in flight: the worker pools, the ticket poller, and what each piece of work is
    doing, so that an interruption can hand over every result already known."""

    def __init__(self, run: Batch, jobs: int) -> None:
        self.run = run
        self.done = Finished()
        self.poller = TicketPoller(check=run.check_tickets, timeout=run.timeout)
        self.outstanding = 0
        self.handed_over: list[str] = []  # final tickets the consumer has taken, unsaved in one write
        self.finishing: dict[str, ReplaceResult] = {}  # tickets being finished, as they stood (pending)
        self.polling: dict[str, ReplaceResult] = {}  # tickets of the poll round being handed to finishers
        self.uploading: dict["Future[Step]", str] = {}  # uploads not yet taken from `done`, by path
        self.uploads = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="replace")
        self.finishers = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="finish")

    def results(self, paths: list[str], resumed: Iterable[ReplaceResult]) -> Iterator[ReplaceResult]:
        for path in paths:
            self._submit(self.uploads, self._upload, path)
        for result in resumed:
            self.poller.add(result, first_poll=0.0)
        while self.outstanding or self.poller:
            if self.handed_over and self.done.empty():
                _unsave(self.run, self.handed_over)
            if not self.done.wait(min(self.poller.seconds_until_due(), 3600.0)):
                self._poll_round()
                continue
            # From taking a result to its consumer having it, a signal waits (the consumer's
            # printing of it included), so no result is ever taken and then dropped.
            INTERRUPTS.hold()
            try:
                result = self._take()
                if result is not None:
                    yield _handed_on(self.run, result, self.handed_over)
            finally:
                INTERRUPTS.release()

    def _submit(self, pool: ThreadPoolExecutor, fn: Callable[..., Step], *args: Any) -> None:
        self.outstanding += 1
        future = pool.submit(fn, *args)
        if pool is self.uploads:
            self.uploading[future] = args[0]
        future.add_done_callback(self.done.put)

    def _upload(self, path: str) -> Step:
        started = time.monotonic()
        return Step(self.run.upload(path), started)

    def _finish(self, step: Step, state: TicketState | None) -> Step:
        return Step(self.run.finish_ticket(step.result, state, step.started), step.started, polled=True)

    def _poll_round(self) -> None:
        self.polling = {tid: w.result for tid, w in self.poller.waiting.items()}
        for result, state, started in self.poller.poll():
            self.finishing[result.ticket_id or ""] = dataclasses.replace(result)
            self._submit(self.finishers, self._finish, Step(result, started), state)
        self.polling = {}

    def _take(self) -> ReplaceResult | None:
        """The next finished piece's result to hand on; None when it is a ticket left to the poller."""
        future = self.done.take()
        step = future.result()
        self.outstanding -= 1
        self.uploading.pop(future, None)
        result = step.result
        self.finishing.pop(result.ticket_id or "", None)
        waits = self.run.wait or result.ticket_unsaved  # an unsaved ticket: this run is its only chance
        if result.status is Status.PENDING and result.ticket_id and waits and not step.polled:
            self.poller.add(result, started=step.started)
            return None
        return result

    def known_at_interruption(self) -> list[ReplaceResult]:
        """Every result known when the interruption came: taken, finishing, polled or cut off."""
        self.uploads.shutdown(wait=False, cancel_futures=True)  # what has not started never will
        completed = self.done.drain()
        known = [r for tid, r in self.polling.items() if tid not in self.poller.waiting and tid not in self.finishing]
        known += [f.result().result for f in completed]
        for future in completed:
            self.uploading.pop(future, None)
        for result in known:
            self.finishing.pop(result.ticket_id or "", None)
        known += [w.result for w in self.poller.waiting.values()] + list(self.finishing.values())
        known += [_cut_off(path, future, self.run) for future, path in self.uploading.items()]
        return known

    def shutdown(self, cancel: bool = True) -> None:
        for pool in (self.uploads, self.finishers):
            pool.shutdown(wait=False, cancel_futures=cancel)


def _not_started(path: str) -> ReplaceResult:
    result = ReplaceResult(path=path, status=Status.SKIPPED)
    result.error = ResultError.refusal("interrupted", "not started: the run was interrupted "
                                                      "(run the command again for this file)")
    return result


def _cut_off(path: str, future: "Future[Step]", run: Batch) -> ReplaceResult:
    """An upload the interruption reached: never started (`skipped`), sent with its ticket saved
    (`pending`: its worker had not handed it on yet), or stopped mid-way (`failed`, saying what
    was known of it: its photo, the attempts made, the file's size, its backup)."""
    if future.cancelled():
        return _not_started(path)
    if future.done() and future.exception() is None:  # it finished as the interruption came
        return future.result().result
    saved = run.store.saved_for(path)
    if saved is not None:
        return saved
    known = run.in_flight(path) or ReplaceResult(path=path)
    result = ReplaceResult(path=path, photo_id=known.photo_id, source=known.source, attempts=known.attempts,
                           bytes=known.bytes, previous=known.previous, backup=known.backup,
                           warnings=list(known.warnings))
    # Unknown whether Flickr got the whole file; it keeps the old image or the new one whole.
    return result.fail(ResultError(
        "cut off by the interruption mid-upload: the photo holds its old image or this file whole "
        "(run the command again for this file)", Origin.NETWORK, retryable=True, reason="interrupted"))


def _handed_on(run: Batch, result: ReplaceResult, handed_over: list[str]) -> ReplaceResult:
    """A result ready to give (its `after_replace` hooks run); a final ticket's entry is unsaved
    once it has been given (yielding it gives it: the consumer has it whatever it does next)."""
    result = run.after(result)
    if result.ticket_id and result.status is not Status.PENDING and not result.ticket_unsaved:
        handed_over.append(result.ticket_id)
    return result


def _unsave(run: Batch, ticket_ids: list[str]) -> None:
    try:
        run.store.remove(*ticket_ids)
    except OSError as exc:  # they stay saved: `flickr-replace tickets` reports them once more
        log.warning("could not update %s: %s", run.store.path, exc.strerror or exc)
    ticket_ids.clear()


class Finished:
    """The workers' finished futures, in order. Waiting and taking are apart, so that an
    interruption can land during the wait but never between taking a future and handing it on."""

    def __init__(self) -> None:
        self._ready: collections.deque[Future[Step]] = collections.deque()
        self._cond = threading.Condition()

    def put(self, future: "Future[Step]") -> None:
        with self._cond:
            self._ready.append(future)
            self._cond.notify()

    def empty(self) -> bool:
        return not self._ready

    def wait(self, timeout: float) -> bool:
        """True once a future is ready; False after `timeout` seconds with none."""
        with self._cond:
            return self._cond.wait_for(lambda: bool(self._ready), timeout)

    def take(self) -> "Future[Step]":
        with self._cond:
            return self._ready.popleft()

    def drain(self) -> list["Future[Step]"]:
        """The finished futures still here that hold a result, without waiting for running ones."""
        with self._cond:
            futures, self._ready = list(self._ready), collections.deque()
        return [f for f in futures if not f.cancelled() and f.exception() is None]
