"""Capture times tell the neighbouring frame of a burst from the same shot (safety/capture.py)."""
from __future__ import annotations

import pytest
from pictures import burst_pair, encode, photo
from PIL import Image

from flickr_replace_plugin.safety.capture import capture_time, other_shot

SHOT = ("2024:05:01 10:20:30", "120")


@pytest.mark.parametrize("file_time, expected", [
    (("2024:05:01 10:20:30", "220"), True),  # the next frame, 100 ms later
    (("2024:05:01 10:20:30", "12"), False),  # the same instant written with fewer digits
    (("2024:05:01 10:20:30", "120"), False),
    (("2024:05:01 12:20:30", "120"), False),  # the clock corrected by two hours
    (("2024:05:01 10:23:30", "120"), False),  # or by three minutes
    (("2024:05:01 10:20:30", None), None),  # no fraction: cannot be told
    ((None, None), None),
    (("0000:00:00 00:00:00", "000"), None),
    (("2024:05:01 10:20:31", "120"), None),  # another second: not a burst neighbour by time alone
])
def test_other_shot(file_time, expected):
    message = other_shot(file_time, SHOT)
    if expected is True:
        assert message and "two shots" in message and "10:20:30.220" in message
    else:
        assert message is None


def test_a_burst_frame_is_told_apart_by_the_times_read_from_the_files(tmp_path):
    first, second = burst_pair(photo("astronaut"))
    paths = []
    for image, fraction in ((first, "120"), (second, "220")):
        exif = Image.Exif()
        exif.get_ifd(0x8769).update({0x9003: "2024:05:01 10:20:30", 0x9291: fraction})
        path = tmp_path / f"frame{fraction}.jpg"
        path.write_bytes(encode(image, "JPEG", exif=exif.tobytes()))
        paths.append(path)
    times = [capture_time(p) for p in paths]
    assert times == [("2024:05:01 10:20:30", "120"), ("2024:05:01 10:20:30", "220")]
    assert other_shot(times[0], times[1]) is not None
    assert other_shot(times[0], times[0]) is None
    (tmp_path / "plain.png").write_bytes(encode(first, "PNG"))
    assert capture_time(tmp_path / "plain.png") == (None, None)
