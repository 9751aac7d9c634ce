"""Photo lists: `flickr.people.getPhotos` and `flickr.photos.recentlyUpdated`, paged, with extras.

The shape is Flickr's: `<photos page pages perpage total>` holding `<photo id owner secret
server farm title ispublic isfriend isfamily .../>`, each extra adding the attributes (or, for
`description`, the child element) Flickr adds for it.
"""
from __future__ import annotations

import math
from typing import Callable

from .calls import Call
from .records import FARM, Photo, clean_tag, is_machine_tag
from .replies import Fail, Node
from .sizes import BY_CODE, available, dimensions, source

Attrs = dict[str, "str | int"]


def _url_extra(code: str) -> Callable[[Call, Photo, Attrs], None]:
    size = BY_CODE[code]

    def add(call: Call, photo: Photo, attrs: Attrs) -> None:
        if size in available(photo):  # a size the photo does not have is left out, as Flickr does
            width, height = dimensions(photo, size)
            attrs.update({f"url_{code}": source(call.origin, photo, size), f"height_{code}": height,
                          f"width_{code}": width})
    return add


def _original_format(call: Call, photo: Photo, attrs: Attrs) -> None:
    if call.caller == photo.owner:
        attrs.update(originalsecret=photo.originalsecret, originalformat=photo.originalformat)


def _o_dims(call: Call, photo: Photo, attrs: Attrs) -> None:
    if photo.width and photo.height:
        attrs.update(o_width=str(photo.width), o_height=str(photo.height))


EXTRAS: dict[str, Callable[[Call, Photo, Attrs], None]] = {
    "date_upload": lambda call, photo, attrs: attrs.update(dateupload=str(photo.uploaded)),
    "date_taken": lambda call, photo, attrs: attrs.update(
        datetaken=photo.date_taken, datetakengranularity=0, datetakenunknown="0" if photo.taken else "1"),
    "last_update": lambda call, photo, attrs: attrs.update(lastupdate=str(photo.lastupdate)),
    "original_format": _original_format,
    "o_dims": _o_dims,
    "media": lambda call, photo, attrs: attrs.update(media=photo.media, media_status="ready"),
    "tags": lambda call, photo, attrs: attrs.update(
        tags=" ".join(clean_tag(t) for t in photo.tags if not is_machine_tag(t))),
    "machine_tags": lambda call, photo, attrs: attrs.update(
        machine_tags=" ".join(clean_tag(t) for t in photo.tags if is_machine_tag(t))),
    "owner_name": lambda call, photo, attrs: attrs.update(
        ownername=(call.store.person(photo.owner) or {}).get("username", "")),
    "license": lambda call, photo, attrs: attrs.update(license="0"),
    "views": lambda call, photo, attrs: attrs.update(views="0"),
    "description": lambda call, photo, attrs: None,  # a child element, see photo_node
    **{f"url_{code}": _url_extra(code) for code in BY_CODE},
}


def wanted_extras(call: Call) -> list[str]:
    """The known names of `extras` (comma-separated, any spacing); unknown ones are ignored, as Flickr does."""
    names = [name.strip().lower() for name in call.get("extras").split(",")]
    return [name for name in dict.fromkeys(names) if name in EXTRAS]


def photo_node(call: Call, photo: Photo, extras: list[str], always: tuple[str, ...] = ()) -> Node:
    attrs: Attrs = {"id": photo.id, "owner": photo.owner, "secret": photo.secret, "server": photo.server,
                    "farm": FARM, "title": photo.title, "ispublic": photo.is_public,
                    "isfriend": photo.is_friend, "isfamily": photo.is_family}
    for name in (*always, *extras):
        EXTRAS[name](call, photo, attrs)
    node = Node("photo", attrs)
    if "description" in extras:
        node.children.append(Node("description", text=photo.description))
    return node


def page_of(call: Call, photos: list[Photo], always: tuple[str, ...] = ()) -> Node:
    """One page of `photos` in Flickr's paging shape; a page past the end is empty."""
    page, per_page = call.paging()
    total = len(photos)
    extras = wanted_extras(call)
    start = (page - 1) * per_page
    node = Node("photos", {"page": page, "pages": math.ceil(total / per_page), "perpage": per_page, "total": total},
                lists=("photo",))
    node.children = [photo_node(call, p, extras, always) for p in photos[start:start + per_page]]
    return node


def get_photos(call: Call) -> Node:
    """A user's photostream, newest upload first: all of one's own photos, only public ones of others."""
    who = call.get("user_id")
    if who == "me":
        if call.caller is None:
            raise Fail(2, "Unknown user")
        who = call.caller
    if call.store.person(who) is None:
        raise Fail(2, "Unknown user")
    photos = [p for p in call.store.owned_by(who) if call.can_see(p)]
    photos = _uploaded_between(call, photos)
    return page_of(call, photos)


def _uploaded_between(call: Call, photos: list[Photo]) -> list[Photo]:
    def stamp(name: str) -> int | None:
        try:
            return int(call.get(name)) if call.get(name) else None
        except ValueError:
            return None

    low, high = stamp("min_upload_date"), stamp("max_upload_date")
    return [p for p in photos if (low is None or p.uploaded >= low) and (high is None or p.uploaded <= high)]


def recently_updated(call: Call) -> Node:
    """The caller's photos changed (uploaded, replaced, edited) since `min_date`, most recent first."""
    try:
        since = int(call.get("min_date"))
    except ValueError:
        raise Fail(1, "Required parameter missing: min_date") from None
    assert call.caller is not None
    photos = [p for p in call.store.owned_by(call.caller) if p.lastupdate >= since]
    photos.sort(key=lambda p: (p.lastupdate, int(p.id)), reverse=True)
    return page_of(call, photos, always=("last_update",))


METHODS = {
    "flickr.people.getPhotos": (get_photos, False),
    "flickr.photos.recentlyUpdated": (recently_updated, True),
}
