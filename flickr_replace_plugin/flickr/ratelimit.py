"""Client-side limits: API calls per hour (Flickr blocks a key past 3,600) and upload bytes per second."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, BinaryIO, Callable

log = logging.getLogger("flickr_replace.ratelimit")
MAX_BLOCK = 512 << 10
MIN_BLOCK = 16 << 10


class CallLimiter:
    """A token bucket shared by all workers: a big batch slows down instead of getting the key blocked."""

    def __init__(self, per_hour: int, burst: int = 60, on_wait: Callable[[float], None] | None = None) -> None:
        self.rate = max(per_hour, 1) / 3600.0
        self.capacity = float(max(1, min(burst, per_hour)))
        self.tokens = self.capacity
        self.stamp = time.monotonic()
        self.lock = threading.Lock()
        self.on_wait = on_wait
        self.waited = 0.0

    def acquire(self) -> None:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            self.tokens -= 1
            delay = -self.tokens / self.rate if self.tokens < 0 else 0.0
        if delay > 0:
            self.waited += delay
            log.warning("API call limit reached: waiting %.1f s", delay)
            if self.on_wait:
                self.on_wait(delay)
            time.sleep(delay)


class ThrottledFile:
    """A read-only file view that reports progress and, when asked, caps the bytes per second."""

    def __init__(self, raw: BinaryIO, size: int, rate: int | None = None,
                 progress: Callable[[int], None] | None = None, hasher: Any = None) -> None:
        self.raw = raw
        self.hasher = hasher  # anything with update(bytes): sees every block as it is read
        self.size = size
        self.rate = rate
        self.progress = progress
        self.start = time.monotonic()
        self.sent = 0

    @property
    def block_size(self) -> int:
        """How much to read at a time: 512 KiB at full speed (a few blocks are in flight between the
        file, the hash and the socket: memory stays flat), about 1/8 s of data when throttled."""
        return min(MAX_BLOCK, max(MIN_BLOCK, self.rate // 8)) if self.rate else MAX_BLOCK

    def read(self, n: int = -1) -> bytes:
        chunk = self.raw.read(n)
        if chunk:
            self.sent += len(chunk)
            if self.hasher is not None:
                self.hasher.update(chunk)
            if self.rate:
                ahead = self.sent / self.rate - (time.monotonic() - self.start)
                if ahead > 0:
                    time.sleep(ahead)
            if self.progress:
                self.progress(len(chunk))
        return chunk
