"""Read the XMP properties that can carry a photo id, whether embedded or in a sidecar.

XMP is untrusted XML from any tool that ever touched the file, so it is parsed with defusedxml
and DTDs refused outright: no entity bombs, no external entities, no network.
"""
from __future__ import annotations

from typing import Container, Iterator, Literal


RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_DC = "http://purl.org/dc/elements/1.1/"
_LR = "http://ns.adobe.com/lightroom/1.0/"
_XMP = "http://ns.adobe.com/xap/1.0/"

# How a field carries ids: machine-tag keywords, a Lightroom hierarchy, or free text with URLs.
Kind = Literal["keyword", "hierarchical", "text"]

# Clark name -> (the name users know, how its values carry an id)
FIELDS: dict[str, tuple[str, Kind]] = {
    f"{{{_DC}}}subject": ("dc:subject", "keyword"),
    f"{{{_LR}}}hierarchicalSubject": ("lr:hierarchicalSubject", "hierarchical"),
    f"{{{_DC}}}source": ("dc:source", "text"),
    f"{{{_DC}}}identifier": ("dc:identifier", "text"),
    f"{{{_DC}}}relation": ("dc:relation", "text"),
    f"{{{_DC}}}description": ("dc:description", "text"),
    f"{{{_XMP}}}Identifier": ("xmp:Identifier", "text"),
}
_DESCRIPTION = f"{{{RDF}}}Description"
_CONTAINERS = {f"{{{RDF}}}{name}" for name in ("Bag", "Seq", "Alt")}
_LI = f"{{{RDF}}}li"


class XMPError(ValueError):
    """The packet is not XMP we can read (malformed, or it declares a DTD)."""


# What a new upload's title, description and tags are read from (dc:title is a language Alt).
DESCRIBING = {f"{{{_DC}}}title": "dc:title", f"{{{_DC}}}description": "dc:description",
              f"{{{_DC}}}subject": "dc:subject"}


def xmp_fields(packet: bytes) -> Iterator[tuple[str, Kind, str]]:
    """Yield (field, kind, value) for every id-carrying property, in attribute or element form."""
    for clark, value in xmp_properties(packet, FIELDS):
        yield (*FIELDS[clark], value)


def xmp_properties(packet: bytes, wanted: Container[str]) -> Iterator[tuple[str, str]]:
    """Yield (Clark name, value) for the properties named in `wanted`, in attribute or element form."""
    for description in _parse(packet).iter(_DESCRIPTION):
        for clark, value in description.attrib.items():
            if clark in wanted:
                yield clark, value
        for prop in description:
            if prop.tag in wanted:
                yield from ((prop.tag, value) for value in _values(prop))


def _values(prop) -> Iterator[str]:
    containers = [child for child in prop if child.tag in _CONTAINERS]
    if not containers:
        yield prop.text or ""
    for container in containers:
        yield from ((li.text or "") for li in container if li.tag == _LI)


def _parse(packet: bytes):
    # Imported here: defusedxml costs import time that files without XMP never need to pay.
    from xml.etree.ElementTree import ParseError

    from defusedxml import DTDForbidden, DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
    from defusedxml.ElementTree import ParseError as DefusedParseError, fromstring

    try:
        return fromstring(_trim(packet), forbid_dtd=True)
    except DTDForbidden:
        raise XMPError("it declares a DTD, which is refused (a DTD can hide entity bombs: save the "
                       "metadata again from your photo tool without one)") from None
    except (EntitiesForbidden, ExternalReferenceForbidden):
        raise XMPError("it declares entities or external references, which are refused (save the "
                       "metadata again from your photo tool)") from None
    except (ParseError, DefusedParseError) as exc:  # defusedxml 0.7.0 raised its own copy of the class
        line = getattr(exc, "position", (None,))[0]
        raise XMPError(f"it is not well-formed XML{f' (line {line})' if line else ''}") from None
    except (DefusedXmlException, ValueError) as exc:
        raise XMPError(f"it could not be parsed ({type(exc).__name__})") from None


def _trim(packet: bytes) -> bytes:
    """Drop padding and junk around the packet (writers reserve space; some leave a NUL)."""
    packet = packet.strip(b"\x00 \t\r\n")
    end = packet.rfind(b">")
    return packet[: end + 1] if end >= 0 else packet
