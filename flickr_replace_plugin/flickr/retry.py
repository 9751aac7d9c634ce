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
    """Exponential backoff with full jitter: retries from many workers don't arrive in step."""
    return random.uniform(0.5, 1.0) * min(MAX_BACKOFF, base * (2 ** (attempt - 1)))


def retrying(call: Callable[[], T], retries: int, backoff: float, until: float | None = None) -> T:
    """Run `call`, up to `retries` attempts in all while Flickr's failures are temporary.

    An HTTP 429's Retry-After is waited out when it is short (a longer one fails at once: its
    message says when to try again); no retry starts past `until` (a time.monotonic())."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except FlickrFailure as exc:
            if not exc.error.retryable or attempt >= max(1, retries):
                raise
            delay = backoff_delay(attempt, backoff)
            if exc.retry_after is not None:
                if exc.retry_after > MAX_RETRY_AFTER:
                    raise
                delay = max(delay, exc.retry_after)
            if until is not None and time.monotonic() + delay >= until:
                raise
            log.info("attempt %d failed (%s); retrying in %.1f s", attempt, exc.error.message, delay)
            time.sleep(delay)
