"""IPTC IIM: Keywords (2:25) and Caption-Abstract (2:120), from JPEG APP13 and TIFF tag 33723."""
from __future__ import annotations

import pytest
from photofiles import ID, ID2, PAGE_URL, app, app13, dataset, ids, iim, jpeg, tiff, write

from flickr_replace_plugin import resolve_photo_id
from flickr_replace_plugin.sources import iptc
from flickr_replace_plugin.sources.iptc import iim_datasets


def test_keywords_in_jpeg_app13(tmp_path) -> None:
    path = write(tmp_path, "a.jpg", jpeg(segments=(app13(iim(("holiday", f"flickr:id={ID}"))),)))
    assert ids(iptc.find_photo_id(path, {})) == [(ID, "iptc", "Keywords")]


def test_caption_in_tiff_tag_33723(tmp_path) -> None:
    path = write(tmp_path, "a.tif", tiff(iptc=iim(caption=f"By the sea.\nFlickr URL: {PAGE_URL}")))
    assert ids(iptc.find_photo_id(path, {})) == [(ID, "iptc", "Caption-Abstract")]


def test_latin1_caption_without_charset(tmp_path) -> None:
    caption = f"Caf\xe9 au bord de l'eau, {PAGE_URL}".encode("latin-1")
    block = dataset(2, 0, b"\x00\x04") + dataset(2, 120, caption)
    path = write(tmp_path, "a.jpg", jpeg(segments=(app13(block),)))
    assert [c.photo_id for c in iptc.find_photo_id(path, {})] == [ID]


def test_extended_length_dataset() -> None:
    caption = ("x" * 40000 + f" {PAGE_URL}").encode()
    block = b"\x1c\x02\x78\x80\x04" + len(caption).to_bytes(4, "big") + caption
    assert iim_datasets(block) == [((2, 120), caption)]


def test_padding_after_the_last_dataset_is_fine() -> None:
    datasets = iim_datasets(iim((f"flickr:id={ID}",), utf8=False) + b"\x00\x00\x00")
    assert datasets[-1] == ((2, 25), f"flickr:id={ID}".encode())


@pytest.mark.parametrize(
    "block",
    [
        iim((f"flickr:id={ID}",))[:-3],  # the last keyword cut short: flickr:id=5169665 is another photo
        iim((f"flickr:id={ID}",)) + b"junk",
        b"\x1c\x02\x19\x00",
        b"\x1c\x02\x78\x80\x09" + b"\x00" * 9,
    ],
)
def test_damaged_stream_gives_nothing(tmp_path, block: bytes) -> None:
    assert iim_datasets(block) is None
    resolution = resolve_photo_id(write(tmp_path, "a.jpg", jpeg(segments=(app13(block),))))
    assert resolution.photo_id is None and any("IPTC block is damaged" in n for n in resolution.notes)


def test_keywords_and_caption_that_disagree_are_both_offered(tmp_path) -> None:
    block = iim((f"flickr:photo_id={ID2}",), caption=PAGE_URL)
    path = write(tmp_path, "a.jpg", jpeg(segments=(app13(block),)))
    assert sorted(ids(iptc.find_photo_id(path, {}))) == [(ID, "iptc", "Caption-Abstract"), (ID2, "iptc", "Keywords")]


@pytest.mark.parametrize("resources", [b"8BIM", b"8BIM\x04\x04\xff", b"8BIM\x04\x04\x00\x00\xff\xff\xff\xff",
                                       b"garbage" * 9])
def test_garbage_photoshop_resources(tmp_path, resources: bytes) -> None:
    path = write(tmp_path, "a.jpg", jpeg(segments=(app(0xED, b"Photoshop 3.0\x00" + resources),)))
    assert iptc.find_photo_id(path, {}) is None
