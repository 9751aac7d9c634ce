"""Decide which Flickr photo a file replaces, from every source at once.

Replacing the wrong photo destroys it, so the resolver asks every source, ranks what they say
by the contract's order, and refuses a file whose sources name different photos.
"""
from __future__ import annotations

import os
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping, Protocol

from .candidates import CALLER_SOURCES, Candidate, Resolution, source_rank
from ..errors import PluginError
from ..result import ResultError
from .patterns import canonical_photo_id, is_photo_id, leading_zeros
from ..formats.scope import resolution_scope
from .record import record_photo_id

if TYPE_CHECKING:
    from ..preflight import Checked

__all__ = ["resolve_photo_id", "record_photo_id", "Sources"]


class Sources(Protocol):
    """What the resolver asks: the loaded plugins (``plugins.Plugins``), passed down, never imported."""

    def find_photo_id(self, path: str, metadata: Mapping[str, Any]) -> list[Candidate]: ...


def resolve_photo_id(
    path: str | os.PathLike,
    metadata: Mapping[str, Any] | None = None,
    photo_id: str | int | None = None,
    *,
    plugins: Sources,
    checked: "Checked | ResultError | None" = None,
    command: str = "replace",
) -> Resolution:
    """Resolve `path`'s photo id; never raises for a per-file problem (that is ``error``).

    :param photo_id: the caller's id (``--photo-id``); it, or ``metadata["photo_id"]``, wins
        outright and no other source is read.
    :param plugins: the loaded plugins (``flickr_replace_plugin.resolve_photo_id`` loads the
        installed ones when a host gives none).
    :param checked: the caller's pre-flight verdict on `path`, when it has one: the file open
        (the built-in sources read it rather than opening it again), or the error it reports
        itself (then "no such file" is not decided here a second time).
    :param command: whose user reads the error: its advice names what that command can do
        (``resolve`` has no ``--photo-id``).
    """
    path = os.fspath(path)
    given = dict(metadata or {})
    if photo_id is not None:
        given.update(photo_id=photo_id, photo_id_source="argument")
    opened = {path: checked.file} if checked is not None and not isinstance(checked, ResultError) else None
    with resolution_scope(opened) as scope:
        caller = caller_candidate(given)
        if caller is not None:
            return _decide(path, [caller], scope.notes, checked, command)
        if not given.get("original"):  # a batch host's per-file --original, next to its export
            from .original import original_named_for

            named = original_named_for(path)
            if named is not None:
                given["original"] = named
        try:
            candidates = plugins.find_photo_id(path, MappingProxyType(given))
        except PluginError as exc:
            error = ResultError.refusal("no_photo_id", f"{exc}; fix or remove that plugin (`flickr-replace plugins` lists them)")
            return Resolution(None, None, [], error, list(scope.notes))
        return _decide(path, candidates, scope.notes, checked, command)


def caller_candidate(metadata: Mapping[str, Any]) -> Candidate | None:
    """The id the caller named (``--photo-id``, ``metadata["photo_id"]``), unvalidated: `_decide`
    refuses one that is not digits."""
    value = metadata.get("photo_id")
    if value is None or value == "":
        return None
    source = "argument" if metadata.get("photo_id_source") == "argument" else "metadata"
    return Candidate(str(value).strip(), source, "--photo-id" if source == "argument" else "photo_id")


# What to do next, for the command whose user reads the refusal.
_ADVICE = {
    ("no_photo_id", "replace"): "pass --photo-id ID (`flickr-replace resolve -v` shows what was read)",
    ("no_photo_id", "resolve"): "tag the image flickr:photo_id=ID in your photo tool, or write `photo_id: ID` "
                                "in NAME.EXT.flickr.yaml next to it (-v shows what was read)",
    ("conflict", "replace"): "pass --photo-id ID to choose",
    ("conflict", "resolve"): "correct or remove the source that names the wrong photo (-v lists them all)",
}


def _advice(reason: str, command: str) -> str:
    return _ADVICE.get((reason, command), _ADVICE[(reason, "replace")])


def _unread(notes: list[str]) -> str:
    """What could not be read, which may be where the id was: a user sees why without -v."""
    if not notes:
        return ""
    more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
    return f"; a source could not be read: {notes[0]}{more}"


def _decide(path: str, candidates: list[Candidate], notes: list[str],
            checked: "Checked | ResultError | None", command: str = "replace") -> Resolution:
    ranked = sorted(candidates, key=lambda c: source_rank(c.source))  # stable: a source's own order stays

    def refuse(message: str, reason: str) -> Resolution:
        return Resolution(None, None, ranked, ResultError.refusal(reason, message), list(notes))

    bad = [c for c in ranked if not is_photo_id(c.photo_id)]
    if bad:
        return refuse(f"not a Flickr photo id (digits only) for {path}: {_listing(bad)}", "no_photo_id")
    padded = [why for c in ranked if c.source in CALLER_SOURCES and (why := leading_zeros(c.photo_id))]
    if padded:
        return refuse(f"not a Flickr photo id for {path}: {padded[0]}", "no_photo_id")
    # the file's own sources, as Flickr reads them: a tag naming 0105 and a sidecar naming 105 agree
    ranked = [Candidate(canonical_photo_id(c.photo_id), c.source, c.detail) for c in ranked]
    ids = list(dict.fromkeys(c.photo_id for c in ranked))
    if not ids:
        if checked is None and not os.path.lexists(path):  # says more than "no photo id found"
            return refuse(f"no such file: {path} (check the path)", "no_file")
        if checked is None and os.path.isdir(path):
            return refuse(f"is a directory, not a photo: {path} (give the image files inside it)", "not_a_file")
        return refuse(
            f"no Flickr photo id found for {path}: none in its sidecars, XMP, EXIF, IPTC, plugins or "
            f"file name{_unread(notes)}; {_advice('no_photo_id', command)}", "no_photo_id"
        )
    if len(ids) > 1:
        return refuse(
            f"conflicting Flickr photo ids for {path}: {_listing(ranked)}; replacing the wrong photo "
            f"destroys it, so {_advice('conflict', command)}", "conflict"
        )
    return Resolution(ids[0], ranked[0].source, ranked, None, list(notes))


def _listing(candidates: list[Candidate]) -> str:
    return ", ".join(f"{_where(c)} says {_shown(c.photo_id)}" for c in candidates)


def _shown(photo_id: str) -> str:
    return photo_id if is_photo_id(photo_id) else repr(photo_id)  # quotes show stray spaces


def _where(candidate: Candidate) -> str:
    return f"{candidate.source} ({candidate.detail})" if candidate.detail else candidate.source

