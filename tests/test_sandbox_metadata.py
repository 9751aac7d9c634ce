"""The sandbox's metadata methods as Flickr documents them: setMeta, tags with their authors,
setDates, the geo methods, getExif and delete; and what the website does beside them."""
from __future__ import annotations

import requests

from sandboxhttp import rest


def ok(response: requests.Response) -> dict:
    answer = response.json()
    assert answer["stat"] == "ok", answer
    return answer


def info(sandbox, pid: str) -> dict:
    return ok(rest(sandbox, "flickr.photos.getInfo", photo_id=pid))["photo"]


def test_set_meta_changes_only_what_is_sent_and_needs_one_of_the_two(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg().read_bytes(), title="IMG_4201", description="old words")
    ok(rest(sandbox, "flickr.photos.setMeta", photo_id=pid, title="Astronaut portrait ✨"))
    photo = info(sandbox, pid)
    assert (photo["title"]["_content"], photo["description"]["_content"]) == ("Astronaut portrait ✨", "old words")
    assert rest(sandbox, "flickr.photos.setMeta", photo_id=pid).json()["code"] == 2
    other = sandbox.add_photo(make_jpeg().read_bytes(), owner="someone")
    assert rest(sandbox, "flickr.photos.setMeta", photo_id=other, title="x").json()["code"] == 1
    assert rest(sandbox, "flickr.photos.setMeta", photo_id=pid, title="x", signed=False).json()["code"] == 99


def test_tags_keep_their_author_and_remove_tag_takes_only_its_own_id(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg().read_bytes(), tags=["sea"])
    [theirs] = sandbox.add_tags(pid, ["nice shot"], author="friend")
    added = ok(rest(sandbox, "flickr.photos.addTags", photo_id=pid, tags='portrait "New York" Sea'))
    assert [t["_content"] for t in added["tags"]["tag"]] == ["portrait", "New York"]  # sea was there
    tags = info(sandbox, pid)["tags"]["tag"]
    nsid = sandbox.user()["nsid"]
    assert [(t["raw"], t["_content"], t["author"] == nsid) for t in tags] == [
        ("sea", "sea", True), ("nice shot", "niceshot", False), ("portrait", "portrait", True),
        ("New York", "newyork", True)]
    assert tags[1]["id"] == theirs and tags[1]["authorname"] == "friend"
    ok(rest(sandbox, "flickr.photos.removeTag", tag_id=tags[2]["id"]))
    ids_after = [t["id"] for t in info(sandbox, pid)["tags"]["tag"]]
    assert ids_after == [tags[0]["id"], tags[1]["id"], tags[3]["id"]]  # the others keep their ids
    assert rest(sandbox, "flickr.photos.removeTag", tag_id=tags[2]["id"]).json()["code"] == 1
    ok(rest(sandbox, "flickr.photos.setTags", photo_id=pid, tags="only"))  # drops everyone's tags
    assert [t["raw"] for t in info(sandbox, pid)["tags"]["tag"]] == ["only"]


def test_set_dates_and_the_location_as_getinfo_and_getlocation_show_them(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg().read_bytes(), date_taken="2020-01-01 10:00:00")
    before = int(info(sandbox, pid)["dates"]["lastupdate"])
    ok(rest(sandbox, "flickr.photos.setDates", photo_id=pid, date_taken="2021-02-03 04:05:06"))
    dates = info(sandbox, pid)["dates"]
    assert dates["taken"] == "2021-02-03 04:05:06" and int(dates["lastupdate"]) > before
    assert rest(sandbox, "flickr.photos.setDates", photo_id=pid, date_taken="yesterday").json()["code"] == 4
    assert rest(sandbox, "flickr.photos.geo.getLocation", photo_id=pid).json()["code"] == 2
    ok(rest(sandbox, "flickr.photos.geo.setLocation", photo_id=pid, lat="-33.856784", lon="-70.5", accuracy="16"))
    where = ok(rest(sandbox, "flickr.photos.geo.getLocation", photo_id=pid))["photo"]["location"]
    assert (float(where["latitude"]), float(where["longitude"])) == (-33.856784, -70.5)
    assert float(info(sandbox, pid)["location"]["latitude"]) == -33.856784
    assert rest(sandbox, "flickr.photos.geo.setLocation", photo_id=pid, lat="91", lon="0").json()["code"] == 3
    ok(rest(sandbox, "flickr.photos.geo.removeLocation", photo_id=pid))
    assert "location" not in info(sandbox, pid)


def test_get_exif_reports_the_originals_capture_time_with_its_subseconds(sandbox, tmp_path):
    from PIL import Image

    path = tmp_path / "burst.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769).update({0x9003: "2024:05:06 07:08:09", 0x9291: "42"})
    Image.new("RGB", (64, 48), "teal").save(path, exif=exif)
    pid = sandbox.add_photo(path.read_bytes())
    tags = {e["tag"]: e["raw"]["_content"] for e in ok(rest(sandbox, "flickr.photos.getExif", photo_id=pid))["photo"]["exif"]}
    assert tags["DateTimeOriginal"] == "2024:05:06 07:08:09" and tags["SubSecTimeOriginal"] == "42"


def test_views_comments_and_website_edits_through_the_control_api(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg().read_bytes(), title="before")
    base = f"{sandbox.base_url}/_sandbox/photos/{pid}"
    edited = requests.patch(base, json={"views": 1204, "comments": 3, "title": "typed on the website"}, timeout=10)
    assert edited.status_code == 200, edited.text
    photo = info(sandbox, pid)
    assert (photo["views"], photo["comments"]["_content"], photo["title"]["_content"]) == (
        "1204", "3", "typed on the website")
    assert requests.patch(base, json={"secret": "x"}, timeout=10).status_code == 400
    requests.post(f"{base}/tags", params={"tags": "lovely", "author": "visitor"}, timeout=10).raise_for_status()
    [tag] = info(sandbox, pid)["tags"]["tag"]
    assert (tag["raw"], tag["authorname"]) == ("lovely", "visitor")
    ok(rest(sandbox, "flickr.photos.delete", photo_id=pid))
    assert rest(sandbox, "flickr.photos.getInfo", photo_id=pid).json()["code"] == 1


def test_flickrapi_sets_and_reads_metadata_against_the_sandbox(sandbox, make_jpeg):
    import flickrapi

    creds = sandbox.credentials
    pid = sandbox.add_photo(make_jpeg().read_bytes())
    api = flickrapi.FlickrAPI(creds["api_key"], creds["api_secret"], format="parsed-json", store_token=False,
                              token=flickrapi.auth.FlickrAccessToken(creds["oauth_token"], creds["oauth_token_secret"],
                                                                     "write", "Sandbox", "sandbox", sandbox.user()["nsid"]))
    api.REST_URL = f"{sandbox.base_url}/services/rest/"
    api.flickr_oauth.session.proxies = {}
    api.photos.setMeta(photo_id=pid, title="Zürich", description="Ñandú")
    api.photos.addTags(photo_id=pid, tags="東京 portrait")
    photo = api.photos.getInfo(photo_id=pid)["photo"]
    assert photo["title"]["_content"] == "Zürich" and photo["description"]["_content"] == "Ñandú"
    assert [t["raw"] for t in photo["tags"]["tag"]] == ["東京", "portrait"]
