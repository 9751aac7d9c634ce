"""Embedded XMP (JPEG APP1 and extended XMP, TIFF tag 700, PNG iTXt, WebP, HEIF)."""
from __future__ import annotations

from typing import Any, Mapping

from ..photoid.candidates import Candidate
from ..hookspecs import hookimpl
from ..photoid.fields import from_embedded, guarded, xmp_packet_fields


@hookimpl
@guarded("xmp")
def find_photo_id(path: str, metadata: Mapping[str, Any]) -> list[Candidate] | None:
    return from_embedded("xmp", path, metadata, lambda blocks, file: xmp_packet_fields(blocks.xmp, file))
