"""The photo metadata methods: setMeta, tags, dates, location, getExif and delete, as Flickr answers them.

Modelled on Flickr's method pages: a write needs a token-signed call by the photo's owner (another
user's photo is "not found", code 1, as Flickr hides it); removeTag may also be called by the tag's
author. Tags keep their author, so tags other people added can be told apart from the owner's.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable

from .calls import Call
from .records import Photo, add_tags, set_tags, split_tags, tag_entries, tag_id
from .replies import Fail, Node

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")
# EXIF tags getExif reports, by (IFD, tag number): exiftool's name (Flickr's `tag`) and label.
_EXIF: dict[tuple[str, int], tuple[str, str]] = {
    ("IFD0", 0x010F): ("Make", "Make"), ("IFD0", 0x0110): ("Model", "Model"),
    ("IFD0", 0x010E): ("ImageDescription", "Image Description"),
    ("ExifIFD", 0x9003): ("DateTimeOriginal", "Date and Time (Original)"),
    ("ExifIFD", 0x9291): ("SubSecTimeOriginal", "Sub Sec Time Original"),
    ("ExifIFD", 0x9011): ("OffsetTimeOriginal", "Offset Time Original"),
    ("ExifIFD", 0x9004): ("CreateDate", "Date and Time (Digitized)"),
}


def _own_photo(call: Call) -> Photo:
    """The `photo_id` photo when the caller owns it; Flickr's code 1 otherwise."""
    photo = call.photo()
    if photo.owner != call.caller:
        raise Fail(1, "Photo not found")
    return photo


def _edit(call: Call, change: Callable[[Photo], Any]) -> Any:
    return call.store.edit(_own_photo(call).id, change)


def set_meta(call: Call) -> Node | None:
    title, description = call.request.get("title"), call.request.get("description")
    if title is None and description is None:
        raise Fail(2, "At least one of title or description must be set")

    def change(photo: Photo) -> None:
        if title is not None:
            photo.title = title
        if description is not None:
            photo.description = description
    _edit(call, change)
    return None


def set_tags_call(call: Call) -> Node | None:
    """setTags: the photo's tags become exactly these (others' tags included are dropped: Flickr's
    page says it sets "the tags for a photo"; the tool never calls it for that reason)."""
    raws = split_tags(call.get("tags"))
    author = call.caller or ""
    _edit(call, lambda photo: set_tags(photo, [{"raw": raw, "author": author, "n": n}
                                               for n, raw in enumerate(raws, photo.next_tag + 1)]))
    return None


def add_tags_call(call: Call) -> Node | None:
    raws = split_tags(call.get("tags"))
    if not raws:
        raise Fail(2, "Maximum tags reached")  # Flickr's code 2 is its only tag-list error
    photo = _own_photo(call)
    if len(photo.tags) + len(raws) > 75:
        raise Fail(2, "Maximum tags reached")
    added = call.store.edit(photo.id, lambda p: add_tags(p, raws, call.caller or ""))
    node = Node("tags", lists=("tag",))
    node.children = [Node("tag", {"full_tag_id": tag_id(photo, e)}, e["raw"]) for e in added]
    return node


def remove_tag(call: Call) -> Node | None:
    wanted = call.get("tag_id")
    photo_id = wanted.split("-")[1] if wanted.count("-") == 2 else ""
    photo = call.store.photo(photo_id)
    entries = tag_entries(photo) if photo else []
    found = [e for e in entries if photo and tag_id(photo, e) == wanted]
    if photo is None or not found or call.caller not in (photo.owner, found[0]["author"]):
        raise Fail(1, "Tag not found")
    call.store.edit(photo.id, lambda p: set_tags(p, [e for e in tag_entries(p) if tag_id(p, e) != wanted]))
    return None


def set_dates(call: Call) -> Node | None:
    taken, posted = call.request.get("date_taken"), call.request.get("date_posted")
    if taken is None and posted is None:
        raise Fail(2, "Not enough arguments")
    if taken is not None and not _DATE.match(taken):
        raise Fail(4, "Invalid date taken")
    if posted is not None and not posted.isdigit():
        raise Fail(3, "Invalid date posted")

    def change(photo: Photo) -> None:
        if taken is not None:
            photo.taken = taken if taken.count(":") == 2 else taken + (":00" if ":" in taken else " 00:00:00")
        if posted is not None:
            photo.uploaded = int(posted)
    _edit(call, change)
    return None


def set_location(call: Call) -> Node | None:
    lat, lon = _number(call, "lat", 3, 90), _number(call, "lon", 4, 180)
    accuracy = call.get("accuracy") or "16"
    if not accuracy.isdigit() or not 1 <= int(accuracy) <= 16:
        raise Fail(5, "Not a valid accuracy")
    location = {"latitude": lat, "longitude": lon, "accuracy": int(accuracy), "context": int(call.get("context") or 0)}
    _edit(call, lambda photo: setattr(photo, "location", location))
    return None


def _number(call: Call, name: str, code: int, limit: float) -> float:
    text = call.get(name)
    if not text:
        raise Fail(2, "Required arguments missing.")
    try:
        value = float(text)
    except ValueError:
        value = math.inf
    if not -limit <= value <= limit:
        raise Fail(code, f"Not a valid {'latitude' if name == 'lat' else 'longitude'}")
    return value


def remove_location(call: Call) -> Node | None:
    _edit(call, lambda photo: setattr(photo, "location", None))
    return None


def location_node(location: dict[str, Any]) -> Node:
    return Node("location", {"latitude": f"{location['latitude']:.6f}", "longitude": f"{location['longitude']:.6f}",
                             "accuracy": location["accuracy"], "context": location["context"]})


def get_location(call: Call) -> Node | None:
    photo = call.photo()
    if photo.location is None:
        raise Fail(2, "Photo has no location information.")
    return Node("photo", {"id": photo.id}, children=[location_node(photo.location)])


def get_exif(call: Call) -> Node | None:
    photo = call.photo()
    node = Node("photo", {"id": photo.id, "secret": photo.secret, "server": photo.server, "farm": 66,
                          "camera": ""}, lists=("exif",))
    for (space, _), (tag, label), value in _exif_values(photo):
        node.children.append(Node("exif", {"tagspace": space, "tagspaceid": 0, "tag": tag, "label": label},
                                  children=[Node("raw", text=value)]))
    return node


def _exif_values(photo: Photo) -> list[tuple[tuple[str, int], tuple[str, str], str]]:
    """The EXIF values of the photo's stored original that getExif reports (none when unreadable)."""
    try:
        from PIL import Image

        with Image.open(photo.data_path) as image:
            exif = image.getexif()
            ifds = {"IFD0": dict(exif), "ExifIFD": dict(exif.get_ifd(0x8769))}
    except Exception:  # not a picture Pillow reads: Flickr then has no EXIF to show either
        return []
    found = []
    for key, names in _EXIF.items():
        value = ifds[key[0]].get(key[1])
        if value is not None:
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            found.append((key, names, text.strip("\x00 ")))
    return found


def delete(call: Call) -> Node | None:
    """Delete the photo. Flickr asks 'delete' permission of the token; the sandbox's tokens are the
    owner's own and are taken to carry it (the tool never calls this method)."""
    photo = _own_photo(call)
    call.store.delete_photo(photo.id)
    return None


METHODS = {
    "flickr.photos.setMeta": (set_meta, True),
    "flickr.photos.setTags": (set_tags_call, True),
    "flickr.photos.addTags": (add_tags_call, True),
    "flickr.photos.removeTag": (remove_tag, True),
    "flickr.photos.setDates": (set_dates, True),
    "flickr.photos.geo.setLocation": (set_location, True),
    "flickr.photos.geo.removeLocation": (remove_location, True),
    "flickr.photos.geo.getLocation": (get_location, False),
    "flickr.photos.getExif": (get_exif, False),
    "flickr.photos.delete": (delete, True),
}
