"""The hook set host apps and third-party plugins implement (pluggy project ``flickr_replace``).

Implementations may accept fewer arguments than a spec lists, so specs can grow without
breaking plugins.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import pluggy

if TYPE_CHECKING:
    from .candidates import Candidate
    from .result import ReplaceResult

PROJECT = "flickr_replace"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def find_photo_id(path: str, metadata: Mapping[str, Any]) -> "Candidate | tuple[str, str] | list | None":
    """Offer the Flickr photo id a file replaces.

    Called once per file for every plugin (the built-in sources are plugins too), unless the
    caller already named the id.

    :param path: the file about to be replaced, as given.
    :param metadata: the host's metadata mapping (may be empty); ``original`` names the source
        image when ``path`` is an export that carries no metadata of its own.
    :returns: a candidate ``(photo_id, source)``, a list of them, or None. Disagreeing candidates
        fail the file rather than risk replacing the wrong photo.
    """


@hookspec
def before_replace(path: str, photo_id: str, options: Mapping[str, Any]) -> "str | None":
    """Veto a replace just before its upload.

    :param path: the file about to be sent.
    :param photo_id: the resolved photo id.
    :param options: ``async``, ``wait``, ``dry_run`` and ``source`` for this file.
    :returns: None to go on, or a reason string: the file is then ``skipped`` with that reason.
    """


@hookspec
def after_replace(result: "ReplaceResult") -> None:
    """See every final result (replaced, pending, failed, skipped, dry-run).

    Called once per file after its result is known: record the id, update a host database,
    notify the user.

    :param result: the normalised result; ``result.to_dict()`` is the JSON a host reads.
    """


@hookspec(firstresult=True)
def flickr_credentials() -> "Mapping[str, str] | None":
    """Supply credentials from a host's own store (a keychain, a host settings file).

    Called once per run, after the environment and before the config file. Stops at first
    non-None result.

    :returns: a mapping with any of ``api_key``, ``api_secret``, ``oauth_token``,
        ``oauth_token_secret``; or None.
    """
