"""Metadata follows the new file: decided before the send, made once the photo holds the file.

The decision costs no call: it compares the file's fields with the getInfo the target check
fetched (for an async replace, that answer from before the send is the one to compare with).
Once the replace lands (a sync answer, or its ticket finished, in this run or in
`flickr-replace tickets`) the calls are made, one per changed field group, and the change is
recorded with its before and after. An upload sent title, description and tags with the
picture: only its date taken and place are left. An undo puts back what the undone send changed.
A metadata call that fails never fails the replace: the result says so, and how to retry.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import JournalUnavailable
from ..flickr.responses import FlickrFailure
from ..formats.scope import resolution_scope
from ..metadata.plan import Ours, Plan, apply, kept, plan_changes
from ..metadata.read import FIELDS, FileMetadata, read_fields
from ..metadata.state import Changed, MetadataState
from ..metadata.tags import tag_key
from ..result import ReplaceResult, ResultError, Status
from .context import FileRun, Outcome

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger("flickr_replace.core")
_NEW_PHOTO_FIELDS = ("date_taken", "location")  # the rest went with the upload itself


@dataclass(frozen=True)
class Planned:
    """A decided change, waiting for the photo to hold the file."""

    plan: Plan
    kept: dict[str, int] | None
    ours: Ours  # what this tool had set on the photo (an undo's plan has its own, narrower `plan.ours`)
    command: str
    in_file: list[str] | None = None  # the fields the file carries (None for an undo: it follows no file)


def in_file(found: FileMetadata) -> list[str]:
    """The fields a file carries: none at all tells a host the export left its metadata out."""
    return [name for name in FIELDS if getattr(found, name) is not None]


def _outcome(changed: Any, planned_in_file: list[str] | None) -> dict[str, Any]:
    """The result's `metadata`: what changed, no error yet, and what the file carries."""
    outcome: dict[str, Any] = {"changed": changed, "error": None}
    if planned_in_file is not None:
        outcome["in_file"] = planned_in_file
    return outcome


def metadata_only(file: FileRun, services: "Services") -> Outcome:
    """`--metadata-only`: the target checks have run; no picture is sent and no backup taken."""
    if not services.options.metadata_only:
        return None
    result = file.result
    if file.new:
        return ResultError.refusal("no_photo_id", f"{file.path}: --metadata-only needs the photo this file "
                                   "replaced (pass --photo-id, or link it with `flickr-replace link`)")
    refused = plan_metadata(file, services)
    if refused is not None:
        return refused
    result.attempts, result.bytes = 0, 0  # nothing sent
    result.status = Status.DRY_RUN if services.options.dry_run else Status.REPLACED
    follow(result, services)
    return result


def plan_metadata(file: FileRun, services: "Services") -> Outcome:
    """What the file changes on the photo, decided now; a dry run reports it and stops there."""
    fields = services.config.metadata_fields
    result = file.result
    if not fields or not services.remote or result.metadata_plan is not None:
        return None
    with resolution_scope({file.path: file.file.file}):  # the open file: the bytes checked are those sent
        found = read_fields(file.path)
    if file.new:  # nothing to compare with before the upload: decided once the photo exists
        result.metadata_plan = found
        return None
    command = services.options.command
    if file.info is None and not found.says_anything() and command != "undo":  # --no-verify saves its calls
        result.metadata_plan = Planned(Plan(result.photo_id or ""), None, Ours(), command, [])
        return None
    try:
        photo = file.info.answer if file.info is not None else _photo_info(result.photo_id or "", services)
    except FlickrFailure as exc:
        return exc.error
    planned = _decide(result, photo, services, command, found)
    result.metadata_plan = planned
    if services.options.dry_run:
        result.metadata, result.kept = _outcome(planned.plan.changed, planned.in_file), planned.kept
    return None


def follow(result: ReplaceResult, services: "Services") -> None:
    """The photo holds the file now: make the decided change (deciding it first for a resumed
    ticket or a new photo). Never raises: a failure is the result's `metadata.error` and a warning."""
    planned, result.metadata_plan = result.metadata_plan, None
    if not services.config.metadata_fields or services.options.dry_run:
        return
    services.tell_stage(result.path, "metadata")
    try:
        if result.status is Status.UPLOADED:
            _follow_upload(result, planned if isinstance(planned, FileMetadata) else None, services)
            return
        if not isinstance(planned, Planned):  # a ticket an earlier run sent: decided now
            command = _command(result, services)
            planned = _decide(result, _photo_info(result.photo_id or "", services), services, command)
        _make(result, planned, services)
    except (FlickrFailure, JournalUnavailable, OSError) as exc:
        message = exc.error.message if isinstance(exc, FlickrFailure) else str(exc)
        _failed(result, services, result.metadata or {"changed": {}}, message)


def _photo_info(photo_id: str, services: "Services") -> dict[str, Any]:
    return services.retry(lambda: services.client().photo_info(photo_id))


def _decide(result: ReplaceResult, photo: Mapping[str, Any], services: "Services", command: str,
            found: FileMetadata | None = None) -> Planned:
    state = MetadataState(services.journal)
    pid = result.photo_id or ""
    ours = state.ours(pid)
    owner = photo.get("owner")
    nsid = str(owner.get("nsid", "")) if isinstance(owner, Mapping) else ""
    fields = services.config.metadata_fields
    if command == "undo":
        wanted, plan_ours = _undoing(state.undone(pid, result.path))
    else:
        wanted, plan_ours = found if found is not None else read_fields(result.path), ours
    return Planned(plan_changes(wanted, photo, nsid, plan_ours, fields), kept(photo), ours, command,
                   None if command == "undo" else in_file(wanted))


def _undoing(changed: Changed | None) -> tuple[FileMetadata, Ours]:
    """The values the undone send replaced, as a file saying them would; and, as "ours", only what
    that send added (so tags this tool added earlier stay)."""
    if not changed:
        return FileMetadata(), Ours()
    wanted = FileMetadata(tags=[])
    for name in ("title", "description", "date_taken"):
        if name in changed:
            setattr(wanted, name, changed[name]["from"])
    ours = Ours()
    if "tags" in changed:
        before, after = changed["tags"]["from"], changed["tags"]["to"]
        keys_before, keys_after = {tag_key(t) for t in before}, {tag_key(t) for t in after}
        wanted.tags = [t for t in before if tag_key(t) not in keys_after]
        ours = Ours(tags=tuple(t for t in after if tag_key(t) not in keys_before))
    if "location" in changed:
        earlier = changed["location"]["from"]
        wanted.location = (float(earlier[0]), float(earlier[1])) if earlier else None
        ours = replace(ours, location=earlier is None)
    return wanted, ours


def _command(result: ReplaceResult, services: "Services") -> str:
    """A ticket finished by a later run: what its send was (an undo puts back, others follow the file)."""
    if result.journal_entry is None:
        return services.options.command
    return MetadataState(services.journal).command_of(result.journal_entry) or services.options.command


def _call(services: "Services"):
    def call(method: str, params: Mapping[str, str]) -> Mapping[str, Any]:
        return services.retry(lambda: services.client().rest(method, **params))

    return call


def _make(result: ReplaceResult, planned: Planned, services: "Services") -> None:
    plan = planned.plan
    result.kept = planned.kept
    result.metadata = _outcome({}, planned.in_file)
    changed, error = apply(plan, _call(services))
    result.metadata["changed"] = changed
    if changed:
        ours = replace(plan, ours=planned.ours).ours_after(changed)
        MetadataState(services.journal).record(plan.photo_id, result.journal_entry, planned.command, changed, ours)
    if error is not None:
        _failed(result, services, result.metadata, error, undo=planned.command == "undo")


def _follow_upload(result: ReplaceResult, found: FileMetadata | None, services: "Services") -> None:
    """A new photo: its title, description and tags went with the upload (they are "ours" now);
    its date taken and place are set here when Flickr did not take them from the file."""
    found = found if found is not None else read_fields(result.path)
    fields = [f for f in services.config.metadata_fields if f in _NEW_PHOTO_FIELDS]
    sent = Ours(tuple(found.tags or ()))
    wanted = FileMetadata(date_taken=found.date_taken, location=found.location)
    changed: Changed = {}
    result.metadata = _outcome(changed, in_file(found))
    if any(getattr(wanted, f) is not None for f in fields):
        photo = _photo_info(result.photo_id or "", services)
        owner = photo.get("owner")
        nsid = str(owner.get("nsid", "")) if isinstance(owner, Mapping) else ""
        plan = plan_changes(wanted, photo, nsid, sent, fields)
        changed, error = apply(plan, _call(services))
        result.metadata["changed"] = changed
        sent = plan.ours_after(changed)
        if error is not None:
            _failed(result, services, result.metadata, error)
    MetadataState(services.journal).record(result.photo_id or "", result.journal_entry, "upload", changed, sent)


def _failed(result: ReplaceResult, services: "Services", metadata: dict[str, Any], error: str,
            undo: bool = False) -> None:
    metadata["error"] = error
    result.metadata = metadata
    if undo:
        advice = "set the earlier values on flickr.com"
    else:
        advice = f"retry with `flickr-replace replace --metadata-only {result.path}`"
    result.warnings.append(f"photo {result.photo_id} holds the new file, but its metadata was not all updated "
                           f"({error}): {advice}")
    log.warning("%s: metadata not all updated: %s", result.path, error)
