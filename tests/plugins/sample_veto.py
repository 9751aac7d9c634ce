"""before_replace: drafts are never sent; every call is kept for the test to read."""
from pathlib import Path

from flickr_replace_plugin import hookimpl

CALLS: list[tuple[str, str, dict]] = []


@hookimpl
def before_replace(path, photo_id, options):
    CALLS.append((path, photo_id, dict(options)))
    return "drafts stay local" if "draft" in Path(path).name else None
