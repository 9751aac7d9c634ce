"""A beets-style pipeline step: a function a media manager calls once per item, with its metadata.

Hosts that run items through stages (an import pipeline, an ingest chain) hand each stage a
mapping. This step replaces the item's Flickr photo with the file at ``item["path"]``; the id is
``item["photo_id"]`` — the ``metadata`` route, which wins over every other source — and when the
item has none, the file's own sidecars and metadata are read as usual. The outcome is written
back into the item for the next stage.

    python examples/pipeline_step.py < items.jsonl      # one JSON item per line in and out
"""
from __future__ import annotations

import json
import sys
from typing import Any, Callable, Iterable, Iterator, MutableMapping

from flickr_replace_plugin import replace

Item = MutableMapping[str, Any]
Step = Callable[[Item], Item]


def flickr_replace_step(item: Item) -> Item:
    """Replace the item's photo; add ``flickr_status`` (and ``flickr_error`` when it failed)."""
    result = replace(item["path"], metadata=item)
    item.update(flickr_status=result.status.value, flickr_photo_id=result.photo_id, flickr_source=result.source)
    if result.error is not None:
        item["flickr_error"] = result.error.message
    return item


class Pipeline:
    """The smallest pipeline: steps registered in order, each called with every item."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def register(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def run(self, items: Iterable[Item]) -> Iterator[Item]:
        for item in items:
            for step in self.steps:
                item = step(item)
            yield item


def main() -> int:
    pipeline = Pipeline()
    pipeline.register(flickr_replace_step)
    failed = 0
    for item in pipeline.run(json.loads(line) for line in sys.stdin if line.strip()):
        failed += item["flickr_status"] == "failed"
        sys.stdout.write(json.dumps(item) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
