"""No id from a value that may have been cut short, or that runs into the data after it.

Every count a value's length comes from is damaged in turn, to every smaller and some larger
values: the only id ever offered is the one written.
"""
from __future__ import annotations

import struct

import pytest
from photofiles import (
    ID,
    PAGE_URL,
    SHORT,
    builtin_plugins,
    exif,
    heif,
    jpeg,
    tiff_structure,
    webp,
    write,
)

from flickr_replace_plugin.photoid.patterns import ids_in
from flickr_replace_plugin import resolve_photo_id

PLUGINS = builtin_plugins()
URL = PAGE_URL.rstrip("/")  # ends with the id: any cut inside it leaves a shorter id
COMMENTS = {
    "ascii": b"ASCII\x00\x00\x00" + f"Flickr URL: {URL}".encode(),
    "unicode": b"UNICODE\x00" + f"see https://flic.kr/p/{SHORT}".encode("utf-16-le"),
}
CONTAINERS = {
    "jpeg": lambda e: jpeg(e), "webp": lambda e: webp(e),  # Pillow writes no EXIF sub-IFD into PNG
    "heif": lambda e: heif(e.tobytes()[6:]),
}


def offered(tmp_path, data: bytes) -> set[str]:
    resolution = resolve_photo_id(write(tmp_path, "a.img", data), plugins=PLUGINS)
    return {c.photo_id for c in resolution.candidates}


def count_at(data: bytes, tag: int, order: str = "<") -> int:
    """Where the count of the entry for `tag` (of any type) is in `data`."""
    for typ in (1, 2, 7):
        at = data.find(struct.pack(order + "HH", tag, typ))
        if at >= 0:
            return at + 4
    raise AssertionError(f"no entry for tag {tag}")


@pytest.mark.parametrize("comment", COMMENTS)
@pytest.mark.parametrize("container", CONTAINERS)
def test_a_damaged_user_comment_count_never_offers_a_cut_id(tmp_path, container, comment):
    data = CONTAINERS[container](exif(user_comment=COMMENTS[comment]))
    assert offered(tmp_path, data) == {ID}
    at = count_at(data, 37510)
    (count,) = struct.unpack_from("<I", data, at)
    for damaged in range(count):  # every shorter count, the one-byte damages among them
        changed = bytearray(data)
        changed[at : at + 4] = struct.pack("<I", damaged)
        assert offered(tmp_path, bytes(changed)) <= {ID}, damaged


def test_a_user_comment_whose_count_runs_into_the_next_value_is_not_read(tmp_path):
    # UserComment ends with the id, and the value stored right after it starts with digits
    data = tiff_structure([], "<", exif_entries=[(37510, 7, b"ASCII\x00\x00\x00" + URL.encode()),
                                                 (37520, 2, b"123456\x00")])
    assert offered(tmp_path, data) == {ID}
    at = count_at(data, 37510)
    (count,) = struct.unpack_from("<I", data, at)
    for grown in range(count + 1, count + 8):
        changed = bytearray(data)
        changed[at : at + 4] = struct.pack("<I", grown)
        assert offered(tmp_path, bytes(changed)) == set(), grown


def test_a_comment_that_ends_where_the_data_ends_is_read(tmp_path):
    # nothing after the value: its count and the container agree, so its end is trusted
    data = heif(exif(user_comment=b"UNICODE\x00" + f"https://flic.kr/p/{SHORT}".encode("utf-16-le")).tobytes()[6:])
    assert offered(tmp_path, data) == {ID}


@pytest.mark.parametrize(("text", "kind", "whole", "cut"), [
    (f"see {URL}", "text", [ID], []),
    (f"see https://flic.kr/p/{SHORT}", "text", [ID], []),
    (f"see {URL} and https://flic.kr/p/{SHORT}", "text", [ID, ID], [ID]),
    (f"{PAGE_URL} (Flickr2Any", "text", [ID], [ID]),
    (f"flickr:id={ID};holiday", "keyword", [ID], [ID]),
    (f"holiday;flickr:id={ID}", "keyword", [ID], []),
    (f"flickr|photo_id|{ID}", "hierarchical", [ID], []),
])
def test_an_id_reaching_the_end_of_a_cut_value_is_not_taken(text, kind, whole, cut):
    assert ids_in(text, kind) == whole
    assert ids_in(text, kind, cut=True) == cut
