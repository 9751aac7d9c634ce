"""Embedded XMP: every id-carrying property in every RDF form, and XML that attacks its parser."""
from __future__ import annotations

import pytest
from photofiles import ID, ID2, PAGE_URL, SHORT, bag, heif, ids, jpeg, png, subject_xmp, tiff, webp, write, xmp_packet

from flickr_replace_plugin import resolve_photo_id
from flickr_replace_plugin.sources import xmp
from flickr_replace_plugin.formats.xmp import XMPError, xmp_fields

CONTAINERS = {
    "jpeg": lambda packet: jpeg(xmp=packet),
    "tiff": lambda packet: tiff(xmp=packet),
    "png": lambda packet: png(xmp=packet),
    "png-zip": lambda packet: png(xmp=packet, compressed=True),
    "webp": lambda packet: webp(xmp=packet),
    "heif": lambda packet: heif(xmp=packet),
}


@pytest.mark.parametrize("make", CONTAINERS.values(), ids=CONTAINERS.keys())
def test_xmp_source_in_every_container(tmp_path, make) -> None:
    path = write(tmp_path, "photo", make(subject_xmp("holiday", f"flickr:id={ID}")))
    assert ids(xmp.find_photo_id(path, {})) == [(ID, "xmp", "dc:subject")]


@pytest.mark.parametrize(
    ("body", "attributes", "field"),
    [
        (bag("dc:subject", f"flickr:photo_id={ID}"), "", "dc:subject"),
        (bag("lr:hierarchicalSubject", f"flickr|photo_id|{ID}"), "", "lr:hierarchicalSubject"),
        (f"<dc:source>{PAGE_URL}</dc:source>", "", "dc:source"),
        ("", f'dc:source="{PAGE_URL}"', "dc:source"),
        (f"<dc:identifier>https://flic.kr/p/{SHORT}</dc:identifier>", "", "dc:identifier"),
        (bag("dc:relation", "x", f"https://flic.kr/p/{SHORT}", container="Seq"), "", "dc:relation"),
        (bag("dc:description", f"Flickr URL: {PAGE_URL}", container="Alt"), "", "dc:description"),
        (bag("xmp:Identifier", PAGE_URL), "", "xmp:Identifier"),
        ("", f'xmp:Identifier="https://flic.kr/p/{SHORT}"', "xmp:Identifier"),
    ],
)
def test_every_field_and_form(body: str, attributes: str, field: str) -> None:
    from flickr_replace_plugin.photoid.fields import scan

    assert ids(scan("xmp", xmp_fields(xmp_packet(body, attributes)))) == [(ID, "xmp", field)]


def test_ids_only_in_the_fields_that_carry_them() -> None:
    from flickr_replace_plugin.photoid.fields import scan

    packet = xmp_packet(f"<dc:title>{PAGE_URL}</dc:title>" + bag("dc:subject", PAGE_URL, ID)
                        + f"<dc:source>flickr:id={ID}</dc:source>")
    assert scan("xmp", xmp_fields(packet)) == []


def test_two_ids_in_one_packet_are_both_offered(tmp_path) -> None:
    packet = subject_xmp(f"flickr:id={ID}", f"flickr:id={ID2}")
    path = write(tmp_path, "a.jpg", jpeg(xmp=packet))
    assert [c.photo_id for c in xmp.find_photo_id(path, {})] == [ID, ID2]


HOSTILE = {
    "dtd": b'<?xml version="1.0"?><!DOCTYPE x [<!ELEMENT x ANY>]><x/>',
    "billion-laughs": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                   for i in range(1, 10))
        + b']><lolz>&lol9;</lolz>'
    ),
    "external-entity": (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:source>&e;</dc:source>'
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    ),
    "external-dtd": b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><x/>',
    "parameter-entity": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p">%p;]><x/>',
    "not-xml": b"\x00\x01garbage<<<",
    "unclosed": subject_xmp(f"flickr:id={ID}")[:-60],
    "invalid-utf8": subject_xmp(f"flickr:id={ID}").replace(b"flickr:", b"fl\xff\xfeickr:"),
}


@pytest.mark.parametrize("packet", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_xml_is_refused(packet: bytes) -> None:
    with pytest.raises(XMPError):
        list(xmp_fields(packet))


@pytest.mark.parametrize("packet", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_xml_gives_no_id_and_a_note(tmp_path, packet: bytes) -> None:
    path = write(tmp_path, "a.jpg", jpeg(xmp=packet))
    resolution = resolve_photo_id(path)
    assert resolution.photo_id is None and resolution.error is not None
    assert any("XMP not read" in note for note in resolution.notes)


def test_padding_and_trailing_nul_are_tolerated(tmp_path) -> None:
    packet = subject_xmp(f"flickr:id={ID}") + b" " * 2048 + b"\x00"
    path = write(tmp_path, "a.jpg", jpeg(xmp=packet))
    assert ids(xmp.find_photo_id(path, {})) == [(ID, "xmp", "dc:subject")]
