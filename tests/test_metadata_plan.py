"""Deciding what the photo's metadata becomes, from getInfo answers the sandbox really gives."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

from flickr_replace_plugin.config import Config
from flickr_replace_plugin.flickr.client import FlickrClient
from flickr_replace_plugin.metadata.plan import Ours, apply, kept, metres_apart, plan_changes
from flickr_replace_plugin.metadata.read import FileMetadata

SAMPLE = Path(__file__).parent.parent / "flickr_replace_plugin" / "data" / "sample.jpg"
TAKEN = "2019-07-04 12:34:56"
OTHER = "11111111@N01"


@pytest.fixture
def client(sandbox):
    flickr = FlickrClient(Config(base_url=sandbox.base_url, **sandbox.credentials))
    yield flickr
    flickr.close()


@pytest.fixture
def photo(sandbox, client) -> dict:
    """getInfo's `photo` for a photo titled IMG_4201 with the owner's tags `portrait` and `New York`."""
    pid = sandbox.add_photo(SAMPLE.read_bytes(), "IMG_4201.jpg", "IMG_4201", description="old caption",
                            tags=["portrait", "New York"], date_taken=TAKEN)
    return client.photo_info(pid)


def owner(photo: dict) -> str:
    return photo["owner"]["nsid"]


def same_as(photo: dict, **fields) -> FileMetadata:
    """A file that says what the photo already holds, but for `fields`."""
    base = FileMetadata(photo["title"]["_content"], photo["description"]["_content"],
                        [t["raw"] for t in photo["tags"]["tag"]], photo["dates"]["taken"])
    return FileMetadata(**{**vars(base), **fields})


def with_other_users_tag(photo: dict, raw: str = "Nice shot") -> dict:
    """The photo as getInfo shows it after another user tagged it on the website."""
    photo = copy.deepcopy(photo)
    number = owner(photo).split("@")[0]
    photo["tags"]["tag"].append({"id": f"{number}-{photo['id']}-99", "author": OTHER, "authorname": "friend",
                                 "raw": raw, "_content": "".join(c for c in raw.lower() if c.isalnum()),
                                 "machine_tag": 0})
    return photo


def methods(plan) -> list[str]:
    return [c.method for c in plan.calls]


def test_nothing_differs_no_call(photo) -> None:
    # "new york" and "Portrait" are Flickr's tags "newyork" and "portrait": compared as Flickr normalises
    file = same_as(photo, tags=["Portrait", "new york"])
    plan = plan_changes(file, photo, owner(photo), Ours(tags=("portrait",)))
    assert (plan.calls, plan.changed) == ([], {})


def test_no_title_in_the_file_keeps_flickrs_and_setmeta_sends_both(photo) -> None:
    plan = plan_changes(same_as(photo, title=None, description="Re-edited, warmer"), photo, owner(photo))
    [call] = plan.calls
    assert (call.method, call.params) == ("flickr.photos.setMeta", {
        "photo_id": photo["id"], "title": "IMG_4201", "description": "Re-edited, warmer"})
    assert plan.changed == {"description": {"from": "old caption", "to": "Re-edited, warmer"}}
    nothing = plan_changes(FileMetadata(title=None, description=None, date_taken=TAKEN), photo, owner(photo))
    assert "flickr.photos.setMeta" not in methods(nothing)


def test_title_and_description_in_one_call(photo) -> None:
    plan = plan_changes(same_as(photo, title="Astronaut portrait", description="Ñandú, 東京"), photo, owner(photo))
    assert methods(plan) == ["flickr.photos.setMeta"]
    assert plan.calls[0].params == {"photo_id": photo["id"], "title": "Astronaut portrait",
                                    "description": "Ñandú, 東京"}
    assert set(plan.changed) == {"title", "description"}


def test_others_tags_and_the_owners_website_tags_stay_ours_dropped_from_the_file_go(photo) -> None:
    photo = with_other_users_tag(photo)
    # "portrait" was added by this tool before; "New York" by the owner on the website; "Nice shot" by a friend
    file = same_as(photo, tags=["Zürich", "space walk"])
    plan = plan_changes(file, photo, owner(photo), Ours(tags=("portrait", "Nice shot")))
    portrait = next(t for t in photo["tags"]["tag"] if t["raw"] == "portrait")
    assert [(c.method, c.params) for c in plan.calls] == [
        ("flickr.photos.addTags", {"photo_id": photo["id"], "tags": 'Zürich "space walk"'}),
        ("flickr.photos.removeTag", {"tag_id": portrait["id"]}),
    ]
    assert plan.changed["tags"] == {"from": ["portrait", "New York", "Nice shot"],
                                    "to": ["New York", "Nice shot", "Zürich", "space walk"]}
    assert plan.ours_after(plan.changed).tags == ("Nice shot", "Zürich", "space walk")


def test_a_tag_not_ours_is_never_removed(photo) -> None:
    plan = plan_changes(same_as(photo, tags=["portrait"]), photo, owner(photo))
    assert plan.calls == [] and plan.changed == {}


def test_a_file_that_says_nothing_removes_nothing(photo) -> None:
    photo = {**photo, "location": {"latitude": "51.5", "longitude": "-0.12"}}
    plan = plan_changes(FileMetadata(), photo, owner(photo), Ours(tags=("portrait",), location=True))
    assert plan.calls == []
    saying = plan_changes(FileMetadata(date_taken=TAKEN), photo, owner(photo), Ours(tags=("portrait",), location=True))
    assert methods(saying) == ["flickr.photos.removeTag", "flickr.photos.geo.removeLocation"]


@pytest.mark.parametrize("taken, calls", [
    ("2019-07-04 12:34:56", []), ("2019-07-04 12:34:57", ["flickr.photos.setDates"]),
    ("2019-07-04 14:34:56", ["flickr.photos.setDates"]),  # a corrected time zone
])
def test_date_taken_differs_by_a_second_or_more(photo, taken: str, calls: list[str]) -> None:
    plan = plan_changes(same_as(photo, date_taken=taken), photo, owner(photo))
    assert methods(plan) == calls
    if calls:
        assert plan.calls[0].params == {"photo_id": photo["id"], "date_taken": taken, "date_taken_granularity": "0"}
        assert plan.changed["date_taken"] == {"from": TAKEN, "to": taken}


def test_an_unknown_date_taken_is_set(photo) -> None:
    photo = {**photo, "dates": {**photo["dates"], "takenunknown": "1"}}
    assert methods(plan_changes(same_as(photo), photo, owner(photo))) == ["flickr.photos.setDates"]


LONDON = (51.500152, -0.126236)


@pytest.mark.parametrize("north_metres, moves", [(0, False), (5, False), (9.5, False), (11, True), (500, True)])
def test_location_moves_past_ten_metres(photo, north_metres: float, moves: bool) -> None:
    photo = {**photo, "location": {"latitude": str(LONDON[0]), "longitude": str(LONDON[1]), "accuracy": "16"}}
    place = (LONDON[0] + north_metres / 111_195, LONDON[1])
    assert metres_apart(place, LONDON) == pytest.approx(north_metres, abs=0.05)
    plan = plan_changes(same_as(photo, location=place), photo, owner(photo))
    assert methods(plan) == (["flickr.photos.geo.setLocation"] if moves else [])
    if moves:
        assert plan.calls[0].params == {"photo_id": photo["id"], "lat": f"{place[0]:.6f}", "lon": "-0.126236",
                                        "accuracy": "16"}


def test_southern_western_location_on_a_photo_without_one(photo) -> None:
    plan = plan_changes(same_as(photo, location=(-33.8688, -70.6693)), photo, owner(photo))
    assert [c.params for c in plan.calls] == [
        {"photo_id": photo["id"], "lat": "-33.868800", "lon": "-70.669300", "accuracy": "16"}]
    assert plan.changed == {"location": {"from": None, "to": [-33.8688, -70.6693]}}
    assert plan.ours_after(plan.changed).location is True


def test_a_location_is_removed_only_when_ours(photo) -> None:
    photo = {**photo, "location": {"latitude": "51.5", "longitude": "-0.12"}}
    assert plan_changes(same_as(photo), photo, owner(photo)).calls == []
    plan = plan_changes(same_as(photo), photo, owner(photo), Ours(location=True))
    assert [(c.method, c.params) for c in plan.calls] == [
        ("flickr.photos.geo.removeLocation", {"photo_id": photo["id"]})]
    assert plan.ours_after(plan.changed).location is False


def test_only_the_enabled_fields(photo) -> None:
    file = same_as(photo, title="New", tags=["extra"], date_taken="2000-01-01 00:00:00", location=LONDON)
    assert methods(plan_changes(file, photo, owner(photo), fields={"tags"})) == ["flickr.photos.addTags"]
    plan = plan_changes(file, photo, owner(photo), fields={"description", "location"})
    assert methods(plan) == ["flickr.photos.geo.setLocation"]


def test_kept_views_and_comments(photo) -> None:
    assert kept(photo) == {"views": 0, "comments": 0}  # the sandbox's answer as it is
    assert kept({**photo, "views": "1204", "comments": {"_content": "3"}}) == {"views": 1204, "comments": 3}
    assert kept({}) == {"views": 0, "comments": 0}


def test_a_failing_call_stops_the_rest_and_says_why(sandbox, client, photo) -> None:
    photo = with_other_users_tag(photo)
    file = same_as(photo, title="Astronaut portrait", tags=["space"], date_taken="2020-01-01 10:00:00")
    plan = plan_changes(file, photo, owner(photo), Ours(tags=("portrait",)))
    assert methods(plan) == ["flickr.photos.setMeta", "flickr.photos.addTags", "flickr.photos.removeTag",
                             "flickr.photos.setDates"]
    sandbox.faults.push("rest_error", method="flickr.photos.setMeta", code=99)
    sandbox.clear_requests()
    changed, error = apply(plan, lambda method, params: client.rest(method, **params))
    assert changed == {} and error.startswith("flickr.photos.setMeta: ") and "permission" in error
    assert [r.get("rest_method") for r in sandbox.requests] == ["flickr.photos.setMeta"]


def test_apply_runs_the_calls_in_order_and_reports_a_partial_tags_change(sandbox, client, photo) -> None:
    plan = plan_changes(same_as(photo, tags=["space"]), photo, owner(photo), Ours(tags=("portrait", "New York")))
    assert methods(plan) == ["flickr.photos.addTags", "flickr.photos.removeTag", "flickr.photos.removeTag"]
    sent: list[tuple[str, dict]] = []

    def call(method: str, params: dict) -> dict:
        """Every call goes to the sandbox; the last one is refused there."""
        sent.append((method, params))
        if len(sent) == 3:
            sandbox.faults.push("rest_error", method="flickr.photos.removeTag", code=2)
        return client.rest(method, **params)

    changed, error = apply(plan, call)
    assert [m for m, _ in sent] == methods(plan) and error is not None
    assert changed == {"tags": {"from": ["portrait", "New York"], "to": ["New York", "space"]}}


def test_apply_against_the_sandbox_brings_the_photo_in_line(sandbox, client, photo) -> None:
    file = same_as(photo, title="Ñandú 東京", tags=["Zürich"], date_taken="2020-01-01 10:00:00",
                   location=(-33.8688, -70.6693))
    plan = plan_changes(file, photo, owner(photo), Ours(tags=("portrait",)))
    changed, error = apply(plan, lambda method, params: client.rest(method, **params))
    assert (error, changed) == (None, plan.changed)
    after = client.photo_info(photo["id"])
    assert after["title"]["_content"] == "Ñandú 東京" and after["dates"]["taken"] == "2020-01-01 10:00:00"
    assert sorted(t["raw"] for t in after["tags"]["tag"]) == ["New York", "Zürich"]
    assert plan_changes(file, after, owner(after), plan.ours_after(changed)).calls == []
