"""What to change on Flickr so that a photo's metadata follows its new file, and making the change.

The decision is pure: the file's fields, the photo as `flickr.photos.getInfo` gave it (the target
check has fetched it already, so deciding costs no call), and what this tool set last time (the
journal). Nothing that the file does not say is lost: a field the file lacks stays as it is, a
tag is removed only when this tool added it and the file dropped it, and tags other people or
the owner on the website added stay. Nothing differs: no call at all.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Collection, Mapping

from ..flickr.responses import FlickrFailure
from .read import FIELDS, FileMetadata
from .tags import tag_key, tags_argument

MOVED_METRES = 10.0  # a location closer than this to Flickr's is the same place (GPS noise, rounding)
ACCURACY_STREET = "16"  # Flickr's accuracy for an exact position (1 world ... 16 street)
_EARTH_METRES = 6_371_008.8
_FLICKR_DATE = "%Y-%m-%d %H:%M:%S"

Call = Callable[[str, Mapping[str, str]], Mapping[str, Any]]


@dataclass(frozen=True)
class Ours:
    """What this tool set on the photo before (from the journal)."""

    tags: tuple[str, ...] = ()  # raw tags it added
    location: bool = False  # whether it set the photo's location


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: dict[str, str]
    fields: tuple[str, ...]  # the fields this call changes
    tag: str | None = None  # the raw tag a removeTag call removes


@dataclass
class Plan:
    photo_id: str
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)  # FIELD -> {"from", "to"}
    calls: list[ApiCall] = field(default_factory=list)
    ours: Ours = Ours()  # what this tool set before

    def ours_after(self, changed: Mapping[str, Mapping[str, Any]]) -> Ours:
        """What this tool will have set once `changed` (apply's answer) is on the photo: for the journal."""
        tags = {tag_key(t): t for t in self.ours.tags}
        if "tags" in changed:
            before = {tag_key(t) for t in changed["tags"]["from"]}
            after = {tag_key(t): t for t in changed["tags"]["to"]}
            tags = {k: t for k, t in tags.items() if k in after}
            tags.update((k, t) for k, t in after.items() if k not in before)
        location = self.ours.location
        if "location" in changed:
            location = changed["location"]["to"] is not None
        return Ours(tuple(tags.values()), location)


def plan_changes(file: FileMetadata, photo: Mapping[str, Any], owner_nsid: str, ours: Ours = Ours(),
                 fields: Collection[str] = FIELDS) -> Plan:
    """The calls that bring `photo` (getInfo's `photo`) in line with `file`, for the enabled `fields`.

    A file that says nothing at all (an export with metadata switched off) removes nothing.
    """
    plan = Plan(str(photo.get("id", "")), ours=ours)
    _text_fields(plan, file, photo, fields)
    if "tags" in fields and (file.tags is not None or file.says_anything()):
        _tags(plan, file.tags or [], photo, owner_nsid)
    if "date_taken" in fields and file.date_taken is not None:
        _date_taken(plan, file.date_taken, photo)
    if "location" in fields:
        _location(plan, file, _flickr_location(photo))
    return plan


def _content(photo: Mapping[str, Any], name: str) -> str:
    value = photo.get(name)
    return str(value.get("_content", "") if isinstance(value, Mapping) else value or "")


def _text_fields(plan: Plan, file: FileMetadata, photo: Mapping[str, Any], fields: Collection[str]) -> None:
    """Title and description go in one setMeta, which needs both: the one not changing keeps its value."""
    current = {name: _content(photo, name) for name in ("title", "description")}
    wanted = dict(current)
    for name in ("title", "description"):
        value = getattr(file, name)
        if name in fields and value is not None and value.strip() != current[name].strip():
            wanted[name] = value
            plan.changed[name] = {"from": current[name], "to": value}
    if wanted != current:
        plan.calls.append(ApiCall("flickr.photos.setMeta", {"photo_id": plan.photo_id, **wanted},
                                  tuple(n for n in ("title", "description") if n in plan.changed)))


def _flickr_tags(photo: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    tags = photo.get("tags")
    found = tags.get("tag", []) if isinstance(tags, Mapping) else []
    return [t for t in found if isinstance(t, Mapping)] if isinstance(found, list) else []


def _key(tag: Mapping[str, Any]) -> str:
    return tag_key(str(tag.get("_content") or tag.get("raw") or ""))


def _tags(plan: Plan, file_tags: list[str], photo: Mapping[str, Any], owner_nsid: str) -> None:
    on_flickr = _flickr_tags(photo)
    present = {_key(t) for t in on_flickr}
    in_file = {tag_key(t) for t in file_tags}
    mine = {tag_key(t) for t in plan.ours.tags}
    added = [t for t in file_tags if tag_key(t) not in present]
    removed = [t for t in on_flickr
               if _key(t) in mine and _key(t) not in in_file and str(t.get("author", "")) == owner_nsid]
    if not added and not removed:
        return
    before = [str(t.get("raw") or t.get("_content") or "") for t in on_flickr]
    gone = {id(t) for t in removed}
    after = [str(t.get("raw") or t.get("_content") or "") for t in on_flickr if id(t) not in gone] + added
    plan.changed["tags"] = {"from": before, "to": after}
    if added:
        plan.calls.append(ApiCall("flickr.photos.addTags",
                                  {"photo_id": plan.photo_id, "tags": tags_argument(added)}, ("tags",)))
    plan.calls.extend(ApiCall("flickr.photos.removeTag", {"tag_id": str(t.get("id", ""))}, ("tags",),
                              str(t.get("raw") or t.get("_content") or "")) for t in removed)


def _date_taken(plan: Plan, taken: str, photo: Mapping[str, Any]) -> None:
    dates = photo.get("dates")
    current = str(dates.get("taken", "")) if isinstance(dates, Mapping) else ""
    unknown = isinstance(dates, Mapping) and str(dates.get("takenunknown", "0")) == "1"
    if not unknown and _seconds_apart(taken, current) < 1:
        return
    plan.changed["date_taken"] = {"from": current or None, "to": taken}
    plan.calls.append(ApiCall("flickr.photos.setDates", {"photo_id": plan.photo_id, "date_taken": taken,
                                                         "date_taken_granularity": "0"}, ("date_taken",)))


def _seconds_apart(a: str, b: str) -> float:
    try:
        return abs((datetime.strptime(a, _FLICKR_DATE) - datetime.strptime(b, _FLICKR_DATE)).total_seconds())
    except ValueError:  # Flickr's is missing or in another shape: not the same date
        return math.inf


def _flickr_location(photo: Mapping[str, Any]) -> tuple[float, float] | None:
    location = photo.get("location")
    if not isinstance(location, Mapping):
        return None
    try:
        return float(location["latitude"]), float(location["longitude"])
    except (KeyError, TypeError, ValueError):
        return None


def _location(plan: Plan, file: FileMetadata, current: tuple[float, float] | None) -> None:
    place = file.location
    if place is not None:
        if current is not None and metres_apart(place, current) <= MOVED_METRES:
            return
        plan.changed["location"] = {"from": _pair(current), "to": _pair(place)}
        plan.calls.append(ApiCall("flickr.photos.geo.setLocation", {
            "photo_id": plan.photo_id, "lat": f"{place[0]:.6f}", "lon": f"{place[1]:.6f}",
            "accuracy": ACCURACY_STREET}, ("location",)))
    elif plan.ours.location and current is not None and file.says_anything():
        plan.changed["location"] = {"from": _pair(current), "to": None}
        plan.calls.append(ApiCall("flickr.photos.geo.removeLocation", {"photo_id": plan.photo_id}, ("location",)))


def _pair(place: tuple[float, float] | None) -> list[float] | None:
    return [place[0], place[1]] if place is not None else None


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine): plenty for "did it move more than 10 m"."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_METRES * math.asin(min(1.0, math.sqrt(h)))


def kept(photo: Mapping[str, Any]) -> dict[str, int]:
    """What the photo keeps by being replaced rather than uploaded again: its views and comments."""
    return {"views": _count(photo.get("views")), "comments": _count(_content(photo, "comments"))}


def _count(value: Any) -> int:
    try:
        return max(0, int(str(value or 0).replace(",", "")))
    except ValueError:
        return 0


def apply(plan: Plan, call: Call) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Run the plan's calls in order through `call` (the caller's signed REST call); stop at the
    first that fails. Returns what did change (as in ``plan.changed``) and the failure's message."""
    error = None
    failed: set[str] = set()
    removed_tags: set[str] = set()
    added_tags = False
    for index, api_call in enumerate(plan.calls):
        try:
            call(api_call.method, dict(api_call.params))
        except (FlickrFailure, OSError) as exc:
            message = exc.error.message if isinstance(exc, FlickrFailure) else str(exc)
            error = f"{api_call.method}: {message}"
            failed.update(f for later in plan.calls[index:] for f in later.fields)
            break
        if api_call.tag is not None:
            removed_tags.add(api_call.tag)
        elif api_call.method == "flickr.photos.addTags":
            added_tags = True
    changed = {name: dict(change) for name, change in plan.changed.items() if name not in failed}
    if "tags" in failed and (added_tags or removed_tags):
        changed["tags"] = _tags_done(plan, added_tags, removed_tags)
    return changed, error


def _tags_done(plan: Plan, added: bool, removed: set[str]) -> dict[str, Any]:
    """The tags' change when only some of its calls went through."""
    before = list(plan.changed["tags"]["from"])
    planned = {tag_key(t) for t in plan.changed["tags"]["to"]} - {tag_key(t) for t in before}
    after = [t for t in before if t not in removed]
    if added:
        after += [t for t in plan.changed["tags"]["to"] if tag_key(t) in planned]
    return {"from": before, "to": after}
