"""Metadata follows the new file: after a replace, an upload and an undo, what Flickr holds."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from clirun import cli
from photofiles import bag, exiftool, xmp_packet
from pictures import export

from flickr_replace_plugin import core
from flickr_replace_plugin.config import Config

WRITES = ("flickr.photos.setMeta", "flickr.photos.addTags", "flickr.photos.removeTag", "flickr.photos.setTags",
          "flickr.photos.setDates", "flickr.photos.geo.setLocation", "flickr.photos.geo.removeLocation")
TAKEN = "2019:07:04 12:34:56"


def described(title: str | None = None, description: str | None = None, *keywords: str) -> bytes:
    body = bag("dc:title", title, container="Alt") if title else ""
    body += bag("dc:description", description, container="Alt") if description else ""
    return xmp_packet(body + (bag("dc:subject", *keywords) if keywords else ""))


def re_export(path: Path, xmp: bytes, taken: str | None = TAKEN, gps: tuple[float, float] | None = None,
              brighter: float = 1.15) -> Path:
    """A new export of the astronaut with this metadata (GPS written by exiftool, as a camera would)."""
    export(path, "astronaut", taken=taken, xmp=xmp, brighter=brighter)
    if gps is not None:
        lat, lon = gps
        exiftool("-q", "-overwrite_original", f"-GPSLatitude={abs(lat)}", f"-GPSLatitudeRef={'S' if lat < 0 else 'N'}",
                 f"-GPSLongitude={abs(lon)}", f"-GPSLongitudeRef={'W' if lon < 0 else 'E'}", str(path))
    return path


def seeded(sandbox, tmp_path: Path, **fields) -> str:
    """A photo of the astronaut as first uploaded: titled IMG_4201, taken an hour earlier."""
    first = export(tmp_path / "first.jpg", "astronaut", taken="2019:07:04 11:34:56", brighter=1.0)
    return sandbox.add_photo(first.read_bytes(), "IMG_4201.jpg", "IMG_4201", **fields)


def writes(sandbox) -> int:
    return sum(sandbox.rest_calls(m) for m in WRITES)


def replace_json(args: list[str], env: dict) -> dict:
    ran = cli(["replace", "--sync", "--json", *args], env)
    [result] = ran.results()
    assert ran.returncode == 0, (ran.stdout, ran.stderr)
    return result


def place(sandbox, pid: str) -> tuple[float, float] | None:
    where = sandbox.photo(pid).location
    return (round(float(where["latitude"]), 5), round(float(where["longitude"]), 5)) if where else None


def test_a_re_export_brings_title_description_keywords_date_and_southern_western_place(sandbox, cli_env, tmp_path):
    pid = seeded(sandbox, tmp_path)
    sandbox.update_photo(pid, views=1204, comments=3)
    path = re_export(tmp_path / "astronaut.jpg", described("Astronaut portrait", "In the suit", "portrait", "NASA"),
                     gps=(-33.856784, -70.5))
    result = replace_json(["--photo-id", pid, str(path)], cli_env)
    photo = sandbox.photo(pid)
    assert (photo.title, photo.description, photo.tags) == ("Astronaut portrait", "In the suit", ["portrait", "NASA"])
    assert photo.taken == "2019-07-04 12:34:56" and place(sandbox, pid) == (-33.85678, -70.5)
    assert result["status"] == "replaced" and result["kept"] == {"views": 1204, "comments": 3}
    assert result["metadata"]["error"] is None
    assert result["metadata"]["changed"]["title"] == {"from": "IMG_4201", "to": "Astronaut portrait"}
    assert set(result["metadata"]["changed"]) == {"title", "description", "tags", "date_taken", "location"}
    assert sandbox.rest_calls("flickr.photos.setMeta") == 1  # title and description in one call
    assert sandbox.rest_calls("flickr.photos.getInfo") == 1  # the target check's, used for the decision


def test_the_human_line_says_what_the_photo_kept_and_each_field_changed(sandbox, cli_env, tmp_path):
    pid = seeded(sandbox, tmp_path)
    sandbox.update_photo(pid, views=1204, comments=3)
    path = re_export(tmp_path / "astronaut.jpg", described("Astronaut portrait", None, "portrait"))
    ran = cli(["replace", "--sync", "--photo-id", pid, str(path)], cli_env)
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert lines[0].startswith("replaced: ") and lines[0].endswith("kept 1,204 views, 3 comments")
    assert '  set title: "IMG_4201" -> "Astronaut portrait"' in lines
    assert "  set tags: +portrait" in lines and "  set date_taken: 2019-07-04 11:34:56 -> 2019-07-04 12:34:56" in lines


def test_others_tags_and_the_owners_website_tags_stay_a_dropped_tag_of_ours_goes(sandbox, cli_env, tmp_path):
    pid = seeded(sandbox, tmp_path, tags=["harbour"])
    path = tmp_path / "astronaut.jpg"
    replace_json(["--photo-id", pid, str(re_export(path, described(None, None, "portrait", "sea")))], cli_env)
    sandbox.add_tags(pid, ["nice shot"], author="friend")
    sandbox.add_tags(pid, ["favourite"])  # the owner, on the website
    result = replace_json(["--photo-id", pid, str(re_export(path, described(None, None, "portrait"), brighter=1.2))],
                          cli_env)
    assert sandbox.photo(pid).tags == ["harbour", "portrait", "nice shot", "favourite"]
    assert result["metadata"]["changed"]["tags"]["to"] == ["harbour", "portrait", "nice shot", "favourite"]
    assert sandbox.rest_calls("flickr.photos.removeTag") == 1 and sandbox.rest_calls("flickr.photos.setTags") == 0
    # a tag the file never had, typed by the owner, is never taken for ours: harbour and favourite stay
    replace_json(["--photo-id", pid, str(re_export(path, described(None, None, "nasa"), brighter=1.25))], cli_env)
    assert sandbox.photo(pid).tags == ["harbour", "nice shot", "favourite", "nasa"]


def test_unchanged_metadata_makes_no_write_call(sandbox, cli_env, tmp_path):
    pid = seeded(sandbox, tmp_path)
    path = tmp_path / "astronaut.jpg"
    xmp = described("Astronaut portrait", "In the suit", "portrait")
    replace_json(["--photo-id", pid, str(re_export(path, xmp, gps=(-33.856784, -70.5)))], cli_env)
    sandbox.clear_requests()
    result = replace_json(["--photo-id", pid, str(re_export(path, xmp, gps=(-33.856784, -70.5), brighter=1.2))],
                          cli_env)
    assert result["metadata"] == {"changed": {}, "error": None, "in_file": ["title", "description", "tags", "date_taken", "location"]}
    assert writes(sandbox) == 0 and sandbox.rest_calls("flickr.photos.getInfo") == 1


def test_no_metadata_and_the_config_key_leave_the_photos_metadata_alone(sandbox, cli_env, tmp_path):
    pid = seeded(sandbox, tmp_path)
    path = re_export(tmp_path / "astronaut.jpg", described("Astronaut portrait", None, "portrait"))
    result = replace_json(["--no-metadata", "--photo-id", pid, str(path)], cli_env)
    assert result["metadata"] is None and writes(sandbox) == 0 and sandbox.photo(pid).title == "IMG_4201"
    config = tmp_path / "config.yaml"
    config.write_text("metadata: [tags]\n")
    env = {**cli_env, "FLICKR_REPLACE_CONFIG": str(config)}
    result = replace_json(["--photo-id", pid, str(re_export(path, described("Astronaut portrait", None, "portrait"),
                                                            brighter=1.2))], env)
    assert list(result["metadata"]["changed"]) == ["tags"] and sandbox.photo(pid).title == "IMG_4201"
    config.write_text("metadata: [title, colour]\n")
    bad = cli(["replace", "--photo-id", pid, str(path)], env)
    assert bad.returncode == 2 and "metadata must be true, false, or a list of" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_dry_run_reports_what_it_would_change_and_writes_nothing(sandbox, cli_env, tmp_path):
    pid = seeded(sandbox, tmp_path)
    path = re_export(tmp_path / "astronaut.jpg", described("Astronaut portrait", None, "portrait"))
    ran = cli(["replace", "--dry-run", "--json", "--photo-id", pid, str(path)], cli_env)
    [result] = ran.results()
    assert result["status"] == "dry-run" and result["metadata"]["changed"]["title"]["to"] == "Astronaut portrait"
    assert writes(sandbox) == 0 and sandbox.photo(pid).title == "IMG_4201"
    journal = Path(cli_env["FLICKR_REPLACE_STATE_DIR"]) / "journal.sqlite"
    assert not journal.exists()


def test_a_failing_set_meta_leaves_replaced_with_the_error_then_metadata_only_retries(sandbox, cli_env, tmp_path):
    pid = seeded(sandbox, tmp_path)
    path = re_export(tmp_path / "astronaut.jpg", described("Astronaut portrait", None, "portrait"))
    sandbox.faults.push("rest_error", method="flickr.photos.setMeta", code=1)
    result = replace_json(["--photo-id", pid, str(path)], cli_env)
    assert result["status"] == "replaced" and sandbox.photo_bytes(pid) == path.read_bytes()
    assert "flickr.photos.setMeta" in result["metadata"]["error"] and sandbox.photo(pid).title == "IMG_4201"
    assert any(f"flickr-replace replace --metadata-only {path}" in w for w in result["warnings"])
    sandbox.clear_requests()
    again = replace_json(["--metadata-only", "--photo-id", pid, str(path)], cli_env)
    assert (again["status"], again["attempts"], again["bytes"], again["sha256"], again["backup"]) == (
        "replaced", 0, 0, None, None)
    assert sandbox.photo(pid).title == "Astronaut portrait" and sandbox.photo(pid).tags == ["portrait"]
    assert not [r for r in sandbox.requests if r["path"].startswith(("/services/replace", "/services/upload"))]
    assert not [r for r in sandbox.requests if "_o." in r["path"]]  # no backup download
    assert sandbox.rest_calls("flickr.photos.getInfo") == 1  # the target checks still ran


def test_undo_puts_the_earlier_metadata_back(sandbox, cli_env, tmp_path):
    pid = seeded(sandbox, tmp_path, description="first words", tags=["harbour"])
    path = re_export(tmp_path / "astronaut.jpg", described("Astronaut portrait", "In the suit", "portrait"),
                     gps=(51.5, -0.12))
    replace_json(["--photo-id", pid, str(path)], cli_env)
    assert sandbox.photo(pid).location is not None
    sandbox.add_tags(pid, ["nice shot"], author="friend")
    ran = cli(["undo", "--json", pid], cli_env)
    assert ran.returncode == 0, ran.stderr
    [result] = ran.results()
    photo = sandbox.photo(pid)
    assert (photo.title, photo.description, photo.taken) == ("IMG_4201", "first words", "2019-07-04 11:34:56")
    assert photo.tags == ["harbour", "nice shot"] and photo.location is None
    assert result["metadata"]["changed"]["title"] == {"from": "Astronaut portrait", "to": "IMG_4201"}


def test_non_ascii_title_and_keywords_arrive_unchanged_through_the_python_api(sandbox, tmp_path):
    pid = seeded(sandbox, tmp_path)
    path = re_export(tmp_path / "zürich.jpg", described("Zürich – 東京の夜", "Ñandú ✨", "東京", "Ñandú", "Zürich"))
    config = Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"),
                    backup_dir=str(tmp_path / "backups"), **sandbox.credentials)
    result = core.replace(str(path), photo_id=pid, async_=False, config=config)
    photo = sandbox.photo(pid)
    assert (photo.title, photo.description) == ("Zürich – 東京の夜", "Ñandú ✨")
    assert photo.tags == ["東京", "Ñandú", "Zürich"]
    assert result.to_dict()["metadata"]["changed"]["tags"]["to"] == ["東京", "Ñandú", "Zürich"]
    # the API's own switch: sync_metadata=False is --no-metadata
    again = core.replace(str(re_export(path, described("Other"), brighter=1.2)), photo_id=pid, async_=False,
                         config=config, sync_metadata=False)
    assert again.metadata is None and sandbox.photo(pid).title == "Zürich – 東京の夜"


def test_an_async_replace_gets_its_metadata_once_the_ticket_finished(sandbox, cli_env, tmp_path):
    pid = seeded(sandbox, tmp_path)
    path = re_export(tmp_path / "astronaut.jpg", described("Astronaut portrait"))
    pending = cli(["replace", "--no-wait", "--json", "--photo-id", pid, str(path)], cli_env)
    [result] = pending.results()
    assert result["status"] == "pending" and result["metadata"] is None
    assert sandbox.photo(pid).title == "IMG_4201"  # nothing before the ticket has finished
    sandbox.release_tickets()
    finished = cli(["tickets", "--json"], cli_env)
    [done] = finished.results()
    assert done["status"] == "replaced" and done["metadata"]["changed"]["title"]["to"] == "Astronaut portrait"
    assert sandbox.photo(pid).title == "Astronaut portrait"


def test_an_upload_gets_its_date_taken_and_place(sandbox, cli_env, tmp_path):
    path = re_export(tmp_path / "new.jpg", described("New one", None, "fresh"), gps=(-22.9519, -43.2105))
    ran = cli(["replace", "--upload-missing", "--json", str(path)], cli_env)
    [result] = ran.results()
    assert result["status"] == "uploaded", ran.stderr
    photo = sandbox.photo(result["photo_id"])
    assert (photo.title, photo.tags, photo.taken) == ("New one", ["fresh"], "2019-07-04 12:34:56")
    assert place(sandbox, result["photo_id"]) == (-22.9519, -43.2105)
    # the tag went with the upload, so it is ours: a later export without it removes it
    state = Path(cli_env["FLICKR_REPLACE_STATE_DIR"]) / "journal.sqlite"
    with closing(sqlite3.connect(state)) as db:
        assert db.execute("SELECT tags FROM metadata_ours WHERE photo_id = ?", (result["photo_id"],)).fetchone() == (
            '["fresh"]',)


@pytest.mark.parametrize("flags", [["--metadata-only", "--no-metadata"]])
def test_metadata_only_and_no_metadata_together_are_a_usage_error(sandbox, cli_env, tmp_path, flags):
    path = re_export(tmp_path / "astronaut.jpg", described("x"))
    ran = cli(["replace", *flags, "--photo-id", "1", str(path)], cli_env)
    assert ran.returncode == 2 and "not allowed with" in ran.stderr


def test_the_result_names_what_the_file_carries_so_a_host_can_say_an_export_left_it_out(sandbox, cli_env, tmp_path):
    pid = seeded(sandbox, tmp_path, description="kept")
    bare = export(tmp_path / "bare.jpg", "astronaut", brighter=1.2)  # an export with every metadata option off
    dry = cli(["replace", "--json", "--dry-run", "--photo-id", pid, str(bare)], cli_env).results()[0]
    assert dry["metadata"] == {"changed": {}, "error": None, "in_file": []}
    result = replace_json(["--photo-id", pid, str(bare)], cli_env)
    assert result["metadata"] == {"changed": {}, "error": None, "in_file": []} and writes(sandbox) == 0
    assert sandbox.photo(pid).description == "kept"  # nothing blanked
    titled = replace_json(["--photo-id", pid, str(re_export(tmp_path / "titled.jpg", described("Harbour"), taken=None))],
                          cli_env)
    assert titled["metadata"]["in_file"] == ["title"]
