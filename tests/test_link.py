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
    already = export(tmp_path / "files" / "known.jpg", "camera")
    Path(f"{already}.flickr.yaml").write_text(f'photo_id: "{ids["decoy"]}"\n')
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
    assert (known["status"], known["photo_id"]) == ("already", ids["decoy"])
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


def burst_frames(folder: Path) -> list[Path]:
    """Three frames of one burst, IMG_0101 to IMG_0103: one second, one aspect, near the same picture."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for i in range(3):
        path = folder / f"IMG_01{i + 1:02d}.jpg"
        path.write_bytes(jpeg_bytes(photo("astronaut").crop((i, 0, 510 + i, 510)), TAKEN))
        frames.append(path)
    return frames


@pytest.fixture
def burst(sandbox, tmp_path):
    """Only the first frame of a burst is on Flickr; all three are on disk."""
    frames = burst_frames(tmp_path / "burst")
    photo_id = sandbox.add_photo(frames[0].read_bytes(), "IMG_0101.jpg", title="IMG_0101")
    return photo_id, frames


def test_frames_of_a_burst_in_one_run_link_none_and_name_each_other(sandbox, cli_env, burst):
    photo_id, frames = burst
    ran = cli(["link", "--json", "--write", *map(str, frames)], cli_env)
    assert ran.returncode == 0, ran.stderr
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["ambiguous"] * 3
    assert all(line["photo_id"] is None and line["written"] is None for line in lines)
    assert all([c["photo_id"] for c in line["candidates"]] == [photo_id] for line in lines)
    for line, frame in zip(lines, frames):
        others = [str(f) for f in frames if f != frame]
        assert all(other in line["error"]["message"] for other in others), line
    assert not list(frames[0].parent.glob("*.flickr.yaml"))  # nothing recorded: a replace cannot hit the wrong page
    human = cli(["link", *map(str, frames[1:])], cli_env)
    assert human.returncode == 0 and str(frames[2]) in human.stdout.splitlines()[0]


def test_a_photo_recorded_for_another_file_is_not_linked_again(sandbox, cli_env, burst):
    photo_id, frames = burst
    first = json.loads(cli(["link", "--json", "--write", str(frames[0])], cli_env).stdout)
    assert (first["status"], first["written"]) == ("linked", f"{frames[0]}.flickr.yaml")
    third = json.loads(cli(["link", "--json", "--write", str(frames[2])], cli_env).stdout)
    assert (third["status"], third["photo_id"], third["written"]) == ("ambiguous", None, None)
    assert str(frames[0]) in third["error"]["message"]
    assert not Path(f"{frames[2]}.flickr.yaml").exists()
    again = json.loads(cli(["link", "--json", str(frames[0])], cli_env).stdout)  # its own record is no rival
    assert (again["status"], again["photo_id"]) == ("already", photo_id)


def test_a_photo_the_journal_holds_for_another_file_is_not_linked(sandbox, cli_env, tmp_path, burst):
    photo_id, frames = burst
    elsewhere = tmp_path / "exports" / "IMG_0101.jpg"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(frames[0].read_bytes())
    replaced = cli(["replace", "--json", "--photo-id", photo_id, str(elsewhere)], cli_env)
    assert json.loads(replaced.stdout)["status"] == "replaced", replaced.stdout
    [line] = [json.loads(x) for x in cli(["link", "--json", "--write", str(frames[2])], cli_env).stdout.splitlines()]
    assert (line["status"], line["written"]) == ("ambiguous", None)
    assert str(elsewhere) in line["error"]["message"]


def pattern(seed: int):
    """A picture of its own: coloured blocks no other seed shares, 512 x 384."""
    import numpy as np
    from PIL import Image

    blocks = np.random.default_rng(seed).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return Image.fromarray(blocks).resize((512, 384), Image.Resampling.BILINEAR)


def test_every_candidate_is_compared_however_many_share_date_and_aspect(sandbox, config, tmp_path):
    ids = [sandbox.add_photo(jpeg_bytes(pattern(seed), TAKEN), f"P{seed}.jpg", title=f"P{seed}") for seed in range(20)]
    mine = tmp_path / "renamed.jpg"
    mine.write_bytes(jpeg_bytes(pattern(7).resize((400, 300)), TAKEN))  # date and aspect agree with all 20
    [found] = link_photos([mine], config=config, cache_dir=tmp_path / "cache")
    assert (found.status.value, found.photo_id) == ("linked", ids[7])
    assert found.matched_on == ["date_taken", "aspect", "picture"]
    assert sum(r["route"] == "static" for r in sandbox.requests) == 20  # each small image fetched once


def test_temporary_errors_reading_the_list_and_images_are_retried(sandbox, account, tmp_path):
    ids, files = account
    config = Config(base_url=sandbox.base_url, state_dir=str(tmp_path / "state"), backoff=0.01, **sandbox.credentials)
    sandbox.faults.push("rest_error", method="flickr.people.getPhotos", status=502)
    sandbox.faults.push("http", scope="static", status=502)
    [found] = link_photos([files["linked"]], config=config, cache_dir=tmp_path / "cache")
    assert (found.status.value, found.photo_id, found.error) == ("linked", ids["coffee"], None)
    assert sandbox.faults.applied["rest_error"] == 1 and sandbox.faults.applied["http"] == 1
    sandbox.faults.push("rest_error", count=9, method="flickr.people.getPhotos", status=502)
    [lost] = link_photos([files["linked"]], config=config, cache_dir=tmp_path / "other", refresh=True)
    assert lost.status.value == "failed" and lost.error.retryable
    assert sandbox.faults.applied["rest_error"] == 1 + config.retries  # the retries, and no more


def test_a_small_image_flickr_no_longer_has_is_not_retried(sandbox, config, account, tmp_path):
    ids, files = account
    sandbox.faults.push("http", count=9, scope="static", status=404)  # the photo was deleted on flickr.com
    sandbox.clear_requests()
    [found] = link_photos([files["linked"]], config=config, cache_dir=tmp_path / "cache")
    assert (found.status.value, found.photo_id, found.error) == ("unmatched", None, None)
    assert sum(r["route"] == "static" for r in sandbox.requests) == 1


def test_link_takes_folders_and_with_recursive_their_subfolders(sandbox, cli_env, account, tmp_path):
    ids, files = account
    folder = tmp_path / "files"
    (folder / "notes.txt").write_text("not a photo")
    Path(f"{files['linked']}.xmp").write_text("<x/>")
    inner = export(folder / "more" / "DSC_0101.jpg", "coffee", taken="2022:07:14 08:30:05")
    ran = cli(["link", "--json", str(folder)], cli_env)
    assert ran.returncode == 0, ran.stderr
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert sorted(line["path"] for line in lines) == sorted(str(p) for p in files.values())
    assert {line["path"]: line["photo_id"] for line in lines}[str(files["linked"])] == ids["coffee"]
    deep = [json.loads(line) for line in cli(["link", "--json", "--recursive", str(folder)], cli_env).stdout.splitlines()]
    assert sorted(line["path"] for line in deep) == sorted([*map(str, files.values()), str(inner)])
    both = {line["path"]: line for line in deep}
    assert both[str(inner)]["status"] == both[str(files["linked"])]["status"] == "ambiguous"  # two copies, one photo
