"""What a file says about its photo, read from real files: exiftool's and every container we read."""
from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image
from photofiles import (app13, bag, dataset, exif, exiftool, heif, iim, jpeg, png, tiff, tiff_structure, webp,
                        write, xmp_packet)

from flickr_replace_plugin.link.upload import upload_fields
from flickr_replace_plugin.metadata.read import FileMetadata, read_fields

SAMPLE = Path(__file__).parent.parent / "flickr_replace_plugin" / "data" / "sample.jpg"
_XMP_NS = ('xmlns:exif="http://ns.adobe.com/exif/1.0/" '
           'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" ')


def real_jpeg(tmp_path: Path, *exiftool_args: str) -> str:
    """A copy of a real camera-made JPEG with metadata written into it by exiftool."""
    path = tmp_path / "IMG_4201.jpg"
    shutil.copyfile(SAMPLE, path)
    if exiftool_args:
        exiftool("-q", "-overwrite_original", *exiftool_args, str(path))
    return str(path)


def exiftool_says(path: str) -> dict:
    return json.loads(exiftool("-j", "-n", "-XMP:Title", "-GPSLatitude", "-GPSLongitude", path))[0]


def test_exiftool_written_jpeg_non_ascii_south_west_hierarchies_and_ids_left_out(tmp_path) -> None:
    path = real_jpeg(
        tmp_path, "-codedcharacterset=UTF8", "-charset", "iptc=UTF8",
        "-XMP-dc:Title=Ñandú bei Zürich", "-XMP-dc:Description=Am See, 東京 nicht",
        "-XMP-dc:Subject=Ñandú", "-XMP-dc:Subject=東京", "-XMP-dc:Subject=darktable|format|jpg",
        "-XMP-dc:Subject=flickr:photo_id=5169665786", "-XMP-dc:Subject=flickr:id=5169665786",
        "-XMP-lr:HierarchicalSubject=places|Europe|Zürich", "-XMP-lr:HierarchicalSubject=darktable|exported",
        "-XMP-lr:HierarchicalSubject=flickr|photo_id|5169665786",
        "-IPTC:Keywords=New York", "-IPTC:Keywords=ñandú", "-XPKeywords=Straße;Москва",
        "-DateTimeOriginal=2021:03:04 05:06:07", "-GPSLatitude=33.8688", "-GPSLatitudeRef=S",
        "-GPSLongitude=70.6693", "-GPSLongitudeRef=W")
    found = read_fields(path)
    assert found.title == "Ñandú bei Zürich" and found.description == "Am See, 東京 nicht"
    # file order, one spelling per Flickr tag ("ñandú" is "Ñandú"), leaves of hierarchies, no ids, no darktable|
    assert found.tags == ["Ñandú", "東京", "Zürich", "New York", "Straße", "Москва"]
    assert found.date_taken == "2021-03-04 05:06:07"
    theirs = exiftool_says(path)
    assert theirs["Title"] == found.title
    assert found.location == pytest.approx((theirs["GPSLatitude"], theirs["GPSLongitude"]), abs=1e-6)
    assert found.location[0] < 0 and found.location[1] < 0


@pytest.mark.parametrize("charset", [["-codedcharacterset=UTF8", "-charset", "iptc=UTF8"], ["-charset", "iptc=Latin"]],
                         ids=["utf8-declared", "latin1"])
def test_iptc_only_with_and_without_the_utf8_character_set(tmp_path, charset: list[str]) -> None:
    path = real_jpeg(tmp_path, *charset, "-IPTC:ObjectName=Zürich Hbf", "-IPTC:Caption-Abstract=Café crème",
                     "-IPTC:Keywords=Zürich", "-IPTC:Keywords=gare")
    found = read_fields(path)
    assert (found.title, found.description, found.tags) == ("Zürich Hbf", "Café crème", ["Zürich", "gare"])


def test_exif_image_description_in_utf8_from_exiftool(tmp_path) -> None:
    path = real_jpeg(tmp_path, "-EXIF:ImageDescription=Praia à noite, 東京")
    assert read_fields(path).description == "Praia à noite, 東京"


def test_latin1_iim_bytes_without_a_declaration_and_utf8_with_one(tmp_path) -> None:
    latin = dataset(2, 5, "Zürich".encode("latin-1")) + dataset(2, 25, "Genève".encode("latin-1"))
    path = write(tmp_path, "latin.jpg", jpeg(segments=(app13(latin),)))
    assert (read_fields(path).title, read_fields(path).tags) == ("Zürich", ["Genève"])
    declared = iim(keywords=("東京", "Ñandú"), caption="東京の夜")
    found = read_fields(write(tmp_path, "utf8.jpg", jpeg(segments=(app13(declared),))))
    assert (found.description, found.tags) == ("東京の夜", ["東京", "Ñandú"])


def full_xmp() -> bytes:
    return xmp_packet(
        bag("dc:title", "Astronaut portrait", container="Alt")
        + bag("dc:description", "Re-edited, warmer", container="Alt")
        + bag("dc:subject", "portrait", "space")
        + bag("lr:hierarchicalSubject", "people|astronaut"),
        _XMP_NS + 'photoshop:DateCreated="2019-07-04T12:34:56+02:00" '
        'exif:GPSLatitude="51,30.123N" exif:GPSLongitude="0,7.5W"')


XMP_SAYS = FileMetadata("Astronaut portrait", "Re-edited, warmer", ["portrait", "space", "astronaut"],
                        "2019-07-04 12:34:56", (51 + 30.123 / 60, -7.5 / 60))


@pytest.mark.parametrize("make, name", [
    (lambda x: jpeg(xmp=x), "a.jpg"), (lambda x: png(xmp=x), "a.png"), (lambda x: png(xmp=x, compressed=True), "z.png"),
    (lambda x: webp(xmp=x), "a.webp"), (lambda x: tiff(xmp=x), "a.tif"), (lambda x: heif(xmp=x), "a.heic"),
])
def test_xmp_in_every_container_gives_every_field(tmp_path, make, name: str) -> None:
    found = read_fields(write(tmp_path, name, make(full_xmp())))
    assert found.location == pytest.approx(XMP_SAYS.location)
    assert found == FileMetadata(**{**vars(XMP_SAYS), "location": found.location})


def gps_exif(lat: tuple[int, int, float], lat_ref: str, lon: tuple[int, int, float], lon_ref: str,
             **text) -> Image.Exif:
    data = exif(**text)
    data.get_ifd(0x8769)[0x9003] = "2020:02:29 23:59:58"
    gps = data.get_ifd(0x8825)
    gps.update({1: lat_ref, 2: tuple(Fraction(str(v)) for v in lat), 3: lon_ref,
                4: tuple(Fraction(str(v)) for v in lon)})
    return data


@pytest.mark.parametrize("make, name", [
    (lambda e: jpeg(exif_data=e), "g.jpg"), (lambda e: png(exif_data=e), "g.png"),
    (lambda e: webp(exif_data=e), "g.webp"),
    (lambda e: heif(exif_tiff=e.tobytes()), "g.heic"),
])
def test_exif_gps_date_xpkeywords_and_description_in_every_container(tmp_path, make, name: str) -> None:
    data = gps_exif((22, 54, 30.5), "S", (43, 12, 0), "W", description="Praia a noite", xp_keywords="praia; Rio ;")
    found = read_fields(write(tmp_path, name, make(data)))
    assert (found.description, found.tags) == ("Praia a noite", ["praia", "Rio"])
    assert found.date_taken == "2020-02-29 23:59:58"
    assert found.location == pytest.approx((-(22 + 54 / 60 + 30.5 / 3600), -(43 + 12 / 60)))
    assert found.title is None


def test_big_endian_tiff_gps_ifd_written_by_exiftool(tmp_path) -> None:
    path = write(tmp_path, "paris.tif", tiff_structure([], order=">"))
    exiftool("-q", "-overwrite_original", "-GPSLatitude=48.856613", "-GPSLatitudeRef=N",
             "-GPSLongitude=2.352222", "-GPSLongitudeRef=E", path)
    assert Path(path).read_bytes()[:2] == b"MM"
    assert read_fields(path).location == pytest.approx((48.856613, 2.352222), abs=1e-6)


def test_xmp_first_then_iptc_then_exif_and_a_flickr_url_is_no_description(tmp_path) -> None:
    url_only = xmp_packet(bag("dc:description", "https://www.flickr.com/photos/someone/5169665786/", container="Alt"))
    caption = iim(caption="Flickr URL: https://flic.kr/p/8SPTwJ")
    path = write(tmp_path, "ids.jpg", jpeg(exif(description="Old harbour at dawn"), url_only, (app13(caption),)))
    assert read_fields(path).description == "Old harbour at dawn"
    only_ids = write(tmp_path, "only.jpg", jpeg(exif(description="https://flic.kr/p/8SPTwJ"), url_only))
    assert read_fields(only_ids).description is None
    both = iim(keywords=("iptc-only",)) + dataset(2, 5, "IPTC title")
    xmp = xmp_packet(bag("dc:title", "XMP title", container="Alt") + bag("dc:subject", "xmp-only"))
    found = read_fields(write(tmp_path, "both.jpg", jpeg(xmp=xmp, segments=(app13(both),))))
    assert (found.title, found.tags) == ("XMP title", ["xmp-only", "iptc-only"])


def test_a_file_without_metadata_says_nothing(tmp_path) -> None:
    found = read_fields(write(tmp_path, "bare.png", png()))
    assert found == FileMetadata() and not found.says_anything()


@pytest.mark.parametrize("stamp, expected", [
    ("2019-07-04T12:34:56-07:00", "2019-07-04 12:34:56"),  # the local time as written: no zone conversion
    ("2019-07-04T12:34", "2019-07-04 12:34:00"),
    ("2019-07-04", None),  # a day without a time of day does not say when
    ("July 4th", None),
])
def test_xmp_dates_are_local_time_and_need_a_time_of_day(tmp_path, stamp: str, expected: str | None) -> None:
    xmp = xmp_packet(attributes=_XMP_NS + f'exif:DateTimeOriginal="{stamp}"')
    assert read_fields(write(tmp_path, "d.jpg", jpeg(xmp=xmp))).date_taken == expected


def test_exif_date_wins_and_an_unknown_exif_date_is_none(tmp_path) -> None:
    data = exif()
    data.get_ifd(0x8769)[0x9003] = "0000:00:00 00:00:00"
    xmp = xmp_packet(attributes=_XMP_NS + 'photoshop:DateCreated="2001-02-03T04:05:06"')
    assert read_fields(write(tmp_path, "u.jpg", jpeg(data, xmp))).date_taken == "2001-02-03 04:05:06"
    assert read_fields(write(tmp_path, "n.jpg", jpeg(data))).date_taken is None


def test_broken_parts_give_none_and_the_rest_is_still_read(tmp_path) -> None:
    broken_xmp = b"<x:xmpmeta><rdf:RDF><unclosed>"
    damaged_iim = dataset(2, 5, "Title") + b"\x1c\x02\x19\xff\xff"  # a keyword whose length runs past the end
    data = gps_exif((95, 0, 0), "N", (10, 0, 0), "Q")  # 95° is no latitude, Q no reference
    path = write(tmp_path, "broken.jpg", jpeg(data, broken_xmp, (app13(damaged_iim),)))
    found = read_fields(path)
    assert (found.title, found.tags, found.location, found.date_taken) == (None, None, None, "2020-02-29 23:59:58")
    cut = write(tmp_path, "cut.jpg", Path(path).read_bytes()[:40])
    assert read_fields(cut) == FileMetadata()
    assert read_fields(tmp_path / "missing.jpg") == FileMetadata()


def test_uploads_take_their_fields_from_the_same_reader(tmp_path) -> None:
    path = real_jpeg(tmp_path, "-XMP-dc:Title=東京 at night", "-XMP-dc:Subject=New York",
                     "-XMP-dc:Subject=darktable|changed", "-XMP-dc:Subject=flickr:photo_id=1")
    fields = upload_fields(path, "private")
    assert (fields["title"], fields["tags"]) == ("東京 at night", '"New York"')
    assert upload_fields(real_jpeg(tmp_path), "private")["title"] == "IMG_4201"
