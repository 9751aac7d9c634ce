"""exifread as a differential oracle for our EXIF reader.

exifread is unfit for the runtime reader (README: "Why not exifread"), but where it does read
ImageDescription, UserComment or a short XPKeywords, it reads them independently of our code:
for every image built the way the source tests build them — by hand, by Pillow and by exiftool,
in every container both read — the text must be the same.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import exifread  # the test extra has it: a missing oracle is a failure, not a skip

from photofiles import app, exif, exiftool, heif, jpeg, png, tiff, tiff_structure, utf16, webp, write  # noqa: E402

from flickr_replace_plugin.formats.containers import read_embedded  # noqa: E402
from flickr_replace_plugin.sources.exif import exif_fields  # noqa: E402

SHORT_XP = 200  # exifread prints a tag's raw values only up to a point: "short" XPKeywords stay under it
TEXTS = {
    "url": "see https://flic.kr/p/8SPTwJ",
    "utf8": "Café am Hafen ☕ – flickr.com/photos/someone/5169665786",
    "long": "harbour at dusk, " * 50 + "flic.kr/p/8SPTwJ",  # 866 bytes: under exifread's 1,000
}
COMMENTS = {
    "ascii": b"ASCII\x00\x00\x00https://flic.kr/p/2p4QbKN",
    "undefined": b"\x00" * 8 + b"https://flic.kr/p/2p4QbKN",
    "unicode": b"UNICODE\x00" + "Grüße flic.kr/p/2p4QbKN".encode("utf-16-le"),
}


def _built(tmp: Path) -> dict[str, str]:
    """Pillow- and hand-built files, as tests/photofiles.py makes them for the source tests."""
    files: dict[str, str] = {}
    for text_name, text in TEXTS.items():
        for comment_name, comment in COMMENTS.items():
            data = exif(description=text, xp_keywords="holiday;flickr:photo_id=5169665786",
                        user_comment=comment)
            name = f"{text_name}-{comment_name}"
            files[f"{name}.jpg"] = write(tmp, f"{name}.jpg", jpeg(data))
            files[f"{name}.png"] = write(tmp, f"{name}.png", png(data))
            files[f"{name}.webp"] = write(tmp, f"{name}.webp", webp(data))
            files[f"{name}.heic"] = write(tmp, f"{name}.heic", heif(data.tobytes()[6:]))
    big_endian = exif(description=TEXTS["url"], user_comment=COMMENTS["ascii"], endian=">")
    files["big-endian.jpg"] = write(tmp, "big-endian.jpg", jpeg(big_endian))
    files["tiff-270.tif"] = write(tmp, "tiff-270.tif", tiff(description=TEXTS["utf8"] + "\x00"))
    files["by-hand-mm.tif"] = write(tmp, "by-hand-mm.tif", tiff_structure(
        [(270, 2, TEXTS["url"].encode() + b"\x00"), (0x9C9E, 1, utf16("flickr:id=5169665786"))],
        exif_entries=[(37510, 7, COMMENTS["ascii"])]))
    icc_first = app(0xE2, b"ICC_PROFILE\x00\x01\x01" + bytes(6000))  # hides EXIF from exifread's window
    files["icc-first.jpg"] = write(tmp, "icc-first.jpg", jpeg(exif(description=TEXTS["url"]), segments=(icc_first,)))
    return files


def _by_exiftool(tmp: Path, built: dict[str, str]) -> dict[str, str]:
    """The same fields written by exiftool into a copy of each plain container."""
    files = {}
    for name in ("url-ascii.jpg", "url-ascii.png", "url-ascii.webp", "tiff-270.tif"):
        copy = tmp / f"exiftool-{name}"
        shutil.copyfile(built[name], copy)
        exiftool("-q", "-overwrite_original", f"-EXIF:ImageDescription={TEXTS['utf8']}",
                 f"-EXIF:UserComment={TEXTS['url']}", "-EXIF:XPKeywords=flickr:photo_id=53208249252",
                 str(copy))
        files[copy.name] = str(copy)
    return files


def _exifread_texts(path: str) -> dict[str, str]:
    """What exifread reads of the three fields; nothing for a file it cannot read."""
    with open(path, "rb") as fh:
        try:
            tags = exifread.process_file(fh, details=True)
        except Exception:  # exifread gives up on some containers; then it is no oracle for them
            return {}
    texts = {}
    if "Image ImageDescription" in tags:
        texts["ImageDescription"] = str(tags["Image ImageDescription"].values).rstrip("\x00")
    if "EXIF UserComment" in tags:
        texts["UserComment"] = tags["EXIF UserComment"].printable.rstrip("\x00 ")
    raw = tags.get("Image XPKeywords")
    if raw is not None and isinstance(raw.values, list) and 0 < len(raw.values) < SHORT_XP:
        texts["XPKeywords"] = bytes(raw.values).decode("utf-16-le").rstrip("\x00")
    return {name: text for name, text in texts.items() if text}


def _ours(path: str) -> dict[str, str]:
    return {name: text for name, _, text, *_ in exif_fields(read_embedded(path).exif, path)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("oracle")
    built = _built(tmp)
    files = dict(built)
    if shutil.which("exiftool"):
        files.update(_by_exiftool(tmp, built))
    return files


def test_where_exifread_reads_a_text_field_our_reader_reads_the_same_text(corpus) -> None:
    compared = 0
    for name, path in sorted(corpus.items()):
        theirs, ours = _exifread_texts(path), _ours(path)
        for field, text in theirs.items():
            assert ours.get(field) == text, f"{name}: {field}: exifread {text!r}, ours {ours.get(field)!r}"
            compared += 1
    # the oracle must actually have spoken: JPEG, TIFF, PNG and HEIF files with all three fields
    assert compared >= 3 * 9 * 3, compared


def test_the_oracle_tells_a_difference(corpus) -> None:
    """A wrong text from our side would be caught: the comparison is not vacuous."""
    path = corpus["url-ascii.jpg"]
    theirs = _exifread_texts(path)
    assert theirs["ImageDescription"] == TEXTS["url"] and theirs["UserComment"] == "https://flic.kr/p/2p4QbKN"
    assert theirs["XPKeywords"] == "holiday;flickr:photo_id=5169665786"


def test_why_exifread_is_not_the_runtime_reader(corpus, tmp_path) -> None:
    """The README's reasons, checked: what exifread misses our reader finds."""
    long_text = "x" * 1200 + " https://flic.kr/p/8SPTwJ"  # a byte field of 1,000 bytes or more
    long_file = write(tmp_path, "long.jpg", jpeg(exif(user_comment=b"ASCII\x00\x00\x00" + long_text.encode())))
    for path, field, text in ((long_file, "UserComment", long_text),
                              (corpus["icc-first.jpg"], "ImageDescription", TEXTS["url"]),  # ICC first
                              (corpus["url-ascii.webp"], "UserComment", "https://flic.kr/p/2p4QbKN")):  # WebP
        assert field not in _exifread_texts(path)
        assert _ours(path)[field] == text
    with open(corpus["url-ascii.jpg"], "rb") as fh:
        assert "EXIF UserComment" not in exifread.process_file(fh, details=False)
