"""Walking each container to its metadata blocks: JPEG, TIFF (both byte orders), PNG, WebP, HEIF."""
from __future__ import annotations

import builtins
import os
import struct
import zlib

import pytest
from photofiles import (
    ID,
    PAGE_URL,
    app,
    app13,
    exif,
    extended_xmp,
    heif,
    iim,
    jpeg,
    png,
    subject_xmp,
    tiff,
    tiff_structure,
    webp,
    write,
    xmp_packet,
)

from flickr_replace_plugin.formats import containers
from flickr_replace_plugin.formats.containers import IMAGE_DESCRIPTION, USER_COMMENT, read_embedded

XMP = subject_xmp(f"flickr:id={ID}")
DESCRIPTION = f"Flickr URL: {PAGE_URL}"


def described(embedded: containers.Embedded) -> bytes:
    assert embedded.exif is not None, embedded.problems
    return embedded.exif.values[IMAGE_DESCRIPTION]


def test_jpeg_exif_and_xmp(tmp_path) -> None:
    found = read_embedded(write(tmp_path, "a.jpg", jpeg(exif(DESCRIPTION), XMP)))
    assert found.format == "jpeg" and found.xmp == (XMP,)
    assert described(found) == DESCRIPTION.encode() + b"\x00"


def test_jpeg_app13_iptc(tmp_path) -> None:
    block = iim((f"flickr:id={ID}",), caption="x")
    found = read_embedded(write(tmp_path, "a.jpg", jpeg(segments=(app13(block),))))
    assert found.iptc == block


def test_jpeg_extended_xmp_joined_in_offset_order(tmp_path) -> None:
    main = xmp_packet(attributes='xmpNote:HasExtendedXMP="0123456789ABCDEF0123456789ABCDEF"')
    extension = xmp_packet(f"<dc:source>{PAGE_URL}</dc:source>")
    chunks = extended_xmp(extension, chunk=64)
    segments = (app(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + main), *reversed(chunks))
    found = read_embedded(write(tmp_path, "a.jpg", jpeg(segments=segments)))
    assert found.xmp == (main, extension)


def test_jpeg_incomplete_extended_xmp_is_a_problem(tmp_path) -> None:
    chunks = extended_xmp(xmp_packet(f"<dc:source>{PAGE_URL}</dc:source>"), chunk=64)
    found = read_embedded(write(tmp_path, "a.jpg", jpeg(segments=tuple(chunks[:-1]))))
    assert found.xmp == () and any("incomplete" in p for p in found.problems)


def test_jpeg_metadata_after_image_data_is_not_read(tmp_path) -> None:
    data = jpeg()
    path = write(tmp_path, "a.jpg", data[:-2] + app(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP) + data[-2:])
    assert read_embedded(path).xmp == ()


def test_tiff_little_endian_tags_700_33723_270(tmp_path) -> None:
    block = iim((f"flickr:id={ID}",))
    found = read_embedded(write(tmp_path, "a.tif", tiff(xmp=XMP, iptc=block, description=DESCRIPTION)))
    assert found.format == "tiff" and found.exif.byteorder == "<"
    assert found.xmp == (XMP,) and found.iptc == block
    assert described(found) == DESCRIPTION.encode() + b"\x00"


def test_tiff_big_endian_with_exif_sub_ifd(tmp_path) -> None:
    comment = b"ASCII\x00\x00\x00" + PAGE_URL.encode()
    data = tiff_structure([(270, 2, DESCRIPTION.encode() + b"\x00"), (700, 1, XMP)], ">",
                          exif_entries=[(37510, 7, comment)])
    found = read_embedded(write(tmp_path, "a.tif", data))
    assert found.exif.byteorder == ">" and found.xmp == (XMP,)
    assert found.exif.values[USER_COMMENT] == comment


def test_tiff_value_past_the_cap_is_skipped_not_read(tmp_path) -> None:
    data = bytearray(tiff_structure([(700, 1, XMP)], ">"))
    entry = data.index(struct.pack(">HH", 700, 1))
    data[entry + 4 : entry + 8] = struct.pack(">I", 1 << 31)  # now it claims 2 GB of XMP
    found = read_embedded(write(tmp_path, "a.tif", bytes(data)))
    assert found.xmp == () and any("more than" in p for p in found.problems)


@pytest.mark.parametrize("compressed", [False, True])
def test_png_itxt_xmp_and_exif(tmp_path, compressed: bool) -> None:
    found = read_embedded(write(tmp_path, "a.png", png(exif(DESCRIPTION), XMP, compressed=compressed)))
    assert found.format == "png" and found.xmp == (XMP,)
    assert described(found) == DESCRIPTION.encode() + b"\x00"


def _png_with_itxt(text: bytes, compressed: bool) -> bytes:
    body = b"XML:com.adobe.xmp\x00" + bytes([compressed, 0]) + b"\x00\x00" + text
    chunk = struct.pack(">I4s", len(body), b"iTXt") + body + b"\x00\x00\x00\x00"
    data = png()
    return data[:33] + chunk + data[33:]  # after the signature and IHDR


def test_png_damaged_compressed_xmp_is_a_problem(tmp_path) -> None:
    found = read_embedded(write(tmp_path, "a.png", _png_with_itxt(b"not zlib at all", True)))
    assert found.xmp == () and any("damaged" in p for p in found.problems)


def test_png_zip_bomb_stops_at_the_cap(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(containers, "MAX_BLOCK", 1 << 20)
    bomb = zlib.compress(b" " * (50 << 20), 9)  # 50 MB of spaces in ~50 kB
    found = read_embedded(write(tmp_path, "a.png", _png_with_itxt(bomb, True)))
    assert found.xmp == () and any("inflates past" in p for p in found.problems)


def test_webp_exif_and_xmp_chunks(tmp_path) -> None:
    found = read_embedded(write(tmp_path, "a.webp", webp(exif(DESCRIPTION), XMP)))
    assert found.format == "webp" and found.xmp == (XMP,)
    assert described(found) == DESCRIPTION.encode() + b"\x00"


@pytest.mark.parametrize("in_idat", [False, True])
def test_heif_exif_and_mime_xmp_items(tmp_path, in_idat: bool) -> None:
    tiff_block = exif(DESCRIPTION).tobytes()[6:]  # without the "Exif\0\0" of JPEG
    found = read_embedded(write(tmp_path, "a.heic", heif(tiff_block, XMP, in_idat=in_idat)))
    assert found.format == "heif" and found.xmp == (XMP,)
    assert described(found) == DESCRIPTION.encode() + b"\x00"


def test_heif_without_metadata_items(tmp_path) -> None:
    found = read_embedded(write(tmp_path, "a.heic", heif()))
    assert found == containers.Embedded("heif")


GARBAGE = bytes(range(256)) * 8
HEADS = {
    "jpeg": b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\xff\xff\xff\xff",
    "tiff-le": b"II*\x00\xff\xff\xff\x7f",
    "tiff-be": b"MM\x00*\x00\x00\x00\x08\xff\xff",
    "png": b"\x89PNG\r\n\x1a\n\x7f\xff\xff\xffiTXt",
    "webp": b"RIFF\xff\xff\xff\xffWEBPXMP \xff\xff\xff\x7f",
    "heif": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x01meta",
    "none": b"GIF89a",
}


@pytest.mark.parametrize("head", HEADS.values(), ids=HEADS.keys())
@pytest.mark.parametrize("tail", [b"", GARBAGE, b"\x00" * 64, b"\xff" * 64])
def test_garbage_in_every_container_never_raises(tmp_path, head: bytes, tail: bytes) -> None:
    found = read_embedded(write(tmp_path, "x.bin", head + tail))
    assert found.xmp == () and found.iptc is None


@pytest.mark.parametrize("make", [lambda: jpeg(exif(DESCRIPTION), XMP), lambda: png(exif(DESCRIPTION), XMP, True),
                                  lambda: webp(exif(DESCRIPTION), XMP), lambda: tiff(xmp=XMP),
                                  lambda: heif(exif(DESCRIPTION).tobytes()[6:], XMP)])
def test_truncation_anywhere_never_raises(tmp_path, make) -> None:
    data = make()
    for cut in range(0, len(data), 7):
        read_embedded(write(tmp_path, "t.bin", data[:cut]))


def test_only_the_metadata_segments_are_read(tmp_path, monkeypatch) -> None:
    data = jpeg(exif(DESCRIPTION), XMP)
    path = write(tmp_path, "big.jpg", data[:-2] + os.urandom(8 << 20) + data[-2:])  # 8 MB of image data
    read = []
    real_open = builtins.open

    def counting_open(*args, **kwargs):
        fh = real_open(*args, **kwargs)
        original = fh.read
        fh.read = lambda size=-1: read.append(len(chunk := original(size))) or chunk  # type: ignore[method-assign]
        return fh

    monkeypatch.setattr(containers, "open", counting_open, raising=False)
    assert read_embedded(path).xmp == (XMP,)
    assert 0 < sum(read) < 64 << 10


def test_metadata_read_from_one_file_has_a_budget(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(containers, "MAX_READ", 100 << 10)
    junk = tuple(app(0xE1, b"junk" + bytes(60 << 10)) for _ in range(5))  # 300 kB of APP1
    xmp = app(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP)
    found = read_embedded(write(tmp_path, "a.jpg", jpeg(segments=(*junk, xmp))))
    assert found.xmp == () and any("bytes of metadata" in p for p in found.problems)


def test_a_run_of_fill_bytes_ends_the_walk(tmp_path) -> None:
    found = read_embedded(write(tmp_path, "a.jpg", b"\xff\xd8" + b"\xff" * (4 << 20)))
    assert found.xmp == ()  # and quickly: fill bytes are bounded, segments skipped by seeking


def test_not_a_regular_file(tmp_path) -> None:
    fifo = tmp_path / "fifo.jpg"
    os.mkfifo(fifo)
    assert read_embedded(str(fifo)).problems == ("not a regular file",)  # and no hang
    assert read_embedded(str(tmp_path)).problems == ("not a regular file",)
    assert "cannot read" in read_embedded(str(tmp_path / "missing.jpg")).problems[0]


def test_a_changed_file_is_read_again(tmp_path) -> None:
    path = write(tmp_path, "a.jpg", jpeg(xmp=XMP))
    assert read_embedded(path).xmp == (XMP,)
    write(tmp_path, "a.jpg", jpeg())
    assert read_embedded(path).xmp == ()


def test_one_walk_per_file_within_a_resolution(tmp_path, monkeypatch) -> None:
    from flickr_replace_plugin.formats.scope import resolution_scope

    path = write(tmp_path, "a.jpg", jpeg(exif(DESCRIPTION), XMP))
    walked = []
    real_walk = containers._walk
    monkeypatch.setattr(containers, "_walk", lambda p, held=None: walked.append(p) or real_walk(p, held))
    with resolution_scope():
        assert read_embedded(path) is read_embedded(path)
    read_embedded(path)
    assert walked == [path, path]  # once inside the resolution, afresh outside it
