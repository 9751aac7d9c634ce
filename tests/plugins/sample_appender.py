"""before_replace: appends SAMPLE_APPEND_BYTES (default 5000) bytes to the export before it is sent,
as a plugin that stamps or re-encodes the file in place would."""
import os

from flickr_replace_plugin import hookimpl


@hookimpl
def before_replace(path, photo_id, options):
    with open(path, "ab") as out:
        out.write(b"\0" * int(os.environ.get("SAMPLE_APPEND_BYTES", "5000")))
    return None
