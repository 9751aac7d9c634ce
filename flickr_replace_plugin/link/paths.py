"""The files a `link` run looks at: a folder stands for its image files (and, with `recursive`,
those of its subfolders); a file is taken as given, so a wrong one gets its own answer."""
from __future__ import annotations

import logging
import os
from typing import Iterable, Iterator

log = logging.getLogger("flickr_replace.link")


def expand(paths: Iterable[str | os.PathLike], recursive: bool = False) -> Iterator[str]:
    for path in map(os.fspath, paths):
        if not os.path.isdir(path):
            yield path
            continue
        found = sorted(_images(path, recursive))
        if not found:
            more = "" if recursive else " (add --recursive to look in its subfolders)"
            log.warning("%s: no image files in this folder%s", path, more)
        yield from found


def _images(top: str, recursive: bool) -> Iterator[str]:
    from ..watch.settle import is_photo_name  # image names, not sidecars, hidden or temporary files

    for root, subdirs, files in os.walk(top):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".")) if recursive else []
        yield from (os.path.join(root, name) for name in files
                    if is_photo_name(name) and os.path.isfile(os.path.join(root, name)))
