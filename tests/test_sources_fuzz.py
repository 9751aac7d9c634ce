"""Property: over mutated and truncated real files, resolution never raises, never hangs, and
returns only the id that was written — a damaged byte must never name another photo.

"Never raises" is checked on each built-in source with its guard taken off: through the
resolver, the guard turns any exception into a note, so a parser that crashes on a damaged file
would pass unseen (and the id another source found would hide that this one broke).
"""
from __future__ import annotations

import importlib
import re
from datetime import timedelta

import photofiles as pf
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from photofiles import ID, PAGE_URL, SHORT

from flickr_replace_plugin import resolve_photo_id
from flickr_replace_plugin.plugins import DEFAULT_PLUGINS

PLUGINS = pf.builtin_plugins()
# each built-in source without its guard: an exception it raises reaches the test
UNGUARDED = {name.rsplit(".", 1)[-1]: importlib.import_module(name).find_photo_id.__wrapped__ for name in DEFAULT_PLUGINS}
XMP = pf.xmp_packet(f"<dc:source>https://flic.kr/p/{SHORT}</dc:source>"
                    f"<dc:subject><rdf:Bag><rdf:li>flickr:id={ID}</rdf:li></rdf:Bag></dc:subject>")
EXIF = pf.exif(f"Flickr URL: {PAGE_URL}", xp_keywords=f"holiday;flickr:id={ID}",
               user_comment=b"ASCII\x00\x00\x00" + f"{PAGE_URL} (Flickr2Any)".encode())
IIM = pf.iim(("holiday", f"flickr:id={ID}"), caption=f"Flickr URL: {PAGE_URL}")
EXTENDED = pf.xmp_packet(f"<dc:relation><rdf:Bag><rdf:li>{PAGE_URL}</rdf:li></rdf:Bag></dc:relation>")

FILES = {
    "jpeg": pf.jpeg(EXIF, XMP, segments=(pf.app13(IIM),)),
    "jpeg-extended-xmp": pf.jpeg(segments=(pf.app(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP),
                                           *pf.extended_xmp(EXTENDED))),
    "tiff": pf.tiff(xmp=XMP, iptc=IIM, description=f"Flickr URL: {PAGE_URL}"),
    "png": pf.png(EXIF, XMP, compressed=True),
    "png-plain-xmp": pf.png(EXIF, XMP),
    "webp": pf.webp(EXIF, XMP),
    "heif": pf.heif(EXIF.tobytes()[6:], XMP),
}


def protected(data: bytes) -> set[int]:
    """Positions of the written id in every encoding, with a margin: mutating a digit of the id
    itself writes another id, which is no longer the property under test."""
    spots: set[int] = set()
    for needle in (ID.encode(), ID.encode("utf-16-le"), SHORT.encode()):
        for match in re.finditer(re.escape(needle), data):
            spots.update(range(match.start() - 2, match.end() + 2))
    return spots


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("kind", FILES)
def test_the_unmutated_files_carry_the_id(folder, kind: str) -> None:
    path = folder / f"{kind}.bin"
    path.write_bytes(FILES[kind])
    resolution = resolve_photo_id(str(path), plugins=PLUGINS)
    assert (resolution.photo_id, resolution.notes) == (ID, [])


def check(path) -> None:
    """The property on one file: no source raises, and no id but the written one is offered."""
    for source in UNGUARDED.values():
        source(str(path), {})  # raises if the source's parsers do
    resolution = resolve_photo_id(str(path), plugins=PLUGINS)
    assert {c.photo_id for c in resolution.candidates} <= {ID}
    assert resolution.photo_id in (ID, None)


mutations = st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=8)
# found by this test: the HEIF's EXIF UserComment count (byte 325) damaged from 70 to 47 cut its
# photo page URL after the id's first digit, and the EXIF source offered photo 5
USER_COMMENT_COUNT_IN_HEIF = 325


@pytest.mark.parametrize("kind", FILES)
@settings(max_examples=120, deadline=timedelta(milliseconds=500),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=mutations, cut=st.one_of(st.none(), st.integers(min_value=0)))
@example(changes=[(USER_COMMENT_COUNT_IN_HEIF, 47)], cut=None)
def test_mutated_files_never_raise_and_never_name_another_photo(folder, kind: str, changes, cut) -> None:
    data = bytearray(FILES[kind])
    keep = protected(data)
    for position, value in changes:
        position %= len(data)
        if position not in keep:
            data[position] = value
    if cut is not None:
        del data[cut % len(data):]
    path = folder / f"mutated-{kind}.bin"
    path.write_bytes(bytes(data))
    check(path)


def test_the_pinned_heif_example_is_the_user_comment_count(folder) -> None:
    data = bytearray(FILES["heif"])
    assert data[USER_COMMENT_COUNT_IN_HEIF - 4 : USER_COMMENT_COUNT_IN_HEIF] == b"\x86\x92\x01\x00"  # tag 37510, BYTE
    assert data[USER_COMMENT_COUNT_IN_HEIF] == 70
    data[USER_COMMENT_COUNT_IN_HEIF] = 47
    path = folder / "damaged.heic"
    path.write_bytes(bytes(data))
    check(path)
    assert resolve_photo_id(str(path), plugins=PLUGINS).photo_id == ID  # XPKeywords and the XMP still have it


def test_a_source_that_raises_fails_the_property(folder, monkeypatch) -> None:
    """The check can fail: a parser bug (here a TypeError in the HEIF reader) is no note to it."""
    from flickr_replace_plugin.formats import containers

    def broken(*args):
        raise TypeError("a parser bug")

    monkeypatch.setattr(containers, "read_items", broken)
    path = folder / "any.heic"
    path.write_bytes(FILES["heif"])
    assert resolve_photo_id(str(path), plugins=PLUGINS).photo_id is None  # the guard hides it here
    with pytest.raises(TypeError, match="a parser bug"):
        check(path)
