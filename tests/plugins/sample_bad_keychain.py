"""flickr_credentials raising: a configuration error (exit 2) naming the plugin."""
from flickr_replace_plugin import hookimpl


@hookimpl
def flickr_credentials():
    raise PermissionError("keychain is locked")
