"""Photo lists and uploads as a link or upload-missing client sees them: paging, extras, metadata."""
from __future__ import annotations

import time
from pathlib import Path

import requests

from flickr_replace_plugin.sandbox import Sandbox
from sandboxhttp import post_photo, rest, xml

EXTRAS = "date_taken,original_format,o_dims,url_o,url_s,url_sq,url_t,url_m,last_update,media,tags,description"


def exif_jpeg(path: Path, taken: str, size: tuple[int, int] = (60, 40)) -> Path:
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = taken  # DateTimeOriginal, in the EXIF sub-IFD
    Image.new("RGB", size, (120, 30, 200)).save(path, "JPEG", exif=exif)
    return path


def photos(sandbox: Sandbox, method: str = "flickr.people.getPhotos", **params: str) -> dict:
    answer = rest(sandbox, method, **params).json()
    assert answer["stat"] == "ok", answer
    return answer["photos"]


def test_an_account_of_1200_photos_pages_by_500_newest_first(sandbox):
    ids = sandbox.seed(1200, title="frame {i}", date_taken=lambda i: f"2020-01-01 00:{i // 60 % 60:02d}:{i % 60:02d}")
    assert len(set(ids)) == 1200 and sandbox.stats()["photos"] == 1200
    seen = []
    for page in (1, 2, 3):
        got = photos(sandbox, user_id="me", per_page="500", page=str(page), extras="date_taken")
        assert (got["page"], got["pages"], got["perpage"], got["total"]) == (page, 3, 500, 1200)
        seen += got["photo"]
    assert [p["id"] for p in seen] == ids[::-1]  # the newest upload first, every photo once
    assert seen[0]["title"] == "frame 1199" and seen[-1]["datetaken"] == "2020-01-01 00:00:00"
    assert len(photos(sandbox, user_id="me", per_page="500", page="3")["photo"]) == 200
    past = photos(sandbox, user_id="me", per_page="500", page="4")
    assert past["photo"] == [] and past["total"] == 1200
    capped = photos(sandbox, user_id="me", per_page="5000")
    assert capped["perpage"] == 500 and len(capped["photo"]) == 500
    assert photos(sandbox, user_id="me")["perpage"] == 100  # Flickr's default


def test_extras_in_json_and_xml(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg(size=(800, 600)), title="Pier", description="long exposure",
                            tags=["Sea", "flickr:photo_id=9"], date_taken="2019-07-04 12:34:56")
    photo = sandbox.photo(pid)
    entry = photos(sandbox, user_id="me", extras=EXTRAS)["photo"][0]
    assert (entry["id"], entry["owner"], entry["secret"], entry["server"], entry["farm"]) == (
        pid, sandbox.user()["nsid"], photo.secret, "65535", 66)
    assert (entry["title"], entry["ispublic"], entry["isfriend"], entry["isfamily"]) == ("Pier", 1, 0, 0)
    assert (entry["datetaken"], entry["datetakenunknown"]) == ("2019-07-04 12:34:56", "0")
    assert (entry["originalsecret"], entry["originalformat"]) == (photo.originalsecret, "jpg")
    assert (entry["o_width"], entry["o_height"]) == ("800", "600")
    assert (entry["lastupdate"], entry["media"], entry["tags"]) == (str(photo.lastupdate), "photo", "sea")
    assert entry["description"] == {"_content": "long exposure"}
    for code, want in (("o", (800, 600)), ("s", (240, 180)), ("sq", (75, 75)), ("t", (100, 75)), ("m", (500, 375))):
        assert (entry[f"width_{code}"], entry[f"height_{code}"]) == want, code
        assert requests.get(entry[f"url_{code}"], timeout=10).status_code == 200, code
    assert requests.get(entry["url_o"], timeout=10).content == sandbox.photo_bytes(pid)

    tree = xml(rest(sandbox, "flickr.people.getPhotos", fmt="rest", user_id="me", extras=EXTRAS)).find("photos")
    assert tree.attrib == {"page": "1", "pages": "1", "perpage": "100", "total": "1"}
    node = tree.find("photo")
    assert node.get("url_sq") == entry["url_sq"] and node.get("width_o") == "800"
    assert node.findtext("description") == "long exposure"
    bare = photos(sandbox, user_id="me")["photo"][0]
    assert not {"datetaken", "url_o", "description", "originalsecret", "lastupdate"} & set(bare)


def test_who_sees_which_photos(sandbox, make_jpeg):
    mine_private = sandbox.add_photo(make_jpeg(), is_public=False)
    theirs = sandbox.add_photo(make_jpeg(), owner="friend")
    sandbox.add_photo(make_jpeg(), owner="friend", is_public=False)
    assert [p["id"] for p in photos(sandbox, user_id="me")["photo"]] == [mine_private]
    other = photos(sandbox, user_id=sandbox.user("friend")["nsid"])
    assert [p["id"] for p in other["photo"]] == [theirs] and other["total"] == 1
    nsid = sandbox.user()["nsid"]
    assert rest(sandbox, "flickr.people.getPhotos", signed=False, user_id=nsid).json()["photos"]["total"] == 0
    assert rest(sandbox, "flickr.people.getPhotos", signed=False, user_id="me").json()["code"] == 2
    assert rest(sandbox, "flickr.people.getPhotos", user_id="1@N01").json()["code"] == 2


def test_recently_updated_lists_changes_since_min_date(sandbox, make_jpeg):
    old, replaced, edited = (sandbox.add_photo(make_jpeg()) for _ in range(3))
    for pid in (old, replaced, edited):
        sandbox.update_photo(pid, uploaded=1_600_000_000, lastupdate=1_600_000_000)
    since = int(time.time()) - 1
    assert xml(post_photo(sandbox, {"photo_id": replaced}, (Path("new.jpg").name, make_jpeg().read_bytes()))).get("stat") == "ok"
    sandbox.update_photo(edited, title="renamed")
    got = photos(sandbox, "flickr.photos.recentlyUpdated", min_date=str(since), extras="date_taken")
    assert sorted(p["id"] for p in got["photo"]) == sorted([replaced, edited]) and got["total"] == 2
    assert all(int(p["lastupdate"]) >= since and "datetaken" in p for p in got["photo"])
    assert photos(sandbox, "flickr.photos.recentlyUpdated", min_date="0", per_page="2")["pages"] == 2
    assert rest(sandbox, "flickr.photos.recentlyUpdated", signed=False, min_date="0").json()["code"] == 99


def test_uploads_honour_title_description_tags_privacy_and_exif_date(sandbox, tmp_path, make_jpeg):
    taken = exif_jpeg(tmp_path / "DSC_0042.jpg", "2018:03:04 05:06:07")
    fields = {"title": "Market", "description": "Saturday", "tags": 'food "old town" flickr:photo_id=5',
              "is_public": "0", "is_friend": "1", "is_family": "0"}
    pid = xml(post_photo(sandbox, fields, (taken.name, taken.read_bytes()), route="upload")).findtext("photoid")
    info = rest(sandbox, "flickr.photos.getInfo", photo_id=pid).json()["photo"]
    assert (info["title"]["_content"], info["description"]["_content"]) == ("Market", "Saturday")
    assert [t["raw"] for t in info["tags"]["tag"]] == ["food", "old town", "flickr:photo_id=5"]
    assert info["visibility"] == {"ispublic": 0, "isfriend": 1, "isfamily": 0}
    assert (info["dates"]["taken"], info["dates"]["takenunknown"]) == ("2018-03-04 05:06:07", "0")
    assert rest(sandbox, "flickr.photos.getInfo", signed=False, photo_id=pid).json()["code"] == 1

    plain = make_jpeg("IMG_2001.jpg")
    ticket = xml(post_photo(sandbox, {"async": "1", "tags": "late"}, (plain.name, plain.read_bytes()),
                            route="upload")).findtext("ticketid")
    deadline = time.monotonic() + 30
    while (state := xml(rest(sandbox, "flickr.photos.upload.checkTickets", fmt="rest", tickets=ticket)).find(
            "uploader/ticket")).get("complete") != "1":
        assert time.monotonic() < deadline, "ticket never completed"
        time.sleep(0.05)
    info = rest(sandbox, "flickr.photos.getInfo", photo_id=state.get("photoid")).json()["photo"]
    assert info["title"]["_content"] == "IMG_2001"  # no title sent: the file name's stem
    assert info["dates"]["takenunknown"] == "1" and info["visibility"]["ispublic"] == 1
    assert [t["raw"] for t in info["tags"]["tag"]] == ["late"]


def test_seeding_over_http_and_a_seeded_account_restarts(tmp_path, make_jpeg):
    data = make_jpeg(size=(90, 60)).read_bytes()
    with Sandbox(data_dir=tmp_path / "sb") as sb:
        ids = requests.post(f"{sb.base_url}/_sandbox/seed", params={"n": "1100", "title": "IMG_{i:04d}"},
                            data=data, timeout=60).json()
        assert len(ids) == 1100 and sb.photo_bytes(ids[7]) == data and sb.photo(ids[7]).title == "IMG_0007"
    with Sandbox(data_dir=tmp_path / "sb") as sb:
        assert photos(sb, user_id="me", per_page="500")["total"] == 1100
        assert (sb.photo(ids[-1]).width, sb.photo(ids[-1]).height) == (90, 60)
