"""The hook set host apps and third-party plugins implement (pluggy project ``flickr_replace``).

Implementations may accept fewer arguments than a spec lists, so specs can grow without
breaking plugins. pluggy calls them (hook wrappers welcome); a plugin raising becomes an error
naming it (see ``hookcalls``). plugin.yaml lists these hooks for hosts that do not read Python.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import pluggy

if TYPE_CHECKING:
    from .photoid.candidates import Candidate
    from .result import ReplaceResult

PROJECT = "flickr_replace"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def find_photo_id(path: str, metadata: Mapping[str, Any]) -> "list[Candidate] | None":
    """Offer the Flickr photo id that a file replaces.

    Called once per file, for every plugin (the built-in sources are plugins of this hook too),
    unless the caller already named the id (``--photo-id`` or ``metadata["photo_id"]``). Every
    answer is collected: if two name different ids the file fails rather than risk replacing the
    wrong photo. Also called by ``flickr-replace resolve``, which sends nothing.

    :param path: the file about to be replaced, as the host gave it.
    :param metadata: the host's metadata mapping (may be empty); ``metadata["original"]`` names
        the source image when ``path`` is a temporary export carrying no metadata of its own.
    :returns: a list of ``flickr_replace_plugin.Candidate(photo_id, source, detail="")``, or
        None. A third-party plugin's candidates are reported with the source ``plugin:NAME`` (its
        own source becomes the detail). The older answers, a lone ``(photo_id, source)`` tuple or
        Candidate or a list of tuples, still work with a DeprecationWarning.
    """


@hookspec(firstresult=True)
def before_replace(path: str, photo_id: str | None, options: Mapping[str, Any]) -> "str | None":
    """Veto a replace just before its upload.

    Called once per file that passed the local checks, right before it is sent (and in a dry
    run, instead of sending). Stops at first non-None result: the first veto wins.

    :param path: the file about to be sent.
    :param photo_id: the photo it replaces; None for an upload of a new photo
        (``--upload-missing``), which has no id yet.
    :param options: ``async``, ``wait``, ``dry_run`` and ``source`` (where the id came from).
    :returns: None to go on, or a reason string: the file is then ``skipped`` with that reason.
    """


@hookspec
def after_replace(result: "ReplaceResult") -> None:
    """See every final result: replaced, pending, failed, skipped or dry-run.

    Called once per file after its result is known (for async uploads, once the ticket is
    finished or the wait given up), so a host can record the id, update its database or notify
    the user. A plugin raising here is logged; the result stands.

    :param result: the normalised result; ``result.to_dict()`` is the JSON object a host reads.
    :returns: None.
    """


@hookspec(firstresult=True)
def flickr_credentials() -> "Mapping[str, str] | None":
    """Supply credentials from a host's own store (a keychain, a host settings file).

    Called once per run while the configuration loads: its values override the config file's,
    and the environment's override both. Stops at first non-None result. A plugin raising here
    ends the command as a configuration error.

    :returns: a mapping with any of ``api_key``, ``api_secret``, ``oauth_token``,
        ``oauth_token_secret``; or None to leave them to the environment and the config file.
    """
