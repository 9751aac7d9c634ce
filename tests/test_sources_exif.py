"""EXIF: ImageDescription, UserComment in every character code, XPKeywords, both byte orders."""
from __future__ import annotations

import struct

import pytest
from photofiles import ID, ID2, PAGE_URL, SHORT, app, exif, ids, jpeg, png, tiff_structure, utf16, webp, write

from flickr_replace_plugin import resolve_photo_id
from flickr_replace_plugin.sources import exif as exif_source

FLICKR2ANY = f"A walk by the sea.\nFlickr URL: {PAGE_URL}"


@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("make", [lambda e: jpeg(e), lambda e: png(e), lambda e: webp(e)], ids=["jpeg", "png", "webp"])
def test_image_description_in_both_byte_orders(tmp_path, make, endian: str) -> None:
    path = write(tmp_path, "photo", make(exif(FLICKR2ANY, endian=endian)))
    assert ids(exif_source.find_photo_id(path, {})) == [(ID, "exif", "ImageDescription")]


@pytest.mark.parametrize(
    ("comment", "endian"),
    [
        (b"ASCII\x00\x00\x00Flickr URL: " + PAGE_URL.encode(), "<"),
        (b"UNICODE\x00" + f"https://flic.kr/p/{SHORT}".encode("utf-16-le"), "<"),
        (b"UNICODE\x00" + f"https://flic.kr/p/{SHORT}".encode("utf-16-be"), ">"),
        (b"UNICODE\x00" + f"https://flic.kr/p/{SHORT}".encode("utf-16"), ">"),  # with a BOM
        (b"\x00" * 8 + PAGE_URL.encode() + b"\x00\x00  ", "<"),
        (b"JIS\x00\x00\x00\x00\x00" + PAGE_URL.encode(), "<"),
    ],
)
def test_user_comment_in_every_character_code(tmp_path, comment: bytes, endian: str) -> None:
    path = write(tmp_path, "a.jpg", jpeg(exif(user_comment=comment, endian=endian)))
    assert ids(exif_source.find_photo_id(path, {})) == [(ID, "exif", "UserComment")]


def test_xp_keywords_longer_than_exifreads_limit(tmp_path) -> None:
    keywords = ";".join(f"keyword number {i}" for i in range(60)) + f";flickr:id={ID}"
    assert len(utf16(keywords)) > 2000  # exifread returns nothing for 1,000+ elements
    path = write(tmp_path, "a.jpg", jpeg(exif(xp_keywords=keywords)))
    assert ids(exif_source.find_photo_id(path, {})) == [(ID, "exif", "XPKeywords")]


def test_big_endian_tiff_file(tmp_path) -> None:
    data = tiff_structure([(270, 2, FLICKR2ANY.encode() + b"\x00"), (40094, 1, utf16(f"flickr:photo_id={ID}"))], ">",
                          exif_entries=[(37510, 7, b"ASCII\x00\x00\x00" + PAGE_URL.encode())])
    path = write(tmp_path, "a.tif", data)
    assert {c.detail for c in exif_source.find_photo_id(path, {})} == {"ImageDescription", "XPKeywords", "UserComment"}


def test_unterminated_text_is_not_trusted(tmp_path) -> None:
    # A damaged count that cuts ImageDescription short would cut the id short: another photo.
    data = bytearray(jpeg(exif(f"see {PAGE_URL.rstrip('/')}")))
    entry = data.index(struct.pack("<HH", 270, 2))
    (count,) = struct.unpack_from("<I", data, entry + 4)
    data[entry + 4 : entry + 8] = struct.pack("<I", count - 4)
    resolution = resolve_photo_id(write(tmp_path, "a.jpg", bytes(data)))
    assert resolution.photo_id is None
    assert any("no terminating NUL" in note for note in resolution.notes)


def test_xp_keywords_without_terminator_are_not_trusted(tmp_path) -> None:
    path = write(tmp_path, "a.jpg", jpeg(exif(xp_keywords=f"flickr:id={ID}")))
    data = bytearray(open(path, "rb").read())
    entry = data.index(struct.pack("<H", 0x9C9E))
    (count,) = struct.unpack_from("<I", data, entry + 4)
    data[entry + 4 : entry + 8] = struct.pack("<I", count - 4)
    assert exif_source.find_photo_id(write(tmp_path, "b.jpg", bytes(data)), {}) is None


def test_user_comment_without_character_code_is_not_read(tmp_path) -> None:
    path = write(tmp_path, "a.jpg", jpeg(exif(user_comment=b"GARBAGE!" + PAGE_URL.encode())))
    resolution = resolve_photo_id(path)
    assert resolution.photo_id is None and any("character code" in n for n in resolution.notes)


def test_invalid_utf8_description_still_finds_the_url(tmp_path) -> None:
    path = write(tmp_path, "a.jpg", jpeg(exif(user_comment=b"ASCII\x00\x00\x00\xff\xfe\xc3 " + PAGE_URL.encode())))
    assert [c.photo_id for c in exif_source.find_photo_id(path, {})] == [ID]


def test_exif_fields_that_disagree_are_both_offered(tmp_path) -> None:
    path = write(tmp_path, "a.jpg", jpeg(exif(FLICKR2ANY, xp_keywords=f"flickr:id={ID2}")))
    assert sorted(c.photo_id for c in exif_source.find_photo_id(path, {})) == [ID, ID2]


@pytest.mark.parametrize("block", [b"", b"MM", b"II*\x00", b"II*\x00\xff\xff\xff\xff",
                                   b"MM\x00*\x00\x00\x00\x08\xff\xff", b"XX*\x00\x08\x00\x00\x00",
                                   b"II+\x00\x08\x00\x00\x00" + bytes(range(256))])
def test_garbage_exif_block(tmp_path, block: bytes) -> None:
    path = write(tmp_path, "a.jpg", jpeg(segments=(app(0xE1, b"Exif\x00\x00" + block),)))
    assert exif_source.find_photo_id(path, {}) is None
