"""Where a picture was taken: EXIF's GPS IFD (rationals and S/W refs) and XMP's "51,30.123N" form."""
from __future__ import annotations

import math
import re
import struct
from typing import Mapping

LATITUDE_REF, LATITUDE, LONGITUDE_REF, LONGITUDE = 1, 2, 3, 4
# XMP (EXIF schema for XMP, 2.3.1): "DDD,MM,SSk" or "DDD,MM.mmk", k one of N S E W.
_XMP_COORDINATE = re.compile(r"^\s*(\d{1,3})\s*,\s*(\d{1,2}(?:\.\d+)?)\s*(?:,\s*(\d{1,2}(?:\.\d+)?)\s*)?([NSEW])\s*$",
                             re.IGNORECASE)


def exif_location(gps: Mapping[int, bytes], byteorder: str) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees, south and west negative; None unless both are whole."""
    latitude = _exif_coordinate(gps.get(LATITUDE), gps.get(LATITUDE_REF), b"NS", 90, byteorder)
    longitude = _exif_coordinate(gps.get(LONGITUDE), gps.get(LONGITUDE_REF), b"EW", 180, byteorder)
    return None if latitude is None or longitude is None else (latitude, longitude)


def _exif_coordinate(value: bytes | None, ref: bytes | None, refs: bytes, limit: float,
                     byteorder: str) -> float | None:
    if value is None or len(value) != 24 or not ref or ref[:1].upper() not in (refs[:1], refs[1:]):
        return None
    numbers = struct.unpack(byteorder + "6I", value)
    if 0 in numbers[1::2]:  # a zero denominator: an unknown position, not 0°
        return None
    degrees, minutes, seconds = (numbers[i] / numbers[i + 1] for i in range(0, 6, 2))
    return _signed(degrees + minutes / 60 + seconds / 3600, ref[:1].upper() == refs[1:], limit)


def xmp_location(latitude: str | None, longitude: str | None) -> tuple[float, float] | None:
    """XMP exif:GPSLatitude and exif:GPSLongitude in degrees; None unless both are readable."""
    lat, lon = _xmp_coordinate(latitude, "NS", 90), _xmp_coordinate(longitude, "EW", 180)
    return None if lat is None or lon is None else (lat, lon)


def _xmp_coordinate(text: str | None, refs: str, limit: float) -> float | None:
    match = _XMP_COORDINATE.match(text or "")
    if match is None or match.group(4).upper() not in refs:
        return None
    degrees, minutes, seconds, ref = match.groups()
    value = int(degrees) + float(minutes) / 60 + float(seconds or 0) / 3600
    return _signed(value, ref.upper() == refs[1], limit)


def _signed(value: float, negative: bool, limit: float) -> float | None:
    if not math.isfinite(value) or value > limit:
        return None
    return -value if negative else value
