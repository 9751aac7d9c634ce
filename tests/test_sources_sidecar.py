"""Sidecars: NAME.EXT.xmp, NAME.xmp in their case variants, and the plugin's own NAME.EXT.flickr.yaml/json."""
from __future__ import annotations

import os

import pytest
from photofiles import ID, ID2, PAGE_URL, bag, ids, jpeg, subject_xmp, write, xmp_packet

from flickr_replace_plugin import resolve_photo_id
from flickr_replace_plugin.photoid.record import record_photo_id
from flickr_replace_plugin.sources import sidecar
from flickr_replace_plugin.sources.sidecar import sidecars

DARKTABLE = xmp_packet(bag("dc:subject", "beach", f"flickr:id={ID}") + bag("lr:hierarchicalSubject", "places|beach"))
LIGHTROOM = xmp_packet(bag("lr:hierarchicalSubject", "places|beach", f"flickr|photo_id|{ID}"))


@pytest.fixture
def photo(tmp_path) -> str:
    return write(tmp_path, "IMG_1234.JPG", jpeg())


@pytest.mark.parametrize(
    ("name", "packet", "field"),
    [
        ("IMG_1234.JPG.xmp", DARKTABLE, "dc:subject"),
        ("IMG_1234.JPG.XMP", DARKTABLE, "dc:subject"),
        ("IMG_1234.jpg.xmp", DARKTABLE, "dc:subject"),
        ("IMG_1234.xmp", LIGHTROOM, "lr:hierarchicalSubject"),
        ("IMG_1234.XMP", LIGHTROOM, "lr:hierarchicalSubject"),
    ],
)
def test_xmp_sidecars_and_their_case_variants(tmp_path, photo: str, name: str, packet: bytes, field: str) -> None:
    write(tmp_path, name, packet)
    assert ids(sidecar.find_photo_id(photo, {})) == [(ID, f"sidecar:{name}", field)]


def test_order_is_darktable_lightroom_own(tmp_path, photo: str) -> None:
    for name in ("IMG_1234.JPG.flickr.json", "IMG_1234.xmp", "IMG_1234.JPG.flickr.yaml", "IMG_1234.JPG.xmp"):
        write(tmp_path, name, DARKTABLE if name.endswith("xmp") else b'{"photo_id": "%s"}' % ID.encode())
    assert [os.path.basename(p) for p in sidecars(photo)] == [
        "IMG_1234.JPG.xmp", "IMG_1234.xmp", "IMG_1234.JPG.flickr.yaml", "IMG_1234.JPG.flickr.json"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("IMG_1234.JPG.flickr.yaml", f'photo_id: "{ID}"\n'),
        ("IMG_1234.JPG.flickr.yaml", f"photo_id: {ID}\nnote: replaced from the darktable export\n"),
        ("IMG_1234.JPG.flickr.json", f'{{"photo_id": "{ID}"}}'),
        ("IMG_1234.JPG.flickr.json", f'{{"photo_id": {ID}}}'),
    ],
)
def test_own_sidecar(tmp_path, photo: str, name: str, text: str) -> None:
    write(tmp_path, name, text.encode())
    assert ids(sidecar.find_photo_id(photo, {})) == [(ID, f"sidecar:{name}", "photo_id")]


@pytest.mark.parametrize(
    ("text", "note"),
    [
        (b"photo_id: [unclosed", "ParserError"),
        (b"- just\n- a list\n", "has no photo_id"),
        (b"\xff\xfephoto_id: 1", "not read"),
        (b"!!python/object/apply:os.system ['echo unsafe']", "ConstructorError"),
    ],
)
def test_broken_own_sidecar_is_a_note(tmp_path, photo: str, text: bytes, note: str) -> None:
    write(tmp_path, "IMG_1234.JPG.flickr.yaml", text)
    resolution = resolve_photo_id(photo)
    assert resolution.photo_id is None and any(note in n for n in resolution.notes), resolution.notes


def test_invalid_utf8_json_sidecar_is_a_note(tmp_path, photo: str) -> None:
    write(tmp_path, "IMG_1234.JPG.flickr.json", b'{"photo_id": "\xff\xfe"}')
    assert any("not read" in n for n in resolve_photo_id(photo).notes)


def test_non_digit_id_in_own_sidecar_fails_the_file(tmp_path, photo: str) -> None:
    write(tmp_path, "IMG_1234.JPG.flickr.yaml", b'photo_id: "12ab"\n')
    resolution = resolve_photo_id(photo)
    assert resolution.photo_id is None
    assert "sidecar:IMG_1234.JPG.flickr.yaml (photo_id) says '12ab'" in resolution.error.message


@pytest.mark.parametrize("name", ["IMG_1234.JPG.xmp", "IMG_1234.JPG.flickr.yaml"])
def test_sidecar_of_many_megabytes_is_not_read(tmp_path, photo: str, name: str) -> None:
    padding = b" " * (sidecar.MAX_XMP_SIDECAR + 1)
    content = subject_xmp(f"flickr:id={ID}") if name.endswith("xmp") else b"photo_id: 1\n"
    write(tmp_path, name, content + padding)
    resolution = resolve_photo_id(photo)
    assert resolution.photo_id is None and any("not read" in n for n in resolution.notes)


def test_xmp_sidecar_with_entities_is_refused(tmp_path, photo: str) -> None:
    write(tmp_path, "IMG_1234.xmp", b'<!DOCTYPE x [<!ENTITY e "flickr:id=1">]><x>&e;</x>')
    resolution = resolve_photo_id(photo)
    assert resolution.photo_id is None and any("XMP not read" in n for n in resolution.notes)


def test_sidecars_of_the_original(tmp_path) -> None:
    export = write(tmp_path, "export.jpg", jpeg())
    raw = tmp_path / "raw"
    raw.mkdir()
    write(raw, "IMG_1234.CR2.xmp", xmp_packet(f"<dc:source>{PAGE_URL}</dc:source>"))
    assert ids(sidecar.find_photo_id(export, {"original": str(raw / "IMG_1234.CR2")})) == [
        (ID, "sidecar:IMG_1234.CR2.xmp", "dc:source of original IMG_1234.CR2")]


def test_record_writes_own_sidecar_and_never_the_image(tmp_path, photo: str) -> None:
    before = open(photo, "rb").read()
    written = record_photo_id(photo, ID)
    assert written == photo + ".flickr.yaml"
    assert open(written).read() == f'photo_id: "{ID}"\n'
    assert open(photo, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == ["IMG_1234.JPG", "IMG_1234.JPG.flickr.yaml"]  # no temp file left
    resolution = resolve_photo_id(photo)
    assert (resolution.photo_id, resolution.source) == (ID, "sidecar:IMG_1234.JPG.flickr.yaml")


def test_record_replaces_an_older_id(photo: str) -> None:
    record_photo_id(photo, ID)
    record_photo_id(photo, int(ID2))
    assert resolve_photo_id(photo).photo_id == ID2


@pytest.mark.parametrize("bad", ["", "12ab", "1" * 21, " ", "\n1"])
def test_record_refuses_a_non_id(photo: str, bad: str) -> None:
    with pytest.raises(ValueError):
        record_photo_id(photo, bad + "x" if bad == "\n1" else bad)
    assert not os.path.exists(photo + ".flickr.yaml")
