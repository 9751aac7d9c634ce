"""Sidecars next to the file: XMP from darktable/digiKam (NAME.EXT.xmp) and Lightroom, Capture One
and most others (NAME.xmp), and this plugin's own NAME.EXT.flickr.yaml / .json.

The own sidecar is written by ``photoid.record.record_photo_id`` (re-exported here).
"""
from __future__ import annotations

import json
import os
from typing import Any, Iterator, Mapping

from ..photoid.candidates import Candidate
from ..fsutil import read_capped
from ..hookspecs import hookimpl
from ..photoid.fields import guarded, scan, subjects, xmp_packet_fields
from ..photoid.record import OWN_SUFFIXES, record_photo_id
from ..formats.scope import note

MAX_XMP_SIDECAR = 16 << 20  # Lightroom's with a long history run to a few MB; larger is not XMP
MAX_OWN_SIDECAR = 64 << 10  # ours holds one line
__all__ = ["find_photo_id", "record_photo_id", "sidecars"]


def sidecars(path: str) -> Iterator[str]:
    """Existing sidecars of `path`, in the contract's order; case variants of the name match."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    names = [n + x for n in _case_variants(stem, ext) for x in (".xmp", ".XMP")]
    names += [stem + x for x in (".xmp", ".XMP")] if ext else []
    names += [name + suffix for suffix in OWN_SUFFIXES]
    seen: set[tuple[int, int]] = set()
    for candidate in dict.fromkeys(names):  # case-insensitive file systems find one file twice
        full = os.path.join(folder, candidate)
        try:
            st = os.stat(full)
        except (OSError, ValueError):
            continue
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            yield full


def _case_variants(stem: str, ext: str) -> list[str]:
    return [stem + e for e in dict.fromkeys((ext, ext.lower(), ext.upper()))]


def _read_own(sidecar: str, source: str, where: str) -> list[Candidate]:
    import yaml  # only files that have one pay for the import

    data = read_capped(sidecar, MAX_OWN_SIDECAR)
    if data is None:
        note(f"{source}: larger than {MAX_OWN_SIDECAR} bytes, not read")
        return []
    try:
        doc = json.loads(data) if sidecar.endswith(".json") else yaml.safe_load(data)
    except (ValueError, yaml.YAMLError) as exc:  # UnicodeDecodeError is a ValueError
        note(f"{source}: not read: {type(exc).__name__}: {exc}")
        return []
    value = doc.get("photo_id") if isinstance(doc, dict) else None
    if value is None:
        note(f"{source}: has no photo_id")
        return []
    return [Candidate(str(value).strip(), source, "photo_id" + where)]  # the resolver refuses a non-id


def _read_xmp(sidecar: str, source: str, where: str) -> list[Candidate]:
    data = read_capped(sidecar, MAX_XMP_SIDECAR)
    if data is None:
        note(f"{source}: larger than {MAX_XMP_SIDECAR} bytes, not read")
        return []
    return scan(source, xmp_packet_fields([data], sidecar), where)


@hookimpl
@guarded("sidecar")
def find_photo_id(path: str, metadata: Mapping[str, Any]) -> list[Candidate] | None:
    found: list[Candidate] = []
    for file, where in subjects(path, metadata):
        for sidecar in sidecars(file):
            source = f"sidecar:{os.path.basename(sidecar)}"
            try:
                read = _read_own if sidecar.endswith(OWN_SUFFIXES) else _read_xmp
                found += read(sidecar, source, where)
            except OSError as exc:
                note(f"{source}: not read: {exc}")
    return found or None

