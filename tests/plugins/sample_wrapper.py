"""A hook wrapper: file-name guesses do not count for this host (its exports keep camera names);
a file named "boom-wrap" makes the wrapper itself raise."""
from pathlib import Path

from flickr_replace_plugin import hookimpl


@hookimpl(wrapper=True)
def find_photo_id(path):
    answers = yield
    if "boom-wrap" in Path(path).name:
        raise RuntimeError("wrapper exploded")
    return [[c for c in answer if c.source != "filename"] for answer in answers]
