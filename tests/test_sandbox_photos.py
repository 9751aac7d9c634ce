"""The sandbox's photo pages as clients read them: getInfo's whole answer, getSizes, the image files."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest
import requests
from requests_toolbelt import MultipartEncoder

from flickr_replace_plugin.sandbox import control
from sandboxhttp import MP4, build_upload, flickr_code, jpeg, post_photo, rest, sha256, xml


def image_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        return image.size


def sizes_of(sandbox, pid: str, **kw) -> dict[str, dict]:
    answer = rest(sandbox, "flickr.photos.getSizes", photo_id=pid, **kw).json()
    assert answer["stat"] == "ok", answer
    return {s["label"]: s for s in answer["sizes"]["size"]}


def test_get_info_is_flickrs_whole_answer_in_json_and_xml(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg(size=(640, 480)), title="Harbour", description="At dawn <b>early</b>",
                            tags=["sea", "New York", "flickr:photo_id=1"], date_taken="2021-06-05 04:03:02")
    photo = rest(sandbox, "flickr.photos.getInfo", photo_id=pid).json()["photo"]
    user = sandbox.user()
    assert (photo["id"], photo["media"], photo["server"], photo["farm"]) == (pid, "photo", "65535", 66)
    assert (photo["secret"], photo["originalsecret"], photo["originalformat"]) == (
        sandbox.photo(pid).secret, sandbox.photo(pid).originalsecret, "jpg")
    assert (photo["owner"]["nsid"], photo["owner"]["username"]) == (user["nsid"], "sandbox")
    assert photo["title"] == {"_content": "Harbour"}
    assert photo["description"] == {"_content": "At dawn <b>early</b>"}
    assert photo["visibility"] == {"ispublic": 1, "isfriend": 0, "isfamily": 0}
    dates = photo["dates"]
    assert dates["taken"] == "2021-06-05 04:03:02" and dates["takenunknown"] == "0"
    assert dates["posted"] == dates["lastupdate"] == photo["dateuploaded"]
    assert photo["usage"]["candownload"] == 1 and set(photo["usage"]) == {"candownload", "canblog", "canprint", "canshare"}
    assert set(photo["editability"]) == set(photo["publiceditability"]) == {"cancomment", "canaddmeta"}
    assert photo["comments"] == {"_content": "0"} and photo["notes"] == {"note": []}
    assert photo["people"] == {"haspeople": 0}
    tags = photo["tags"]["tag"]
    assert [(t["raw"], t["_content"], t["machine_tag"]) for t in tags] == [
        ("sea", "sea", 0), ("New York", "newyork", 0), ("flickr:photo_id=1", "flickr:photo_id=1", 1)]
    assert all(t["author"] == user["nsid"] for t in tags)
    assert photo["urls"]["url"] == [{"type": "photopage", "_content": f"https://www.flickr.com/photos/{user['nsid']}/{pid}/"}]

    tree = xml(rest(sandbox, "flickr.photos.getInfo", fmt="rest", photo_id=pid)).find("photo")
    assert tree.get("originalsecret") == photo["originalsecret"] and tree.findtext("title") == "Harbour"
    assert [t.text for t in tree.findall("tags/tag")] == ["sea", "newyork", "flickr:photo_id=1"]
    for child in ("owner", "visibility", "dates", "editability", "publiceditability", "usage", "comments",
                  "notes", "people", "urls/url"):
        assert tree.find(child) is not None, child


def test_get_sizes_addresses_serve_resized_jpegs_and_the_exact_original(sandbox, make_jpeg):
    original = make_jpeg(size=(1200, 800))
    pid = sandbox.add_photo(original)
    sizes = sizes_of(sandbox, pid)
    assert list(sizes) == ["Square", "Large Square", "Thumbnail", "Small", "Small 320", "Medium",
                           "Medium 640", "Medium 800", "Large", "Original"]
    for label, want in [("Square", (75, 75)), ("Thumbnail", (100, 67)), ("Small", (240, 160)),
                        ("Medium", (500, 333)), ("Large", (1024, 683))]:
        entry = sizes[label]
        assert (entry["width"], entry["height"]) == want and entry["media"] == "photo"
        got = requests.get(entry["source"], timeout=10)
        assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
        assert image_size(got.content) == want, label
    assert sizes["Small"]["source"].endswith(f"/65535/{pid}_{sandbox.photo(pid).secret}_m.jpg")
    assert sizes["Medium"]["source"].endswith(f"/{pid}_{sandbox.photo(pid).secret}.jpg")
    assert (sizes["Original"]["width"], sizes["Original"]["height"]) == (1200, 800)
    assert sizes["Original"]["source"].endswith(f"/{pid}_{sandbox.photo(pid).originalsecret}_o.jpg")
    assert requests.get(sizes["Original"]["source"], timeout=10).content == original.read_bytes()
    assert sizes["Original"]["url"].endswith(f"/{pid}/sizes/o/")


def test_a_small_photo_is_never_enlarged(sandbox, make_jpeg):
    sizes = sizes_of(sandbox, sandbox.add_photo(make_jpeg(size=(64, 48))))
    assert list(sizes) == ["Square", "Large Square", "Thumbnail", "Original"]
    assert (sizes["Thumbnail"]["width"], sizes["Thumbnail"]["height"]) == (64, 48)


def test_a_replace_changes_the_secrets_moves_lastupdate_and_kills_the_old_addresses(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg(size=(400, 300)))
    before = rest(sandbox, "flickr.photos.getInfo", photo_id=pid).json()["photo"]
    old = sizes_of(sandbox, pid)
    new_file = make_jpeg(size=(300, 400))
    assert xml(post_photo(sandbox, {"photo_id": pid}, jpeg(new_file))).get("stat") == "ok"
    after = rest(sandbox, "flickr.photos.getInfo", photo_id=pid).json()["photo"]
    assert after["secret"] != before["secret"] and after["originalsecret"] != before["originalsecret"]
    assert int(after["dates"]["lastupdate"]) > int(before["dates"]["lastupdate"])
    assert after["dates"]["posted"] == before["dates"]["posted"] and after["title"] == before["title"]
    for label in ("Small", "Original"):
        assert requests.get(old[label]["source"], timeout=10).status_code == 404, label
    new = sizes_of(sandbox, pid)
    assert requests.get(new["Original"]["source"], timeout=10).content == new_file.read_bytes()
    assert image_size(requests.get(new["Small"]["source"], timeout=10).content) == (180, 240)
    assert sandbox.photo_bytes(pid) == new_file.read_bytes()


def test_a_wrong_secret_size_or_server_is_not_found(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg(size=(400, 300)))
    photo = sandbox.photo(pid)
    base = sandbox.base_url
    for path in (f"/65535/{pid}_{photo.originalsecret}_m.jpg",  # the original's secret opens only the original
                 f"/65535/{pid}_{photo.secret}_o.jpg",  # and the photo's secret never the original
                 f"/65535/{pid}_{photo.secret}_k.jpg",  # a size the sandbox does not make
                 f"/65535/{pid}_{photo.secret}_b.jpg",  # Large: the original is smaller than 1024
                 f"/1234/{pid}_{photo.secret}_m.jpg",
                 f"/65535/{pid}_{photo.originalsecret}_o.png"):
        assert requests.get(base + path, timeout=10).status_code == 404, path
    download = requests.get(f"{base}/65535/{pid}_{photo.secret}_m_d.jpg", timeout=10)
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]


def test_private_photos_are_invisible_to_unsigned_calls(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg(), is_public=False, is_friend=True)
    for method in ("flickr.photos.getInfo", "flickr.photos.getSizes"):
        hidden = rest(sandbox, method, signed=False, photo_id=pid).json()
        assert (hidden["stat"], hidden["code"]) == ("fail", 1) and "not found" in hidden["message"]
        assert rest(sandbox, method, photo_id=pid).json()["stat"] == "ok"
    visibility = rest(sandbox, "flickr.photos.getInfo", photo_id=pid).json()["photo"]["visibility"]
    assert visibility == {"ispublic": 0, "isfriend": 1, "isfamily": 0}


def test_photos_of_another_user_and_videos(sandbox, make_jpeg):
    theirs = sandbox.add_photo(make_jpeg(), owner="someone")
    hidden = sandbox.add_photo(make_jpeg(), owner="someone", is_public=False)
    video = sandbox.add_photo(MP4, filename="clip.mp4")
    forced = sandbox.add_photo(make_jpeg(), media="video")
    info = rest(sandbox, "flickr.photos.getInfo", photo_id=theirs).json()["photo"]
    assert info["owner"]["username"] == "someone" and info["owner"]["nsid"] == sandbox.user("someone")["nsid"]
    assert info["owner"]["nsid"] != sandbox.user()["nsid"] and "originalsecret" not in info
    assert rest(sandbox, "flickr.photos.getInfo", photo_id=hidden).json()["code"] == 1  # even signed
    assert flickr_code(post_photo(sandbox, {"photo_id": theirs}, jpeg(make_jpeg()))) == 7
    for pid in (video, forced):
        assert rest(sandbox, "flickr.photos.getInfo", photo_id=pid).json()["photo"]["media"] == "video"
        assert flickr_code(post_photo(sandbox, {"photo_id": pid}, jpeg(make_jpeg()))) == 8
    assert [s["media"] for s in sizes_of(sandbox, video).values()] == ["video"]
    assert sandbox.photo(theirs).replacements == 0 and sandbox.photo(video).replacements == 0


def test_the_control_endpoint_makes_others_photos_and_videos_and_shows_the_bytes(sandbox, make_jpeg):
    data = make_jpeg().read_bytes()
    control_url = f"{sandbox.base_url}/_sandbox"
    made = requests.post(f"{control_url}/photos", params={"filename": "x.jpg", "owner": "else", "media": "video",
                                                          "is_public": "0", "tags": 'a "b c"'}, data=data).json()
    assert made["media"] == "video" and made["is_public"] == 0 and made["tags"] == ["a", "b c"]
    assert made["owner"] == sandbox.user("else")["nsid"]
    assert requests.get(f"{control_url}/photos/{made['id']}/bytes", timeout=10).content == data
    assert requests.get(f"{control_url}/photos/1/bytes", timeout=10).status_code == 404


def test_a_text_field_named_photo_is_not_the_file(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    new = make_jpeg()
    url, _, headers = build_upload(sandbox, {"photo_id": pid})
    encoder = MultipartEncoder(fields=[("photo", "a caption, not the file"), ("photo_id", pid),
                                       ("photo", (new.name, new.read_bytes(), "image/jpeg"))])
    answer = requests.post(url, data=encoder.to_string(), timeout=10,
                           headers={"Authorization": headers["Authorization"], "Content-Type": encoder.content_type})
    assert xml(answer).get("stat") == "ok", answer.text
    assert sandbox.photo(pid).sha256 == sha256(new)


def test_the_flickrapi_package_downloads_an_original(sandbox, make_jpeg):
    import flickrapi

    c = sandbox.credentials
    token = flickrapi.auth.FlickrAccessToken(c["oauth_token"], c["oauth_token_secret"], "write")
    flickr = flickrapi.FlickrAPI(c["api_key"], c["api_secret"], token=token, store_token=False, format="parsed-json")
    flickr.REST_URL = f"{sandbox.base_url}/services/rest/"
    original = make_jpeg(size=(300, 200))
    pid = sandbox.add_photo(original)
    sizes = flickr.photos.getSizes(photo_id=pid)["sizes"]["size"]
    source = next(s["source"] for s in sizes if s["label"] == "Original")
    assert requests.get(source, timeout=10).content == original.read_bytes()
    info = flickr.photos.getInfo(photo_id=pid)["photo"]
    assert source.endswith(f"_{info['originalsecret']}_o.{info['originalformat']}")


def test_control_needs_no_resource_module_and_reads_macos_rss_in_bytes(monkeypatch):
    script = "import sys; sys.modules['resource'] = None; import flickr_replace_plugin.sandbox.control as c; print(c.peak_rss_kb() >= 0)"
    assert subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout == "True\n"
    resource = pytest.importorskip("resource")

    def no_proc(*args, **kwargs):
        raise OSError("no /proc here")

    monkeypatch.setattr(control, "open", no_proc, raising=False)
    linux = control.peak_rss_kb()
    monkeypatch.setattr(sys, "platform", "darwin")
    assert control.peak_rss_kb() == resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    assert linux >= control.peak_rss_kb() > 0


def test_a_photo_deleted_or_replaced_on_the_website_is_gone_or_changed_for_every_client(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg(size=(640, 480)).read_bytes())
    before = sandbox.photo(pid)
    new = make_jpeg("web.jpg", size=(480, 640)).read_bytes()
    answer = requests.put(f"{sandbox.base_url}/_sandbox/photos/{pid}", data=new, params={"filename": "web.jpg"},
                          timeout=10)
    assert answer.status_code == 200 and answer.json()["sha256"] == sha256(new)
    after = sandbox.photo(pid)
    assert (after.secret, after.originalsecret) != (before.secret, before.originalsecret)
    assert sandbox.photo_bytes(pid) == new and after.replacements == 1
    path = after.data_path
    assert requests.delete(f"{sandbox.base_url}/_sandbox/photos/{pid}", timeout=10).json() == {"deleted": pid}
    assert rest(sandbox, "flickr.photos.getInfo", photo_id=pid).json()["code"] == 1
    assert not path.exists()
    assert requests.delete(f"{sandbox.base_url}/_sandbox/photos/{pid}", timeout=10).status_code == 404
