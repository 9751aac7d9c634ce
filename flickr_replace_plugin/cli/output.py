"""What a user or a host reads: one JSON line per path, or a readable line and a summary."""
from __future__ import annotations

import json
import threading
from collections import Counter
from typing import IO, Any

from ..result import ReplaceResult, Status
from .metalines import kept_words, metadata_lines

_SYMBOL = {Status.REPLACED: "replaced", Status.UPLOADED: "uploaded", Status.PENDING: "pending", Status.FAILED: "FAILED",
           Status.SKIPPED: "skipped", Status.DRY_RUN: "would replace"}


class Printer:
    """Writes each result as it finishes; a lock keeps lines whole when workers finish together."""

    def __init__(self, out: IO[str], as_json: bool) -> None:
        self.out, self.as_json = out, as_json
        self.counts: Counter[str] = Counter()
        self.unsaved: list[str] = []  # pending tickets that could not be saved: no later finish to promise
        self.lock = threading.Lock()

    def result(self, result: ReplaceResult) -> None:
        with self.lock:
            self.counts[result.status.value] += 1
            if result.status is Status.PENDING and result.ticket_unsaved:
                self.unsaved.append(result.path)
            self.out.write((json_line(result.to_dict()) if self.as_json else human_line(result)) + "\n")
            self.out.flush()

    def record(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.out.write(json_line(data) + "\n")
            self.out.flush()

    def summary(self, err: IO[str]) -> None:
        if self.as_json or sum(self.counts.values()) < 1:
            return
        parts = [f"{n} {status}" for status, n in sorted(self.counts.items())]
        err.write("summary: " + ", ".join(parts) + "\n")


def json_line(data: dict[str, Any]) -> str:
    """One JSON object as UTF-8 text; a file name that is not UTF-8 is kept as `\\udcXX` escapes,
    which `json.loads` and `os.fsencode` turn back into the very bytes of the name."""
    text = json.dumps(data, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data)
    return text


def human_line(result: ReplaceResult) -> str:
    # without an id the error says why (no such file, a directory, no id found): no "-> ..." to guess
    target = f" -> photo {result.photo_id}" if result.photo_id else ""
    via = f" (id from {result.source})" if result.source else ""
    line = f"{_SYMBOL[result.status]}: {result.path}{target}{via}{kept_words(result)}"
    if result.status is Status.DRY_RUN and result.photo_id is None:  # --upload-missing: no photo to replace
        line = f"would upload: {result.path} as a new photo"
    if result.ticket_id and result.status is Status.PENDING:
        line += f", ticket {result.ticket_id} " + ("(not saved, so `flickr-replace tickets` cannot finish it: "
                                                   "check the photo on flickr.com later)" if result.ticket_unsaved
                                                   else "(finish later with `flickr-replace tickets`)")
    if result.error is not None:
        code = f" [code {result.error.code}]" if result.error.code is not None else ""
        line += f": {result.error.message}{code}"
    return line + metadata_lines(result)
