"""formats/whole.py: a file cut anywhere is not whole; the whole file, padded or not, is."""
from __future__ import annotations

import io

import pillow_heif
import pytest

from flickr_replace_plugin.formats.whole import is_whole, why_not_whole
from photofiles import app
from pictures import encode, photo
from test_raw import RAWS

pillow_heif.register_heif_opener()
IMAGE = photo("astronaut").resize((160, 120))
THUMBNAIL = encode(IMAGE.resize((40, 30)))  # an EXIF thumbnail: a whole JPEG, EOI and all, inside APP1
PLAIN = encode(IMAGE)
FILES = {
    "JPEG": PLAIN,
    "JPEG, progressive": encode(IMAGE, progressive=True),
    "JPEG, EXIF thumbnail": PLAIN[:2] + app(0xE1, b"Exif\x00\x00" + THUMBNAIL) + PLAIN[2:],
    "JPEG, gain map after it": PLAIN + encode(IMAGE.resize((80, 60)).convert("L")),
    "PNG": encode(IMAGE, "PNG"),
    "GIF": encode(IMAGE, "GIF"),
    "TIFF": encode(IMAGE, "TIFF"),
    "TIFF, LZW, big-endian": encode(IMAGE, "TIFF", compression="tiff_lzw", big_endian=True),
    "BigTIFF": encode(IMAGE, "TIFF", big_tiff=True),
    "WebP": encode(IMAGE, "WEBP"),
    "HEIF": encode(IMAGE, "HEIF"),
}


@pytest.mark.parametrize("name", FILES)
def test_a_whole_file_is_whole_padded_or_not(name):
    data = FILES[name]
    assert why_not_whole(io.BytesIO(data)) is None
    assert is_whole(io.BytesIO(data + b"\x00" * 512))  # writers that pad after the end


@pytest.mark.parametrize("name", FILES)
def test_a_file_cut_anywhere_is_not_whole(name):
    data = FILES[name]
    step = max(1, len(data) // 400)
    whole_when_cut = [cut for cut in range(0, len(data), step) if is_whole(io.BytesIO(data[:cut]))]
    assert not whole_when_cut
    why = why_not_whole(io.BytesIO(data[: len(data) * 2 // 3]))
    assert why is not None and ("past the end" in why or "no end marker" in why), why


def test_a_jpeg_cut_right_after_its_exif_thumbnail_is_not_whole():
    data = FILES["JPEG, EXIF thumbnail"]
    cut = data.index(THUMBNAIL) + len(THUMBNAIL)  # the file now ends in a thumbnail's EOI
    assert data[:cut].endswith(b"\xff\xd9") and not is_whole(io.BytesIO(data[:cut]))


def test_a_path_is_read_too_and_raws_and_unknown_files_are_left_to_the_replace(tmp_path):
    path = tmp_path / "a.png"
    path.write_bytes(FILES["PNG"][:-12])  # no IEND
    assert why_not_whole(path) is not None and not is_whole(str(path))
    assert why_not_whole(io.BytesIO(b"")) == "only 0 bytes so far"
    assert is_whole(io.BytesIO(RAWS["NEF"])) and is_whole(io.BytesIO(b"not an image at all, but long enough"))
