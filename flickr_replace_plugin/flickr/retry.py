"""The retry policy for Flickr's temporary failures (105, 106, HTTP 5xx, dropped connections).

One loop for every caller that must not fail on a single bad answer: exponential backoff with
full jitter, a short HTTP 429 Retry-After waited out, and no retry started past a deadline.
"""
from __future__ import annotations

import logging
import random
import time
from typing import Callable, TypeVar

from .responses import MAX_RETRY_AFTER, FlickrFailure

log = logging.getLogger("flickr_replace.retry")
MAX_BACKOFF = 30.0
T = TypeVar("T")


def backoff_delay(attempt: int, base: float) -> float:
    """Full jitter: retries from many workers don't arrive in step."""
    return random.uniform(0.5, 1.0) * min(MAX_BACKOFF, base * (2 ** (attempt - 1)))


class Retry:
    """Run a call, retrying Flickr's temporary failures (uploads count their own attempts).

    An HTTP 429's Retry-After is waited out when it is short (a longer one fails at once: its
    message says when to try again); no retry starts past `until` (a time.monotonic())."""

    def __init__(self, retries: int, backoff: float) -> None:
        self.retries, self.backoff = max(1, retries), backoff

    def __call__(self, call: Callable[[], T], until: float | None = None) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except FlickrFailure as exc:
                delay = self._delay(exc, attempt)
                if delay is None or (until is not None and time.monotonic() + delay >= until):
                    raise
                log.info("attempt %d failed (%s); retrying in %.1f s", attempt, exc.error.message, delay)
                time.sleep(delay)

    def _delay(self, exc: FlickrFailure, attempt: int) -> float | None:
        """How long to wait before the next attempt; None when there is none."""
        if not exc.error.retryable or attempt >= self.retries:
            return None
        delay = backoff_delay(attempt, self.backoff)
        if exc.retry_after is not None:
            if exc.retry_after > MAX_RETRY_AFTER:
                return None
            delay = max(delay, exc.retry_after)
        return delay


def retrying(call: Callable[[], T], retries: int, backoff: float, until: float | None = None) -> T:
    """`call` under the retry policy, for callers without a run's Retry at hand."""
    return Retry(retries, backoff)(call, until)
