"""after_replace: every final result, kept in memory and, when SAMPLE_RECORDER_LOG names a
file, appended to it as JSON lines (so a CLI test in a subprocess can read them)."""
import json
import os

from flickr_replace_plugin import hookimpl

RESULTS: list[dict] = []


@hookimpl
def after_replace(result):
    RESULTS.append(result.to_dict())
    log = os.environ.get("SAMPLE_RECORDER_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps(result.to_dict()) + "\n")
