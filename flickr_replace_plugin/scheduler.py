"""Running a batch: uploads on worker threads, every ticket polled together, results as they finish."""
from __future__ import annotations

import dataclasses
import logging
import queue
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Protocol

from .flickr.responses import TicketState
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
    def upload(self, path: str) -> ReplaceResult: ...
    def check_tickets(self, ticket_ids: list[str]) -> dict: ...
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
    done: "queue.Queue[Future[Step]]" = queue.Queue()
    poller = TicketPoller(check=run.check_tickets, timeout=run.timeout)
    outstanding = 0
    handed_over: list[str] = []  # final tickets the consumer has taken, unsaved in one write
    finishing: dict[str, ReplaceResult] = {}  # tickets being finished, as they stood (pending)
    uploads = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="replace")
    finishers = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="finish")

    uploading: dict["Future[Step]", str] = {}  # uploads not yet taken from `done`, by path

    def submit(pool: ThreadPoolExecutor, fn: Callable[..., Step], *args: Any) -> None:
        nonlocal outstanding
        outstanding += 1
        future = pool.submit(fn, *args)
        if pool is uploads:
            uploading[future] = args[0]
        future.add_done_callback(done.put)

    def upload(path: str) -> Step:
        started = time.monotonic()
        return Step(run.upload(path), started)

    def finish(step: Step, state: TicketState | None) -> Step:
        return Step(run.finish_ticket(step.result, state, step.started), step.started, polled=True)

    try:
        for path in paths:
            submit(uploads, upload, path)
        for result in resumed:
            poller.add(result, first_poll=0.0)
        while outstanding or poller:
            if handed_over and done.empty():
                _unsave(run, handed_over)
            try:
                future = done.get(timeout=min(poller.seconds_until_due(), 3600.0))
            except queue.Empty:
                for result, state, started in poller.poll():
                    finishing[result.ticket_id] = dataclasses.replace(result)
                    submit(finishers, finish, Step(result, started), state)
                continue
            outstanding -= 1
            uploading.pop(future, None)
            step = future.result()
            result = step.result
            finishing.pop(result.ticket_id or "", None)
            if result.status is Status.PENDING and result.ticket_id and run.wait and not step.polled:
                poller.add(result, started=step.started)
                continue
            yield from _hand_over(run, result, handed_over)
    except BaseException as exc:
        if isinstance(exc, (Exception, GeneratorExit)):
            raise
        uploads.shutdown(wait=False, cancel_futures=True)  # what has not started never will
        completed = _completed(done)
        known = [f.result().result for f in completed]
        for future in completed:
            uploading.pop(future, None)
        for result in known:
            finishing.pop(result.ticket_id or "", None)
        known += [w.result for w in poller.waiting.values()] + list(finishing.values())
        known += [_cut_off(path, future) for future, path in uploading.items()]
        for result in known:
            yield from _hand_over(run, result, handed_over)
        raise
    finally:
        for pool in (uploads, finishers):
            pool.shutdown(wait=False, cancel_futures=True)
        _unsave(run, handed_over)
        run.close()


def _cut_off(path: str, future: "Future[Step]") -> ReplaceResult:
    """An upload the interruption reached: never started (`skipped`), or stopped mid-way (`failed`)."""
    if future.cancelled():
        result = ReplaceResult(path=path, status=Status.SKIPPED)
        result.error = ResultError.refusal("interrupted", "not started: the run was interrupted "
                                                          "(run the command again for this file)")
        return result
    if future.done() and future.exception() is None:  # it finished as the interruption came
        return future.result().result
    # Unknown whether Flickr got the whole file; it keeps the old image or the new one whole.
    return ReplaceResult(path=path).fail(ResultError(
        "cut off by the interruption mid-upload: the photo holds its old image or this file whole "
        "(run the command again for this file)", Origin.NETWORK, retryable=True, reason="interrupted"))


def _hand_over(run: Batch, result: ReplaceResult, handed_over: list[str]) -> Iterator[ReplaceResult]:
    """Yield a result; its ticket leaves the saved list only once the consumer has taken it."""
    yield run.after(result)
    if result.ticket_id and result.status is not Status.PENDING:
        handed_over.append(result.ticket_id)


def _unsave(run: Batch, ticket_ids: list[str]) -> None:
    try:
        run.store.remove(*ticket_ids)
    except OSError as exc:  # they stay saved: `flickr-replace tickets` reports them once more
        log.warning("could not update %s: %s", run.store.path, exc.strerror or exc)
    ticket_ids.clear()


def _completed(done: "queue.Queue[Future[Step]]") -> list["Future[Step]"]:
    """The finished futures still queued, without waiting for running ones."""
    futures = []
    while True:
        try:
            future = done.get_nowait()
        except queue.Empty:
            return futures
        if not future.cancelled() and future.exception() is None:
            futures.append(future)
