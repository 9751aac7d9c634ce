"""A watch run's results: each batch sent as one replace run, a file that stalled incomplete
reported, and every message in a watch user's words (watch takes no `--photo-id`)."""
from __future__ import annotations

import dataclasses
import os
import re
from typing import Callable, Iterable, Iterator

from ..result import ReplaceResult, ResultError
from .loop import Batch

Send = Callable[[list[str]], Iterable[ReplaceResult]]

# What a watch user can do instead of the replace command's `--photo-id` (reason -> advice)
_ADVICE = {
    "no_photo_id": "tag the image flickr:photo_id=ID in your photo tool, write `photo_id: ID` in {name}.flickr.yaml "
                   "next to it, or let `flickr-replace link --write {path}` find it; to upload images that are "
                   "not on Flickr yet as new photos, run watch with --upload-missing",
    "conflict": "correct or remove the source that names the wrong photo (`flickr-replace resolve -v {path}` "
                "lists them all)",
}
_REPLACE_OPTION = "pass --photo-id"
_RECORD_NEXT_TIME = re.compile(r"pass --photo-id (\d+) next time")


def watch_results(batches: Iterable[Batch], send: Send) -> Iterator[ReplaceResult]:
    """The results of each batch as they finish, in watch's words."""
    for batch in batches:
        for path, why in batch.incomplete:
            yield incomplete(path, why)
        if batch.ready:
            for result in send(batch.ready):
                yield in_watch_words(result)


def incomplete(path: str, why: str) -> ReplaceResult:
    """A file that stopped changing long ago, and is still cut off: a writer that died or hangs."""
    return ReplaceResult(path=path).fail(ResultError.refusal(
        "incomplete", f"{path} stopped changing but is not a whole image ({why}): not sent; watch sends it "
        "once the program writing it finishes it (or export it again)"))


def in_watch_words(result: ReplaceResult) -> ReplaceResult:
    """Advice that names `--photo-id` (which watch cannot take) told as a watch user acts on it."""
    name = os.path.basename(result.path)
    error = result.error
    if error is not None and _REPLACE_OPTION in error.message and error.reason in _ADVICE:
        kept = error.message[: error.message.index(_REPLACE_OPTION)].rstrip()
        advice = _ADVICE[error.reason].format(name=name, path=result.path)
        result.error = dataclasses.replace(error, message=f"{kept} {advice}")
    result.warnings = [_RECORD_NEXT_TIME.sub(rf"write `photo_id: \1` in {name}.flickr.yaml next to it", w)
                       for w in result.warnings]
    return result
