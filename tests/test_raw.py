"""Camera RAW files are refused before anything is sent, told by content, never by name.

The RAW files here are synthetic: the first bytes and the IFD structure each format has (the
part a reader sees before any sensor data), built byte by byte, with a little filler as data.
"""
from __future__ import annotations

import io
import json
import struct

import pytest
from clirun import cli
from PIL import Image

from flickr_replace_plugin import replace_many
from flickr_replace_plugin.config import Config
from flickr_replace_plugin.formats.sniff import sniff_file, sniff_format

FILLER = bytes(range(256)) * 4
SHORT, LONG, ASCII, BYTE = 3, 4, 2, 1


def tiff(ifds: list[list[tuple[int, int, int | bytes]]], order: str = "<", magic: int = 42,
         header_extra: bytes = b"") -> bytes:
    """A TIFF structure: IFD0 chained to the rest, or, with an entry (330, LONG, "sub"), IFD0
    pointing at the next IFD as its SubIFD. Values: an int (inline) or bytes (stored after)."""
    prefix = (b"II" if order == "<" else b"MM") + struct.pack(order + "HI", magic, 8 + len(header_extra)) + header_extra
    out = bytearray(prefix)
    layout_at = len(out)
    sizes = [2 + 12 * len(entries) + 4 for entries in ifds]
    starts = [layout_at + sum(sizes[:i]) for i in range(len(ifds))]
    data = bytearray()
    data_at = layout_at + sum(sizes)
    for i, entries in enumerate(ifds):
        out += struct.pack(order + "H", len(entries))
        for tag, typ, value in entries:
            if value == "sub":
                value = starts[i + 1]
            if isinstance(value, bytes):
                count = len(value) if typ in (ASCII, BYTE) else len(value) // 4
                out += struct.pack(order + "HHII", tag, typ, count, data_at + len(data))
                data += value + b"\x00" * (len(value) & 1)
            elif typ == SHORT:
                out += struct.pack(order + "HHIHH", tag, typ, 1, value, 0)
            else:
                out += struct.pack(order + "HHII", tag, typ, 1, value)
        chained = i + 1 < len(ifds) and not any(v == "sub" for _, _, v in entries)
        out += struct.pack(order + "I", starts[i + 1] if chained else 0)
    return bytes(out + data) + FILLER


def image_ifd(photometric: int = 2, compression: int = 1, *extra: tuple[int, int, int | bytes]):
    return [(256, LONG, 64), (257, LONG, 48), (259, SHORT, compression), (262, SHORT, photometric), *extra]


PREVIEW = image_ifd(6, 7, (271, ASCII, b"Maker\x00"))  # a JPEG preview in IFD0, as most raws start
SUB = (330, LONG, "sub")

RAWS = {
    "DNG": tiff([image_ifd(32803, 7, (50706, BYTE, 0x01040000))]),
    "DNG (linear, big-endian)": tiff([image_ifd(34892, 1, (50706, BYTE, 0x01040000))], order=">"),
    "NEF": tiff([[*PREVIEW, SUB], image_ifd(32803, 34713)]),
    "NEF (big-endian)": tiff([[*PREVIEW, SUB], image_ifd(32803, 34713)], order=">"),
    "NRW": tiff([[*PREVIEW, SUB], image_ifd(32803, 1)]),
    "ARW": tiff([image_ifd(32803, 32767)]),
    "SR2": tiff([PREVIEW, image_ifd(32803, 32767)]),
    "PEF": tiff([image_ifd(32803, 65535)]),
    "SRW": tiff([image_ifd(32803, 32770)]),
    "ERF": tiff([image_ifd(32803, 32769)]),
    "3FR": tiff([[*PREVIEW, SUB], image_ifd(32803, 1)]),
    "MEF": tiff([image_ifd(32803, 1)], order=">"),
    "DCR": tiff([image_ifd(32803, 65000)]),
    "CR2": tiff([PREVIEW], header_extra=b"CR\x02\x00\x00\x00\x00\x00"),
    "ORF": b"IIRO\x08\x00\x00\x00" + FILLER,
    "ORF (IIRS)": b"IIRS\x08\x00\x00\x00" + FILLER,
    "ORF (big-endian)": b"MMOR\x00\x00\x00\x08" + FILLER,
    "RW2": b"IIU\x00\x08\x00\x00\x00" + FILLER,
    "RAF": b"FUJIFILMCCD-RAW 0201FF383501" + FILLER,
    "CR3": b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom" + FILLER,
    "CRW": b"II\x1a\x00\x00\x00HEAPCCDR" + FILLER,
    "MRW": b"\x00MRM\x00\x00\x00\x40" + FILLER,
    "X3F": b"FOVb\x00\x00\x02\x00" + FILLER,
    "IIQ": b"II*\x00\x08\x00\x00\x00IIII\x01waR" + FILLER,
}


def exports() -> dict[str, bytes]:
    """TIFFs a raw developer exports: they must stay "tiff" (and be sent)."""
    photo = Image.linear_gradient("L").resize((96, 64)).convert("RGB")
    exif = Image.Exif()
    exif.update({271: "NIKON CORPORATION", 272: "NIKON Z 6", 305: "darktable 4.6"})
    out = {}
    for name, image, options in [
        ("RGB, uncompressed", photo, {}),
        ("RGB, LZW, camera EXIF", photo, {"compression": "tiff_lzw", "exif": exif.tobytes()}),
        ("RGB, PackBits", photo, {"compression": "packbits"}),
        ("16-bit grey", Image.new("I;16", (64, 64), 4000), {}),
        ("RGB, big-endian", photo, {"big_endian": True}),
    ]:
        buffer = io.BytesIO()
        image.save(buffer, "TIFF", **options)
        out[name] = buffer.getvalue()
    out["grey pixels of 73 ('IIII') right after the header"] = tiff([image_ifd(1, 1)], header_extra=b"I" * 64)
    return out


EXPORTS = exports()


@pytest.mark.parametrize("name", RAWS)
def test_raw_files_are_told_by_content(name):
    assert sniff_file(io.BytesIO(RAWS[name])) == "raw"


@pytest.mark.parametrize("name", EXPORTS)
def test_tiff_exports_stay_tiff(name):
    assert sniff_file(io.BytesIO(EXPORTS[name])) == "tiff"


def test_a_cr3_is_no_longer_called_a_video():
    assert sniff_format(RAWS["CR3"]) == "raw"
    assert sniff_format(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom") == "video"


def test_a_damaged_tiff_structure_is_not_called_raw():
    data = bytearray(RAWS["NEF"])
    data[4:8] = struct.pack("<I", 10 ** 9)  # IFD0 far past the end
    assert sniff_file(io.BytesIO(bytes(data))) == "tiff"


@pytest.fixture
def config(sandbox, tmp_path) -> Config:
    return Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), timeout=30, **sandbox.credentials)


def test_replace_refuses_every_raw_and_sends_nothing(sandbox, config, make_jpeg, tmp_path):
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes())
    paths = []
    for i, (name, data) in enumerate(RAWS.items()):
        path = tmp_path / f"export-{i}.jpg"  # the name says JPEG: only the content counts
        path.write_bytes(data)
        paths.append(path)
    results = {r.path: r for r in replace_many(list(map(str, paths)), photo_id=pid, config=config)}
    for path in paths:
        error = results[str(path)].error
        assert results[str(path)].status.value == "failed" and results[str(path)].attempts == 0
        assert error.reason == "raw" and error.origin == "local" and error.code is None
        assert "export a JPEG or TIFF from it first" in error.message
    assert "(CR2)" in results[str(paths[list(RAWS).index("CR2")])].error.message
    assert "(DNG)" in results[str(paths[0])].error.message
    assert not [r for r in sandbox.requests if r["path"].startswith("/services/replace")]
    tiff_export = tmp_path / "export.tif"  # a plain TIFF export with camera EXIF is not a raw: it is sent
    tiff_export.write_bytes(EXPORTS["RGB, LZW, camera EXIF"])
    [tiff] = replace_many([str(tiff_export)], photo_id=pid, config=config, force=True,  # not the same picture
                          backup=False)
    sent = [r for r in sandbox.requests if r["path"].startswith("/services/replace")]
    assert [r["photo_filename"] for r in sent] == ["export.tif"] and tiff.status.value in ("replaced", "pending")


def test_cli_json_carries_the_reason(cli_env, sandbox, make_jpeg, tmp_path):
    pid = sandbox.add_photo(make_jpeg("first.jpg").read_bytes())
    path = tmp_path / "IMG_1001.NEF"
    path.write_bytes(RAWS["NEF"])
    run = cli(["replace", str(path), "--photo-id", pid, "--json"], cli_env)
    assert run.returncode == 1
    [line] = run.stdout.splitlines()
    error = json.loads(line)["error"]
    assert error["reason"] == "raw" and error["origin"] == "local" and "export a JPEG or TIFF" in error["message"]
    assert not [r for r in sandbox.requests if r["path"].startswith(("/services/replace", "/services/upload"))]
