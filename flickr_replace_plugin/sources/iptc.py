"""IPTC IIM (JPEG APP13 Photoshop resource 0x0404, TIFF tag 33723): Keywords and Caption-Abstract."""
from __future__ import annotations

from typing import Any, Iterator, Mapping

from ..photoid.candidates import Candidate
from ..hookspecs import hookimpl
from ..photoid.fields import Field, from_embedded, guarded
from ..formats.scope import note

_FIELDS = {(2, 25): ("Keywords", "keyword"), (2, 120): ("Caption-Abstract", "text")}
_CHARSET = (1, 90)
_UTF8 = b"\x1b%G"


def iim_datasets(data: bytes) -> list[tuple[tuple[int, int], bytes]] | None:
    """((record, dataset), value) for every dataset, or None when the stream is damaged anywhere:
    a damaged length cuts a value short, and a cut-short id names another photo."""
    datasets = []
    pos = 0
    while pos < len(data) and data[pos] == 0x1C:
        if pos + 5 > len(data):
            return None
        key = (data[pos + 1], data[pos + 2])
        length = int.from_bytes(data[pos + 3 : pos + 5], "big")
        pos += 5
        if length & 0x8000:  # extended dataset: the low bits give the size of the length field
            size = length & 0x7FFF
            if size > 4:
                return None
            length = int.from_bytes(data[pos : pos + size], "big")
            pos += size
        if pos + length > len(data):
            return None
        datasets.append((key, data[pos : pos + length]))
        pos += length
    return datasets if not data[pos:].strip(b"\x00") else None  # NUL padding may follow


def iim_text(datasets: list[tuple[tuple[int, int], bytes]]) -> Iterator[tuple[tuple[int, int], str]]:
    """The datasets' values as text, in the character set the stream declares."""
    utf8 = False
    for key, value in datasets:
        if key == _CHARSET:
            utf8 = value == _UTF8
        else:
            yield key, _decode(value, utf8)


def iptc_fields(data: bytes | None, path: str = "") -> Iterator[Field]:
    if data is None:
        return
    datasets = iim_datasets(data)
    if datasets is None:
        note(f"{path}: the IPTC block is damaged, not read")
        return
    for key, text in iim_text(datasets):
        if key in _FIELDS:
            yield (*_FIELDS[key], text)  # type: ignore[misc]


def _decode(value: bytes, utf8: bool) -> str:
    """IIM without a charset declaration is usually Latin-1, but many writers put UTF-8 anyway."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("utf-8" if utf8 else "latin-1", "replace")


@hookimpl
@guarded("iptc")
def find_photo_id(path: str, metadata: Mapping[str, Any]) -> list[Candidate] | None:
    return from_embedded("iptc", path, metadata, lambda blocks, file: iptc_fields(blocks.iptc, file))
