"""File names: Flickr downloads and Flickr's account data export; camera names are never ids."""
from __future__ import annotations

import pytest
from photofiles import ids

from flickr_replace_plugin.sources import filename
from flickr_replace_plugin.sources.filename import id_from_name


@pytest.mark.parametrize(
    ("name", "photo_id"),
    [
        ("5169665786_9d32d647f1.jpg", "5169665786"),
        ("5169665786_9d32d647f1_b.jpg", "5169665786"),
        ("53208249252_9d32d647f1_3k.jpg", "53208249252"),
        ("301545781_9d32d647f1_o_d.jpg", "301545781"),
        ("301545781_9d32d647f1_d.JPG", "301545781"),
        ("5169665786_9d32d647f1_o.png", "5169665786"),
        ("20180830_kindjesphotoshoot---001_43536291795_o.jpg", "43536291795"),
        ("050602-136_3977224776_o.jpg", "3977224776"),
        ("IMG_0001_2345678_o.jpg", "2345678"),  # an old photo: 8 or fewer digits
        ("3977224776_o.jpg", "3977224776"),
    ],
)
def test_flickr_names(name: str, photo_id: str) -> None:
    assert id_from_name(name) == photo_id


@pytest.mark.parametrize(
    "name",
    ["IMG_20240101_123456.jpg", "DSC_0026.jpg", "20240101_123456.jpg", "PXL_20231224_101010123.jpg",
     "5169665786.jpg", "5169665786_9d32d647f.jpg", "5169665786_9d32d647f1_x.jpg", "5169665786_9d32d647fz.jpg",
     "5169665786_9d32d647f1_b_01.jpg", "photo_5169665786.jpg", "5169665786_o", "0123_o.jpg",
     f"{'1' * 21}_9d32d647f1.jpg", "5169665786_9d32d647f1.jpg.xmp.bak "],
)
def test_not_ids(name: str) -> None:
    assert id_from_name(name) is None


def test_source_reads_the_name_of_the_export_and_of_its_original() -> None:
    metadata = {"original": "/photos/raw/5169665786_9d32d647f1_o.jpg"}
    assert ids(filename.find_photo_id("/out/IMG_0001.jpg", metadata)) == [
        ("5169665786", "filename", "original 5169665786_9d32d647f1_o.jpg")
    ]
    assert filename.find_photo_id("/out/IMG_0001.jpg", {}) is None
