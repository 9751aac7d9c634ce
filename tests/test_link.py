"""`link`: files that carry no id matched to the user's photos on a sandbox of more than 1,000."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from clirun import cli
from flickr_replace_plugin import LinkResult, link_photos
from flickr_replace_plugin.config import Config
from pictures import export, jpeg_bytes, photo

LINK_KEYS = {"path", "status", "photo_id", "matched_on", "candidates", "written", "error"}
TAKEN = "2023:05:01 10:00:00"


@pytest.fixture
def config(sandbox, tmp_path) -> Config:
    return Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), **sandbox.credentials)


@pytest.fixture
def account(sandbox, tmp_path):
    """1,100 unrelated photos, one photo whose export we hold, a burst of three, a look-alike title."""
    sandbox.seed(1100)
    ids = {
        "coffee": sandbox.add_photo(jpeg_bytes(photo("coffee"), "2022:07:14 08:30:05"), "DSC_0101.jpg",
                                    title="DSC_0101"),
        "decoy": sandbox.add_photo(jpeg_bytes(photo("camera"), TAKEN), "IMG_5000.jpg", title="IMG_5000"),
        "burst": [sandbox.add_photo(jpeg_bytes(photo("astronaut").crop((i, 0, 512 - 2 + i, 510)), TAKEN),
                                    f"burst{i}.jpg", title="Burst") for i in range(3)],
    }
    files = tmp_path / "files"
    return ids, {
        "linked": export(files / "DSC_0101.jpg", "coffee", taken="2022:07:14 08:30:05"),
        "burst": export(files / "Burst.jpg", "astronaut", taken=TAKEN, scale=1.0, brighter=1.0),
        "unmatched": export(files / "chelsea.jpg", "chelsea"),
        "different": export(files / "IMG_5000.jpg", "rocket", taken=TAKEN),  # title and date agree, picture not
    }


def test_link_answers_for_each_kind_of_file(sandbox, config, account, tmp_path):
    ids, files = account
    already = export(tmp_path / "files" / "known.jpg", "coffee")
    Path(f"{already}.flickr.yaml").write_text(f'photo_id: "{ids["coffee"]}"\n')
    paths = [files["linked"], files["burst"], files["unmatched"], files["different"], already]
    results = list(link_photos(paths, write=True, config=config, cache_dir=tmp_path / "cache"))
    assert all(isinstance(r, LinkResult) and set(r.to_dict()) == LINK_KEYS for r in results)
    linked, burst, unmatched, different, known = (r.to_dict() for r in results)
    assert (linked["status"], linked["photo_id"]) == ("linked", ids["coffee"])
    assert set(linked["matched_on"]) == {"title", "date_taken", "aspect", "picture"}
    assert linked["written"] == f"{files['linked']}.flickr.yaml"
    assert ids["coffee"] in Path(linked["written"]).read_text()
    assert burst["status"] == "ambiguous" and burst["photo_id"] is None and burst["written"] is None
    assert sorted(c["photo_id"] for c in burst["candidates"]) == sorted(ids["burst"])
    assert all(c == {"photo_id": c["photo_id"], "title": "Burst", "date_taken": "2023-05-01 10:00:00"}
               for c in burst["candidates"])
    assert (unmatched["status"], unmatched["candidates"]) == ("unmatched", [])
    assert different["status"] == "unmatched"
    assert (known["status"], known["photo_id"]) == ("already", ids["coffee"])
    written = sorted(p.name for p in (tmp_path / "files").glob("*.flickr.yaml"))
    assert written == ["DSC_0101.jpg.flickr.yaml", "known.jpg.flickr.yaml"]  # only the unique match was recorded


def test_the_list_is_read_once_and_cached(sandbox, config, account, tmp_path):
    ids, files = account
    sandbox.clear_requests()
    list(link_photos([files["linked"], files["unmatched"]], config=config, cache_dir=tmp_path / "cache"))
    assert sandbox.rest_calls("flickr.people.getPhotos") == 3  # 1,105 photos, 500 a page
    sandbox.clear_requests()
    [again] = link_photos([files["linked"]], config=config, cache_dir=tmp_path / "cache")
    assert again.photo_id == ids["coffee"]
    assert sandbox.rest_calls() == 0 and not sandbox.requests  # list and small image both cached
    list(link_photos([files["linked"]], config=config, cache_dir=tmp_path / "cache", refresh=True))
    assert sandbox.rest_calls("flickr.people.getPhotos") == 3


def test_an_old_cache_is_brought_up_to_date_with_recently_updated(sandbox, config, account, tmp_path):
    ids, files = account
    list(link_photos([files["unmatched"]], config=config, cache_dir=tmp_path / "cache"))
    new_id = sandbox.add_photo(jpeg_bytes(photo("chelsea")), "chelsea.jpg", title="chelsea")
    [db] = (tmp_path / "cache").glob("*.sqlite")
    with sqlite3.connect(db) as conn:  # the list was read an hour ago
        conn.execute("UPDATE meta SET value = CAST(value AS REAL) - 3600 WHERE key = 'read_at'")
    sandbox.clear_requests()
    [found] = link_photos([files["unmatched"]], config=config, cache_dir=tmp_path / "cache")
    assert (found.status.value, found.photo_id) == ("linked", new_id)
    assert sandbox.rest_calls("flickr.people.getPhotos") == 0
    assert sandbox.rest_calls("flickr.photos.recentlyUpdated") == 1


def test_link_command_prints_json_and_exits_0_for_answers(sandbox, cli_env, account, tmp_path):
    ids, files = account
    ran = cli(["link", "--json", "--write", str(files["linked"]), str(files["burst"])], cli_env)
    assert ran.returncode == 0, ran.stderr
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [set(line) for line in lines] == [LINK_KEYS, LINK_KEYS]
    assert [line["status"] for line in lines] == ["linked", "ambiguous"]
    assert Path(f"{files['linked']}.flickr.yaml").exists() and not Path(f"{files['burst']}.flickr.yaml").exists()
    missing = cli(["link", str(tmp_path / "nope.jpg")], cli_env)
    assert missing.returncode == 1 and "no such file" in missing.stdout
    assert cli(["link", "--bogus", "x"], cli_env).returncode == 2
    human = cli(["link", str(files["unmatched"])], cli_env)
    assert human.returncode == 0 and "--upload-missing" in human.stdout
