"""Build real image files and metadata blocks for the photo-id source tests.

Pillow writes the images (and the EXIF/XMP it supports); what Pillow cannot write — IPTC in
APP13, extended XMP, big-endian TIFF, HEIF boxes — is assembled here byte by byte, following the
same specifications the readers implement, and checked against exiftool where it is installed.
"""
from __future__ import annotations

import io
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin, TiffImagePlugin

ID = "5169665786"  # flic.kr/p/8SPTwJ (Flickr's own example pair)
SHORT = "8SPTwJ"
ID2 = "53208249252"  # flic.kr/p/2p4QbKN
SHORT2 = "2p4QbKN"
PAGE_URL = f"https://www.flickr.com/photos/someone/{ID}/"

_NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpNote": "http://ns.adobe.com/xmp/note/",
}


def xmp_packet(body: str = "", attributes: str = "") -> bytes:
    """An XMP packet whose rdf:Description holds `body` (elements) and `attributes`."""
    declarations = " ".join(f'xmlns:{p}="{uri}"' for p, uri in _NS.items() if p not in ("x", "rdf"))
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        f'<x:xmpmeta xmlns:x="{_NS["x"]}"><rdf:RDF xmlns:rdf="{_NS["rdf"]}">'
        f'<rdf:Description rdf:about="" {declarations} {attributes}>{body}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
    ).encode("utf-8")


def bag(prop: str, *items: str, container: str = "Bag") -> str:
    lis = "".join(f"<rdf:li>{item}</rdf:li>" for item in items)
    return f"<{prop}><rdf:{container}>{lis}</rdf:{container}></{prop}>"


def subject_xmp(*keywords: str) -> bytes:
    return xmp_packet(bag("dc:subject", *keywords))


def image() -> Image.Image:
    return Image.new("RGB", (16, 12), (120, 80, 40))


def utf16(text: str) -> bytes:
    """XPKeywords as Windows and exiftool write it: UTF-16LE with a terminating NUL."""
    return (text + "\x00").encode("utf-16-le")


def exif(description: str | None = None, xp_keywords: str | None = None, user_comment: bytes | None = None,
         endian: str = "<") -> Image.Exif:
    data = Image.Exif()
    data.endian = endian
    if description is not None:
        data[0x010E] = description
    if xp_keywords is not None:
        data[0x9C9E] = utf16(xp_keywords)
    if user_comment is not None:
        data.get_ifd(0x8769)[0x9286] = user_comment
    return data


def app(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _save(kind: str, **options) -> bytes:
    out = io.BytesIO()
    image().save(out, kind, **{key: value for key, value in options.items() if value is not None})
    return out.getvalue()


def jpeg(exif_data: Image.Exif | None = None, xmp: bytes | None = None, segments: tuple[bytes, ...] = ()) -> bytes:
    """A Pillow JPEG; `segments` (whole marker segments) go right after SOI."""
    data = _save("JPEG", exif=exif_data, xmp=xmp)
    return data[:2] + b"".join(segments) + data[2:]


def dataset(record: int, number: int, value: bytes | str) -> bytes:
    value = value.encode("utf-8") if isinstance(value, str) else value
    return struct.pack(">BBBH", 0x1C, record, number, len(value)) + value


def iim(keywords: tuple[str, ...] = (), caption: str | None = None, utf8: bool = True) -> bytes:
    out = dataset(1, 90, b"\x1b%G") if utf8 else b""
    out += dataset(2, 0, b"\x00\x04")
    out += b"".join(dataset(2, 25, k) for k in keywords)
    return out + (dataset(2, 120, caption) if caption is not None else b"")


def photoshop_resource(resource: int, data: bytes) -> bytes:
    padded = data + b"\x00" * (len(data) & 1)
    return b"8BIM" + struct.pack(">H", resource) + b"\x00\x00" + struct.pack(">I", len(data)) + padded


def app13(iim_data: bytes) -> bytes:
    resources = photoshop_resource(0x03ED, b"\x00" * 16) + photoshop_resource(0x0404, iim_data)
    return app(0xED, b"Photoshop 3.0\x00" + resources)


def extended_xmp(packet: bytes, guid: bytes = b"0123456789ABCDEF0123456789ABCDEF", chunk: int = 100) -> list[bytes]:
    """The APP1 segments of an extended XMP packet, in chunks of `chunk` bytes."""
    return [
        app(0xE1, b"http://ns.adobe.com/xmp/extension/\x00" + guid + struct.pack(">II", len(packet), offset)
            + packet[offset : offset + chunk])
        for offset in range(0, len(packet), chunk)
    ]


def png(exif_data: Image.Exif | None = None, xmp: bytes | None = None, compressed: bool = False) -> bytes:
    info = PngImagePlugin.PngInfo()
    if xmp is not None:
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"), zip=compressed)
    return _save("PNG", exif=exif_data, pnginfo=info)


def webp(exif_data: Image.Exif | None = None, xmp: bytes | None = None) -> bytes:
    return _save("WEBP", exif=exif_data, xmp=xmp)


def tiff(xmp: bytes | None = None, iptc: bytes | None = None, description: str | None = None,
         exif_data: Image.Exif | None = None) -> bytes:
    """A little-endian TIFF written by Pillow, with tags 700 (XMP), 33723 (IPTC) and 270."""
    info = TiffImagePlugin.ImageFileDirectory_v2()
    for tag, value, kind in ((700, xmp, 1), (33723, iptc, 7), (270, description, 2)):
        if value is not None:
            info[tag] = value
            info.tagtype[tag] = kind
    return _save("TIFF", exif=exif_data, tiffinfo=info)


_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 7: 1}


def tiff_structure(entries: list[tuple[int, int, bytes]], order: str = ">",
                   exif_entries: list[tuple[int, int, bytes]] = ()) -> bytes:
    """A TIFF structure by hand (any byte order): IFD0 `entries` (tag, type, value bytes already in
    `order`), an EXIF sub-IFD when `exif_entries` is given, and a 1x1 grey strip so it is an image."""
    strip = b"\x80"
    short = lambda tag, value: (tag, 3, struct.pack(order + "H", value))  # noqa: E731
    base = [short(256, 1), short(257, 1), short(258, 8), short(262, 1), short(277, 1),
            (279, 4, struct.pack(order + "I", 1))]
    header = (b"MM" if order == ">" else b"II") + struct.pack(order + "HI", 42, 8)

    def ifd(items: list[tuple[int, int, bytes]], at: int) -> tuple[bytes, bytes]:
        table, data = b"", b""
        data_at = at + 2 + 12 * len(items) + 4
        for tag, kind, value in sorted(items):
            count = len(value) // _TYPE_SIZES[kind]
            if len(value) <= 4:
                field = value.ljust(4, b"\x00")
            else:
                field = struct.pack(order + "I", data_at + len(data))
                data += value + b"\x00" * (len(value) & 1)
            table += struct.pack(order + "HHI", tag, kind, count) + field
        return struct.pack(order + "H", len(items)) + table + b"\x00\x00\x00\x00", data

    items = base + list(entries) + [(273, 4, b"\x00\x00\x00\x00")]
    if exif_entries:
        items.append((34665, 4, b"\x00\x00\x00\x00"))
    # Two passes: first to learn where the strip and the EXIF IFD land, then for real.
    table, data = ifd(items, 8)
    exif_at = 8 + len(table) + len(data)
    exif_table, exif_data = ifd(list(exif_entries), exif_at) if exif_entries else (b"", b"")
    strip_at = exif_at + len(exif_table) + len(exif_data)
    items = [(t, k, struct.pack(order + "I", strip_at) if t == 273 else struct.pack(order + "I", exif_at)
              if t == 34665 else v) for t, k, v in items]
    table, data = ifd(items, 8)
    return header + table + data + exif_table + exif_data + strip


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind: bytes, version: int, payload: bytes) -> bytes:
    return box(kind, bytes([version, 0, 0, 0]) + payload)


def heif(exif_tiff: bytes | None = None, xmp: bytes | None = None, in_idat: bool = False) -> bytes:
    """A HEIF file: an ftyp, a meta box naming an Exif item and a mime application/rdf+xml item,
    and the items' bytes in mdat (iloc construction method 0) or in idat (method 1, iloc v1)."""
    items = []
    if exif_tiff is not None:
        items.append((1, b"Exif", b"", struct.pack(">I", 6) + b"Exif\x00\x00" + exif_tiff))
    if xmp is not None:
        items.append((2, b"mime", b"application/rdf+xml\x00", xmp))
    infe = b"".join(full_box(b"infe", 2, struct.pack(">HH4s", item, 0, kind) + b"\x00" + extra)
                    for item, kind, extra, _ in items)
    iinf = full_box(b"iinf", 0, struct.pack(">H", len(items)) + infe)
    hdlr = full_box(b"hdlr", 0, b"\x00" * 4 + b"pict" + b"\x00" * 12 + b"\x00")
    ftyp = box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic")
    iloc_version = 1 if in_idat else 0  # construction methods need iloc version 1

    def iloc(first_offset: int) -> bytes:
        body = bytes([0x44, 0x00]) + struct.pack(">H", len(items))
        offset = first_offset
        for item, _, _, data in items:
            body += struct.pack(">H", item)
            if iloc_version:
                body += struct.pack(">H", 1 if in_idat else 0)
            body += struct.pack(">HHII", 0, 1, offset, len(data))
            offset += len(data)
        return full_box(b"iloc", iloc_version, body)

    payload = b"".join(data for *_, data in items)
    if in_idat:
        meta = full_box(b"meta", 0, hdlr + iinf + iloc(0) + box(b"idat", payload))
        return ftyp + meta + box(b"mdat", b"")
    meta_size = len(full_box(b"meta", 0, hdlr + iinf + iloc(0)))
    meta = full_box(b"meta", 0, hdlr + iinf + iloc(len(ftyp) + meta_size + 8))
    return ftyp + meta + box(b"mdat", payload)


def write(folder: Path, name: str, data: bytes) -> str:
    path = folder / name
    path.write_bytes(data)
    return str(path)


def exiftool(*args: str) -> str:
    """Run exiftool as a writer or a reader; skip the test where it is not installed."""
    tool = shutil.which("exiftool")
    if tool is None:
        pytest.skip("exiftool is not installed (Debian package libimage-exiftool-perl)")
    done = subprocess.run([tool, *args], capture_output=True, text=True, check=True)
    return done.stdout


def builtin_plugins():
    """The built-in sources only: no FLICKR_REPLACE_PLUGINS from the environment."""
    from flickr_replace_plugin.plugins import Plugins

    return Plugins(env={})


def ids(candidates) -> list[tuple[str, str, str]]:
    """(photo_id, source, detail) of a source's answer, for compact assertions."""
    return [(c.photo_id, c.source, c.detail) for c in candidates or ()]
