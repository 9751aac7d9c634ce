"""`replace --progress-json FILE`: each file's stage as a JSON line, for a host's progress bar.

`--json` keeps stdout to one result per path; this stream goes to its own file (`-`: stderr), one
`{"event": "stage", "path", "stage", "sent", "size"}` object per line, written as it happens, so a
host reading the file while the run goes on can say what each image waits for. Stages:
`checking` (the file's checks begin), `sending` (bytes going out: `sent` of `size`),
`processing` (all bytes sent: Flickr works on it, or its ticket is awaited), `metadata` (the
photo's title, tags, dates and place are brought in line).
"""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from typing import IO, Any, Callable, Iterator

SENDING_EVERY_S = 0.2  # a byte count at most this often per file: a host polls, it need not see each chunk


class StageEvents:
    """The progress bar's activity, passed on to the bar, and each file's stage written as a line."""

    def __init__(self, stream: IO[str], bar: Any) -> None:
        self.stream, self.bar = stream, bar
        self.lock = threading.Lock()
        self.last_sent: dict[str, float] = {}

    def __getattr__(self, name: str) -> Any:  # everything else the bar is told (tickets, waiting, ...)
        return getattr(self.bar, name)

    def stage(self, path: str, stage: str, sent: int | None = None, size: int | None = None) -> None:
        line = json.dumps({"event": "stage", "path": path, "stage": stage, "sent": sent, "size": size})
        with self.lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except (OSError, ValueError):  # a host that stopped reading loses progress, not results
                pass

    def bytes_sent(self, path: str, sent: int, size: int) -> None:
        self.bar.bytes_sent(path, sent, size)
        now = time.monotonic()
        if sent >= size:
            self.last_sent.pop(path, None)
            self.stage(path, "processing", sent, size)
        elif sent == 0 or now - self.last_sent.get(path, 0.0) >= SENDING_EVERY_S:
            self.last_sent[path] = now
            self.stage(path, "sending", sent, size)


@contextmanager
def stage_events(target: str | None, stderr: IO[str], bar: Any) -> Iterator[tuple[Any, Callable[[str, str], None] | None]]:
    """(what to tell of the run's activity, the stage callback) for `--progress-json TARGET`;
    without it the bar alone and no callback."""
    if not target:
        yield bar, None
        return
    if target == "-":
        events = StageEvents(stderr, bar)
        yield events, events.stage
        return
    from ..errors import ConfigError

    try:
        stream = open(target, "a", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--progress-json {target}: cannot write it ({exc.strerror or exc}); "
                          "name a file in a folder you may write to, or - for stderr") from None
    with stream:
        events = StageEvents(stream, bar)
        yield events, events.stage


__all__ = ["StageEvents", "stage_events"]
