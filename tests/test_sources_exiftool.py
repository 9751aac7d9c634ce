"""Files written by a real third-party writer (exiftool) the way users' tools write them."""
from __future__ import annotations

import json

import pytest
from photofiles import (ID, ID2, PAGE_URL, SHORT2, builtin_plugins, exif, exiftool, heif, jpeg, png, subject_xmp, tiff,
                        webp, write)

from flickr_replace_plugin import resolve_photo_id

PLUGINS = builtin_plugins()


def resolve(path: str, **kwargs):
    return resolve_photo_id(path, plugins=PLUGINS, **kwargs)


def sources(resolution) -> set[str]:
    return {c.source for c in resolution.candidates}


@pytest.mark.parametrize("keyword", [f"flickr:id={ID}", f"flickr:photo_id={ID}"])
def test_photini_keywords_in_xmp_iptc_and_xpkeywords(tmp_path, keyword: str) -> None:
    path = write(tmp_path, "IMG_0001.jpg", jpeg())
    exiftool("-q", "-overwrite_original", "-XMP-dc:Subject+=holiday", f"-XMP-dc:Subject+={keyword}",
             "-IPTC:Keywords+=holiday", f"-IPTC:Keywords+={keyword}", f"-XPKeywords=holiday;{keyword}", path)
    resolution = resolve(path)
    assert (resolution.photo_id, resolution.source, resolution.error) == (ID, "xmp", None)
    assert sources(resolution) == {"xmp", "exif", "iptc"}


def test_photini_sidecar_name_ext_xmp(tmp_path) -> None:
    path = write(tmp_path, "IMG_0001.jpg", jpeg())
    exiftool("-q", f"-XMP-dc:Subject=flickr:id={ID}", "-o", str(tmp_path / "IMG_0001.jpg.xmp"))
    assert (resolve(path).photo_id, resolve(path).source) == (ID, "sidecar:IMG_0001.jpg.xmp")


def test_darktable_export_with_the_raws_sidecar(tmp_path) -> None:
    raw = write(tmp_path, "IMG_1234.CR2", b"II*\x00\x08\x00\x00\x00\x00\x00")  # stands in for the raw
    exiftool("-q", "-XMP-dc:Subject=beach", f"-XMP-dc:Subject+=flickr:id={ID}",
             "-XMP-lr:HierarchicalSubject=places|beach", "-o", raw + ".xmp")
    export = write(tmp_path, "IMG_1234.jpg", jpeg())  # darktable exported it without metadata
    assert resolve(export).error is not None
    resolution = resolve(export, metadata={"original": raw})
    assert (resolution.photo_id, resolution.source) == (ID, "sidecar:IMG_1234.CR2.xmp")
    assert resolution.candidates[0].detail == "dc:subject of original IMG_1234.CR2"


def test_lightroom_sidecar_name_xmp(tmp_path) -> None:
    path = write(tmp_path, "DSC_0026.jpg", jpeg())
    exiftool("-q", "-XMP-lr:HierarchicalSubject=places|harbour", f"-XMP-lr:HierarchicalSubject+=flickr|photo_id|{ID}",
             "-o", str(tmp_path / "DSC_0026.xmp"))
    assert (resolve(path).photo_id, resolve(path).source) == (ID, "sidecar:DSC_0026.xmp")


def test_flickr2any_description_caption_and_sidecar(tmp_path) -> None:
    line = f"A quiet morning.\nFlickr URL: {PAGE_URL}"
    path = write(tmp_path, "A quiet morning.jpg", jpeg())
    exiftool("-q", "-overwrite_original", f"-EXIF:ImageDescription={line}", f"-IPTC:Caption-Abstract={line}",
             f"-XMP-dc:Description={line}", path)
    exiftool("-q", f"-XMP-dc:Description={line}", "-o", path + ".xmp")
    resolution = resolve(path)
    assert (resolution.photo_id, resolution.source) == (ID, "sidecar:A quiet morning.jpg.xmp")
    assert {(c.source, c.detail) for c in resolution.candidates} == {
        ("sidecar:A quiet morning.jpg.xmp", "dc:description"), ("xmp", "dc:description"),
        ("exif", "ImageDescription"), ("iptc", "Caption-Abstract")}


def test_exiftool_user_comment(tmp_path) -> None:
    path = write(tmp_path, "a.jpg", jpeg())
    exiftool("-q", "-overwrite_original", f"-UserComment=see https://flic.kr/p/{SHORT2}", path)
    assert (resolve(path).photo_id, resolve(path).source) == (ID2, "exif")


@pytest.mark.parametrize(("name", "make"), [("a.png", png), ("a.webp", webp), ("a.tif", tiff)])
def test_exiftool_writes_other_containers(tmp_path, name: str, make) -> None:
    path = write(tmp_path, name, make())
    args = [f"-XMP-dc:Subject=flickr:id={ID}", f"-EXIF:ImageDescription=Flickr URL: {PAGE_URL}"]
    args += [f"-IPTC:Keywords=flickr:id={ID}"] if name.endswith(".tif") else []
    exiftool("-q", "-overwrite_original", *args, path)
    resolution = resolve(path)
    assert (resolution.photo_id, resolution.error) == (ID, None)
    assert sources(resolution) == ({"xmp", "exif", "iptc"} if name.endswith(".tif") else {"xmp", "exif"})


def test_conflict_between_tools_is_refused(tmp_path) -> None:
    path = write(tmp_path, "a.jpg", jpeg())
    exiftool("-q", "-overwrite_original", f"-XMP-dc:Subject=flickr:id={ID}", f"-IPTC:Keywords=flickr:id={ID2}", path)
    resolution = resolve(path)
    assert resolution.photo_id is None
    assert f"xmp (dc:subject) says {ID}" in resolution.error.message
    assert f"iptc (Keywords) says {ID2}" in resolution.error.message


def test_hand_built_files_read_the_same_in_exiftool(tmp_path) -> None:
    """Our assembled HEIF and Pillow's files are real: exiftool reads the same values from them."""
    xmp = subject_xmp(f"flickr:id={ID}")
    paths = [write(tmp_path, "a.heic", heif(exif(PAGE_URL).tobytes()[6:], xmp)),
             write(tmp_path, "a.webp", webp(exif(PAGE_URL), xmp)),
             write(tmp_path, "a.png", png(exif(PAGE_URL), xmp, True))]
    for entry in json.loads(exiftool("-j", "-XMP-dc:Subject", "-ImageDescription", *paths)):
        assert (str(entry["Subject"]), entry["ImageDescription"]) == (f"flickr:id={ID}", PAGE_URL)
    for path in paths:
        assert resolve(path).photo_id == ID
