"""flickr_credentials: a stand-in for a host keychain, a JSON file named by SAMPLE_KEYCHAIN."""
import json
import os

from flickr_replace_plugin import hookimpl


@hookimpl
def flickr_credentials():
    path = os.environ.get("SAMPLE_KEYCHAIN")
    if not path:
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)
