"""Capture times tell the neighbouring frame of a burst from the same shot (safety/capture.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from pictures import burst_pair, encode, photo
from PIL import Image, ImageEnhance

from flickr_replace_plugin import replace
from flickr_replace_plugin.config import Config
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


def timed_jpeg(path: Path, image: Image.Image, taken: str | None, fraction: str | None) -> Path:
    """A JPEG whose EXIF holds DateTimeOriginal and SubSecTimeOriginal (when given)."""
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken
    if fraction:
        exif.get_ifd(0x8769)[0x9291] = fraction
    path.write_bytes(encode(image, "JPEG", exif=exif.tobytes()))
    return path


@pytest.fixture
def burst(sandbox, tmp_path):
    """A photo on the sandbox (the first frame of a fast burst, 10:20:30.120), the frames, a config."""
    first, second = burst_pair(photo("chelsea"), apart=0.02)  # 100 ms apart: the scene barely moved
    pid = sandbox.add_photo(timed_jpeg(tmp_path / "first.jpg", first, *SHOT).read_bytes(), filename="first.jpg")
    config = Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), backup_dir=str(tmp_path / "backups"),
                    backoff=0.01, timeout=30, **sandbox.credentials)
    return pid, first, second, config


def exif_calls(sandbox) -> int:
    return sum(r.get("rest_method") == "flickr.photos.getExif" for r in sandbox.requests)


def test_the_neighbouring_frame_of_a_burst_is_refused_by_its_capture_time(sandbox, burst, tmp_path):
    pid, _, second, config = burst
    frame = timed_jpeg(tmp_path / "second.jpg", second, "2024:05:01 10:20:30", "220")
    result = replace(str(frame), photo_id=pid, config=config, dry_run=True)
    assert result.error is not None and result.error.reason == "not_similar", result
    message = result.error.message
    assert "two shots" in message and "10:20:30.220" in message and "10:20:30.120" in message and "--force" in message
    assert exif_calls(sandbox) == 1
    forced = replace(str(frame), photo_id=pid, config=config, dry_run=True, force=True)
    assert forced.status.value == "dry-run" and any("two shots" in w for w in forced.warnings)


@pytest.mark.parametrize("taken", ["2024:05:01 10:20:30", "2024:05:01 11:20:30"], ids=["re-export", "clock-moved-1h"])
def test_the_same_frame_re_exported_passes(sandbox, burst, tmp_path, taken):
    pid, first, _, config = burst
    edited = ImageEnhance.Brightness(first.resize((first.width // 2, first.height // 2))).enhance(1.1)
    result = replace(str(timed_jpeg(tmp_path / "edit.jpg", edited, taken, "120")), photo_id=pid, config=config,
                     dry_run=True)
    assert result.status.value == "dry-run" and result.error is None, result.error
    assert exif_calls(sandbox) == 1


def test_no_exif_call_without_a_fraction_of_a_second_or_for_a_different_picture(sandbox, burst, tmp_path):
    pid, _, second, config = burst
    result = replace(str(timed_jpeg(tmp_path / "second.jpg", second, "2024:05:01 10:20:30", None)), photo_id=pid,
                     config=config, dry_run=True)
    assert result.status.value == "dry-run" and result.error is None, result.error
    other = timed_jpeg(tmp_path / "other.jpg", photo("astronaut"), "2024:05:01 10:20:30", "220")
    refused = replace(str(other), photo_id=pid, config=config, dry_run=True)
    assert refused.error is not None and refused.error.reason == "not_similar" and "distance" in refused.error.message
    assert exif_calls(sandbox) == 0
