"""A Python host app that replaces its exports on Flickr and reacts to each outcome.

    python examples/host_app.py EXPORT [EXPORT ...]

Each export's photo id is found the usual way (sidecars, embedded metadata, file name, plugins).
Credentials and the Flickr address come from the environment or the config file, as for the
command line. Progress goes to stderr, one line per file and quarter; outcomes to stdout.
Exit status 1 when any file failed.
"""
from __future__ import annotations

import sys
import threading
from typing import TextIO

from flickr_replace_plugin import ReplaceResult, replace_many
from flickr_replace_plugin.errors import ConfigError

PHOTO_PAGE = "https://www.flickr.com/photo.gne?id={}"


class Progress:
    """The progress callback: called from upload worker threads with (path, bytes sent, size)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.shown: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, path: str, sent: int, size: int) -> None:
        quarter = 4 * sent // size if size else 4
        with self.lock:
            if quarter > self.shown.get(path, -1):
                self.shown[path] = quarter
                self.out.write(f"{path}: {25 * quarter}% sent\n")


def react(result: ReplaceResult, out: TextIO) -> bool:
    """Tell the user what happened and what to do next; True when the file needs no more work."""
    status, error = result.status.value, result.error
    if status == "replaced":
        out.write(f"replaced {result.path} -> {PHOTO_PAGE.format(result.photo_id)} (id from {result.source})\n")
    elif status == "pending":
        out.write(f"sent {result.path}; Flickr is still processing it: run `flickr-replace tickets` later\n")
    elif status in ("skipped", "dry-run"):
        out.write(f"{status} {result.path}: {error.message if error else 'nothing sent'}\n")
    elif result.photo_id is None:
        out.write(f"no photo id for {result.path}: tag the original with flickr:photo_id=N and export again\n")
    elif error and error.retryable:
        out.write(f"Flickr is busy, {result.path} was not replaced: try again later ({error.message})\n")
    else:
        out.write(f"failed {result.path}: {error.message if error else 'unknown error'}\n")
    return status != "failed"


def main(paths: list[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    if not paths:
        err.write(__doc__)
        return 2
    try:  # only a wrong configuration raises; every per-file problem is a result
        results = replace_many(paths, jobs=2, progress=Progress(err))
    except ConfigError as exc:
        err.write(f"cannot replace on Flickr: {exc}\n")
        return 2
    ok = True
    for result in results:
        ok &= react(result, out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
