"""`flickr.photos.getInfo` and `flickr.photos.getSizes`, in the shapes Flickr answers them.

Modelled on Flickr's API pages and on what real clients read (python-flickr-api's
`Photo.getInfo()` unpacks `usage`, `visibility`, `publiceditability`, `dates`, `tags` and
`notes`, and fails on any of them missing).
"""
from __future__ import annotations

from .calls import Call
from .metadata import location_node
from .records import FARM, Photo, clean_tag, is_machine_tag, tag_entries, tag_id
from .replies import Node
from .sizes import available, dimensions, page, source


def _owner(call: Call, photo: Photo) -> dict[str, str]:
    return call.store.person(photo.owner) or {"nsid": photo.owner, "username": photo.owner, "fullname": ""}


def tag_nodes(call: Call, photo: Photo) -> list[Node]:
    nodes = []
    for entry in tag_entries(photo):
        author = call.store.person(entry["author"]) or {"username": entry["author"]}
        nodes.append(Node("tag", {"id": tag_id(photo, entry), "author": entry["author"],
                                  "authorname": author["username"], "raw": entry["raw"],
                                  "machine_tag": int(is_machine_tag(entry["raw"]))}, clean_tag(entry["raw"])))
    return nodes


def get_info(call: Call) -> Node:
    photo = call.photo()
    owner = _owner(call, photo)
    mine = call.caller == photo.owner
    attrs: dict[str, str | int] = {
        "id": photo.id, "secret": photo.secret, "server": photo.server, "farm": FARM,
        "dateuploaded": str(photo.uploaded), "isfavorite": 0, "license": "0", "safety_level": "0", "rotation": 0}
    if mine:  # the original's secret is shown to the owner (and to others only when downloads are allowed)
        attrs.update(originalsecret=photo.originalsecret, originalformat=photo.originalformat)
    attrs.update(views=str(photo.views), media=photo.media)
    children = [
        Node("owner", {"nsid": owner["nsid"], "username": owner["username"], "realname": owner["fullname"],
                       "location": "", "iconserver": "0", "iconfarm": 0, "path_alias": ""}),
        Node("title", text=photo.title),
        Node("description", text=photo.description),
        Node("visibility", {"ispublic": photo.is_public, "isfriend": photo.is_friend, "isfamily": photo.is_family}),
        Node("dates", {"posted": str(photo.uploaded), "taken": photo.date_taken, "takengranularity": 0,
                       "takenunknown": "0" if photo.taken else "1", "lastupdate": str(photo.lastupdate)}),
    ]
    if mine:
        children.append(Node("permissions", {"permcomment": 3, "permaddmeta": 2}))
    children += [
        Node("editability", {"cancomment": 1 if mine else 0, "canaddmeta": 1 if mine else 0}),
        Node("publiceditability", {"cancomment": 1, "canaddmeta": 0}),
        Node("usage", {"candownload": 1, "canblog": 1 if mine else 0, "canprint": 1 if mine else 0, "canshare": 1}),
        Node("comments", text=str(photo.comments)),
        Node("notes", lists=("note",)),
        Node("people", {"haspeople": 0}),
        Node("tags", children=tag_nodes(call, photo), lists=("tag",)),
        Node("urls", children=[Node("url", {"type": "photopage"},
                                    f"https://www.flickr.com/photos/{owner['nsid']}/{photo.id}/")], lists=("url",)),
    ]
    if photo.location is not None and (mine or photo.is_public):
        children.append(location_node(photo.location))
    return Node("photo", attrs, children=children)


def get_sizes(call: Call) -> Node:
    photo = call.photo()
    node = Node("sizes", {"canblog": 0, "canprint": 0, "candownload": 1}, lists=("size",))
    for size in available(photo):
        width, height = dimensions(photo, size)
        label = "Video Original" if photo.media == "video" else size.label
        node.children.append(Node("size", {"label": label, "width": width, "height": height,
                                           "source": source(call.origin, photo, size),
                                           "url": page(photo, size), "media": photo.media}))
    return node


METHODS = {
    "flickr.photos.getInfo": (get_info, False),
    "flickr.photos.getSizes": (get_sizes, False),
}
