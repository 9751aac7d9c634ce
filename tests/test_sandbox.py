"""The sandbox against real HTTP clients: it must behave as Flickr does, or tests built on it lie."""
from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from oauthlib.oauth1 import SIGNATURE_TYPE_BODY, Client
from requests_oauthlib import OAuth1, OAuth1Session
from requests_toolbelt import MultipartEncoder
from sandboxhttp import (
    CHECK_TICKETS,
    FORM,
    MP4,
    build_upload,
    flickr_code,
    jpeg,
    oauth_client,
    post_photo,
    raw_exchange,
    rest,
    sha256,
    xml,
)

from flickr_replace_plugin.flickr.responses import OAUTH_PROBLEMS
from flickr_replace_plugin.sandbox import Sandbox
from flickr_replace_plugin.sandbox.cli import add_arguments
from flickr_replace_plugin.sandbox.multipart import parse_disposition, parse_multipart

# -- signatures ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("oauth_in", ["header", "body"])
def test_replace_is_verified_and_stores_the_exact_bytes(sandbox, make_jpeg, oauth_in):
    pid = sandbox.add_photo(make_jpeg("old.jpg"))
    before = sandbox.photo(pid)
    new = make_jpeg("new.jpg")
    r = post_photo(sandbox, {"photo_id": pid, "async": "0"}, jpeg(new), oauth_in=oauth_in)
    assert r.status_code == 200 and xml(r).get("stat") == "ok"
    answer = xml(r).find("photoid")
    after = sandbox.photo(pid)
    assert answer.text == pid
    assert (answer.get("secret"), answer.get("originalsecret")) == (after.secret, after.originalsecret)
    assert re.fullmatch(r"[0-9a-f]{10}", after.secret) and re.fullmatch(r"[0-9a-f]{10}", after.originalsecret)
    assert after.secret != before.secret and after.originalsecret != before.originalsecret
    assert after.replacements == 1 and after.filename == "new.jpg"
    assert after.sha256 == sha256(new) and after.data_path.read_bytes() == new.read_bytes()
    assert after.size == new.stat().st_size

    entry = sandbox.requests[-1]
    assert (entry["path"], entry["method"], entry["status"], entry["auth_in"]) == (
        "/services/replace/", "POST", 200, oauth_in)
    assert {k: v for k, v in entry["fields"].items() if not k.startswith("oauth_")} == {"photo_id": pid, "async": "0"}
    assert {"photo_id", "async", "oauth_consumer_key", "oauth_token", "oauth_nonce", "oauth_timestamp",
            "oauth_signature_method"} <= entry["signed_params"]
    assert "photo" not in entry["signed_params"] and "oauth_signature" not in entry["signed_params"]
    assert (entry["photo_filename"], entry["photo_size"], entry["photo_sha256"]) == (
        "new.jpg", new.stat().st_size, sha256(new))


@pytest.mark.parametrize("signed", [{}, {"async": "0"}, {"photo_id": "1", "async": "0"}])
def test_a_field_left_out_of_the_signature_is_refused(sandbox, make_jpeg, signed):
    pid = sandbox.add_photo(make_jpeg())
    r = post_photo(sandbox, {"photo_id": pid, "async": "0"}, jpeg(make_jpeg()), sign=signed)
    assert r.status_code == 401 and r.headers["Content-Type"].startswith("text/plain")
    assert r.text.startswith("oauth_problem=signature_invalid&debug_sbs=POST%26http%253A%252F%252F127.0.0.1")
    assert sandbox.photo(pid).replacements == 0


def test_signing_the_photo_is_refused(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    r = post_photo(sandbox, {"photo_id": pid}, jpeg(make_jpeg("x.jpg")), sign={"photo_id": pid, "photo": "x.jpg"})
    assert r.status_code == 401 and "signature_invalid" in r.text


def test_a_nonce_is_good_once(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    url, body, headers = build_upload(sandbox, {"photo_id": pid}, jpeg(make_jpeg()))
    assert requests.post(url, data=body, headers=headers).status_code == 200
    again = requests.post(url, data=body, headers=headers)
    assert (again.status_code, again.text) == (401, "oauth_problem=nonce_used")
    assert sandbox.photo(pid).replacements == 1


def test_a_stale_timestamp_is_refused(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    r = post_photo(sandbox, {"photo_id": pid}, jpeg(make_jpeg()), timestamp=str(int(time.time()) - 700))
    assert r.status_code == 401 and r.text.startswith("oauth_problem=timestamp_refused&oauth_acceptable_timestamps=")


@pytest.mark.parametrize("creds, problem", [
    ({"api_key": "0" * 32}, "consumer_key_unknown"),
    ({"oauth_token": "72157000000000000-0000000000000000"}, "token_rejected"),
    ({"api_secret": "wrong"}, "signature_invalid"),
    ({"oauth_token_secret": "wrong"}, "signature_invalid"),
])
def test_wrong_credentials_answer_401_problems_the_contract_maps(sandbox, make_jpeg, creds, problem):
    pid = sandbox.add_photo(make_jpeg())
    r = post_photo(sandbox, {"photo_id": pid}, jpeg(make_jpeg()), creds=creds)
    assert r.status_code == 401 and r.text.split("&")[0] == f"oauth_problem={problem}"
    assert OAUTH_PROBLEMS[problem] == {"consumer_key_unknown": 100, "token_rejected": 98,
                                       "signature_invalid": 96}[problem]
    assert sandbox.requests[-1]["oauth_problem"] == problem


def test_a_missing_signature_is_parameter_absent(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    url, _, _ = build_upload(sandbox, {"photo_id": pid}, oauth_in="body")
    client = oauth_client(sandbox, signature_type=SIGNATURE_TYPE_BODY)
    _, _, signed = client.sign(url, "POST", body=urlencode({"photo_id": pid}), headers=dict(FORM))
    fields = [(k, v) for k, v in parse_qsl(signed) if k != "oauth_signature"]
    encoder = MultipartEncoder(fields=[*fields, ("photo", ("a.jpg", make_jpeg().read_bytes()))])
    r = requests.post(url, data=encoder.to_string(), headers={"Content-Type": encoder.content_type})
    assert (r.status_code, r.text) == (401, "oauth_problem=parameter_absent&oauth_parameters_absent=oauth_signature")
    assert OAUTH_PROBLEMS["parameter_absent"] == 97


def test_utf8_file_names_arrive_intact(sandbox, make_jpeg):
    name = "Été à Zürich – ✓ 写真.jpg"
    path = make_jpeg(name)
    r = post_photo(sandbox, {"title": name}, jpeg(path), route="upload")
    pid = xml(r).findtext("photoid")
    assert r.status_code == 200 and pid
    photo = sandbox.photo(pid)
    assert photo.filename == name and photo.sha256 == sha256(path)
    assert sandbox.requests[-1]["photo_filename"] == name


@pytest.mark.parametrize("header, name", [
    ('form-data; name="photo"; filename="caf\u00e9 \\"x\\".jpg"', 'café "x".jpg'),
    ('form-data; name="photo"; filename="a%22b.jpg"', 'a"b.jpg'),
    ("form-data; name=\"photo\"; filename=\"fallback.jpg\"; filename*=UTF-8''%C3%A9t%C3%A9.jpg", "été.jpg"),
])
def test_content_disposition_file_name_forms(header, name):
    assert parse_disposition(header) == ("photo", name)


@settings(max_examples=40, deadline=None)
@given(fields=st.lists(st.tuples(st.sampled_from(["a", "photo_id", "title"]), st.text(max_size=40)), max_size=4),
       photo=st.binary(max_size=1500), chunk=st.integers(min_value=1, max_value=97))
def test_streaming_multipart_parse_matches_what_was_encoded(fields, photo, chunk):
    encoder = MultipartEncoder(fields=[*fields, ("photo", ("p.jpg", photo, "image/jpeg"))])
    body = io.BytesIO(encoder.to_string())
    received = io.BytesIO()
    boundary = encoder.boundary_value.encode()
    parsed = parse_multipart(lambda: body.read(chunk), boundary,
                             lambda name, filename: received if name == "photo" else None)
    assert parsed == fields
    assert received.getvalue() == photo


# -- Flickr's answers -------------------------------------------------------------------------------

def test_upload_and_replace_refusals_use_flickrs_codes(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    video = sandbox.add_photo(MP4, filename="clip.mp4")
    good = jpeg(make_jpeg())
    cases = [
        (post_photo(sandbox, {"photo_id": pid}), 2),
        (post_photo(sandbox, {"photo_id": pid}, ("empty.jpg", b"")), 4),
        (post_photo(sandbox, {"photo_id": pid}, ("notes.jpg", b"just some text, not an image")), 5),
        (post_photo(sandbox, {"photo_id": "99999999999"}, good), 7),
        (post_photo(sandbox, {"photo_id": video}, good), 8),
        (post_photo(sandbox, {"photo_id": pid}, ("clip.mp4", MP4)), 8),
    ]
    for response, code in cases:
        assert response.status_code == 200 and xml(response).get("stat") == "fail"
        assert flickr_code(response) == code, response.text
        assert xml(response).find("err").get("msg")
    assert sandbox.photo(pid).replacements == 0 and sandbox.photo(video).replacements == 0


def test_file_size_limit_is_reported_and_enforced(sandbox, make_jpeg):
    status = rest(sandbox, "flickr.people.getUploadStatus").json()
    assert status["stat"] == "ok"
    assert status["user"]["filesize"]["maxbytes"] == str(200 * 1024 * 1024)
    assert status["user"]["ispro"] == 1 and "bandwidth" in status["user"]
    sandbox.max_bytes = 500
    user = xml(rest(sandbox, "flickr.people.getUploadStatus", fmt="rest")).find("user")
    assert user.find("filesize").attrib == {"maxbytes": "500", "maxkb": "0", "maxmb": "0"}
    pid = sandbox.add_photo(make_jpeg())
    big = make_jpeg(size=(200, 200))
    assert big.stat().st_size > 500
    assert flickr_code(post_photo(sandbox, {"photo_id": pid}, jpeg(big))) == 6


def test_get_info_shows_the_new_secrets_after_a_replace(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    before = rest(sandbox, "flickr.photos.getInfo", photo_id=pid).json()["photo"]
    answer = xml(post_photo(sandbox, {"photo_id": pid}, jpeg(make_jpeg()))).find("photoid")
    after = rest(sandbox, "flickr.photos.getInfo", http="GET", photo_id=pid).json()["photo"]
    assert after["id"] == pid
    assert (after["secret"], after["originalsecret"]) == (answer.get("secret"), answer.get("originalsecret"))
    assert after["secret"] != before["secret"] and after["originalsecret"] != before["originalsecret"]
    public = xml(rest(sandbox, "flickr.photos.getInfo", signed=False, fmt="rest", photo_id=pid)).find("photo")
    assert public.get("secret") == after["secret"] and public.get("originalsecret") is None
    missing = rest(sandbox, "flickr.photos.getInfo", photo_id="1").json()
    assert missing["stat"] == "fail" and missing["code"] == 1


def test_rest_formats_logins_and_errors(sandbox):
    login = rest(sandbox, "flickr.test.login", http="GET").json()
    assert login["stat"] == "ok" and login["user"]["username"]["_content"] == "sandbox"
    check = xml(rest(sandbox, "flickr.auth.oauth.checkToken", fmt="rest")).find("oauth")
    assert check.findtext("token") == sandbox.credentials["oauth_token"] and check.findtext("perms") == "write"
    jsonp = rest(sandbox, "flickr.test.login", fmt="rest", format="json")
    assert jsonp.text.startswith("jsonFlickrApi({") and jsonp.text.endswith("})")
    assert rest(sandbox, "flickr.test.login", signed=False).json()["code"] == 99
    assert rest(sandbox, "flickr.no.such.method").json()["code"] == 112
    assert rest(sandbox, "flickr.test.login", signed=False, api_key="nope").json()["code"] == 100
    assert sandbox.rest_calls() == 6 and sandbox.rest_calls("flickr.test.login") == 4


def test_async_tickets_complete_later_and_are_polled_in_batches(sandbox, make_jpeg):
    pids = [sandbox.add_photo(make_jpeg()) for _ in range(2)]
    files = [make_jpeg() for _ in range(3)]
    sandbox.ticket_delay = 3600.0  # held until released: a loaded machine cannot finish them early
    tickets = [xml(post_photo(sandbox, {"photo_id": pid, "async": "1"}, jpeg(f))).findtext("ticketid")
               for pid, f in zip(pids, files)]
    tickets.append(xml(post_photo(sandbox, {"async": "1"}, jpeg(files[2]), route="upload")).findtext("ticketid"))
    assert all(re.fullmatch(r"\d{9}-\d{17}", t) for t in tickets)
    assert sandbox.photo(pids[0]).replacements == 0  # applied when the ticket completes, not before

    first = rest(sandbox, CHECK_TICKETS, tickets=",".join(tickets + ["123-456"])).json()
    assert first["stat"] == "ok"
    states = first["uploader"]["ticket"]
    assert [(t["id"], t["complete"]) for t in states[:3]] == [(t, 0) for t in tickets]
    assert states[3] == {"id": "123-456", "invalid": 1}

    sandbox.release_tickets()
    done = xml(rest(sandbox, CHECK_TICKETS, fmt="rest", tickets=",".join(tickets))).findall("uploader/ticket")
    assert [t.get("complete") for t in done] == ["1", "1", "1"]
    assert [t.get("photoid") for t in done[:2]] == pids
    assert all(t.get("imported", "").isdigit() for t in done)
    new_id = done[2].get("photoid")
    assert new_id not in pids and sandbox.photo(new_id).sha256 == sha256(files[2])
    for pid, f in zip(pids, files):
        assert sandbox.photo(pid).replacements == 1 and sandbox.photo(pid).sha256 == sha256(f)
    json_done = rest(sandbox, CHECK_TICKETS, tickets=tickets[0]).json()["uploader"]["ticket"]
    assert json_done == [{"id": tickets[0], "complete": 1, "photoid": pids[0], "imported": done[0].get("imported")}]
    assert sandbox.rest_calls(CHECK_TICKETS) == 3


def test_photos_tickets_and_credentials_survive_restarts(tmp_path, make_jpeg):
    data = tmp_path / "sandbox"
    with Sandbox(data, ticket_delay=0.2) as sb:
        creds, url = sb.credentials, sb.base_url
        pid = sb.add_photo(make_jpeg())
        new = make_jpeg()
        ticket = xml(post_photo(sb, {"photo_id": pid, "async": "1"}, jpeg(new))).findtext("ticketid")
        sb.stop()
        with pytest.raises(requests.ConnectionError):
            requests.get(url + "/_sandbox/stats", timeout=2)
        sb.start()
        assert sb.base_url == url
        assert rest(sb, "flickr.test.login").json()["stat"] == "ok"
    with Sandbox(data, ticket_delay=0.2) as again:
        assert again.credentials == creds
        time.sleep(0.25)
        state = rest(again, CHECK_TICKETS, tickets=ticket).json()["uploader"]["ticket"][0]
        assert state["complete"] == 1 and state["photoid"] == pid
        photo = again.photo(pid)
        assert photo.sha256 == sha256(new) and photo.data_path.read_bytes() == new.read_bytes()


# -- bodies a real server refuses ---------------------------------------------------------------------

@pytest.mark.parametrize("cut", ["declared_longer", "body_truncated"])
def test_a_short_body_is_refused_and_replaces_nothing(sandbox, make_jpeg, cut):
    pid = sandbox.add_photo(make_jpeg())
    url, body, headers = build_upload(sandbox, {"photo_id": pid}, jpeg(make_jpeg(size=(300, 200))))
    length = len(body) + 1000 if cut == "declared_longer" else len(body)
    sent = body if cut == "declared_longer" else body[: len(body) // 2]
    head = (f"POST /services/replace/ HTTP/1.1\r\nHost: 127.0.0.1:{sandbox.port}\r\n"
            f"Authorization: {headers['Authorization']}\r\nContent-Type: {headers['Content-Type']}\r\n"
            f"Content-Length: {length}\r\n\r\n")
    answer = raw_exchange(sandbox, head, sent)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in answer
    assert sandbox.photo(pid).replacements == 0
    assert sandbox.requests[-1]["status"] == 400
    assert list((sandbox.store.incoming).iterdir()) == []


def test_a_chunked_body_without_length_is_refused(sandbox):
    head = (f"POST /services/replace/ HTTP/1.1\r\nHost: 127.0.0.1:{sandbox.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert raw_exchange(sandbox, head, b"5\r\nhello\r\n0\r\n\r\n").startswith(b"HTTP/1.1 411 ")


# -- faults ---------------------------------------------------------------------------------------------

def test_error_faults_answer_flickr_codes_then_clear(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    sandbox.faults.push("error", code=105)
    sandbox.faults.push("error", count=2, code=106)
    photo = jpeg(make_jpeg())
    assert [flickr_code(post_photo(sandbox, {"photo_id": pid}, photo)) for _ in range(4)] == [105, 106, 106, None]
    assert sandbox.photo(pid).replacements == 1
    assert [e["faults"] for e in sandbox.requests] == [["error"], ["error"], ["error"], []]


@pytest.mark.parametrize("status", [500, 502, 504])
def test_http_faults(sandbox, make_jpeg, status):
    pid = sandbox.add_photo(make_jpeg())
    sandbox.faults.push("http", status=status)
    r = post_photo(sandbox, {"photo_id": pid}, jpeg(make_jpeg()))
    assert r.status_code == status and "<rsp" not in r.text
    assert sandbox.photo(pid).replacements == 0


@pytest.mark.parametrize("kind, opts, replaced", [
    ("drop_before_body", {}, 0),
    ("drop_after_body", {}, 0),
    ("drop_after_body", {"apply": True}, 1),  # carried out, the answer lost
])
def test_dropped_connections(sandbox, make_jpeg, kind, opts, replaced):
    pid = sandbox.add_photo(make_jpeg())
    sandbox.faults.push(kind, **opts)
    with pytest.raises(requests.ConnectionError):
        post_photo(sandbox, {"photo_id": pid}, jpeg(make_jpeg(size=(400, 300))))
    assert sandbox.photo(pid).replacements == replaced
    assert sandbox.requests[-1]["status"] is None and sandbox.requests[-1]["faults"] == [kind]
    assert post_photo(sandbox, {"photo_id": pid}, jpeg(make_jpeg())).status_code == 200


def test_slow_answers(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    sandbox.faults.push("slow", seconds=0.4)
    started = time.monotonic()
    assert post_photo(sandbox, {"photo_id": pid}, jpeg(make_jpeg())).status_code == 200
    assert time.monotonic() - started >= 0.4
    sandbox.faults.push("slow", seconds=1.0, scope="rest")
    with pytest.raises(requests.ReadTimeout):
        requests.get(f"{sandbox.base_url}/services/rest/", timeout=0.3,
                     params={"method": "flickr.test.login", "api_key": sandbox.credentials["api_key"]})


def test_ticket_faults(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    sandbox.faults.push("ticket_fail")
    sandbox.faults.push("ticket_invalid")
    tickets = [xml(post_photo(sandbox, {"photo_id": pid, "async": "1"}, jpeg(make_jpeg()))).findtext("ticketid")
               for _ in range(2)]
    time.sleep(0.3)
    states = rest(sandbox, CHECK_TICKETS, tickets=",".join(tickets)).json()["uploader"]["ticket"]
    assert states == [{"id": tickets[0], "complete": 2}, {"id": tickets[1], "invalid": 1}]
    assert sandbox.photo(pid).replacements == 0


def test_rest_error_fails_check_tickets_only(sandbox):
    sandbox.faults.push("rest_error", count=2)
    sandbox.faults.push("rest_error", status=502)
    for _ in range(2):
        assert rest(sandbox, "flickr.test.login").json()["stat"] == "ok"
        failed = rest(sandbox, CHECK_TICKETS, tickets="1-2").json()
        assert (failed["stat"], failed["code"]) == ("fail", 105)
    assert rest(sandbox, CHECK_TICKETS, tickets="1-2").status_code == 502
    assert rest(sandbox, CHECK_TICKETS, tickets="1-2").json()["stat"] == "ok"


def test_fault_scope(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    sandbox.faults.push("error", code=116, scope="upload")
    assert flickr_code(post_photo(sandbox, {"photo_id": pid}, jpeg(make_jpeg()))) is None
    assert flickr_code(post_photo(sandbox, {}, jpeg(make_jpeg()), route="upload")) == 116
    with pytest.raises(ValueError):
        sandbox.faults.push("error", scope="nowhere")
    with pytest.raises(ValueError):
        sandbox.faults.push("meteor")


def test_faults_and_stats_over_http(sandbox, make_jpeg):
    pid = sandbox.add_photo(make_jpeg())
    control = f"{sandbox.base_url}/_sandbox"
    queued = requests.post(f"{control}/faults", json=[{"kind": "http", "status": 504}, {"kind": "error", "code": 106}])
    assert [f["kind"] for f in queued.json()] == ["http", "error"]
    assert requests.post(f"{control}/faults", json={"kind": "meteor"}).status_code == 400
    photo = jpeg(make_jpeg())
    assert post_photo(sandbox, {"photo_id": pid}, photo).status_code == 504
    assert flickr_code(post_photo(sandbox, {"photo_id": pid}, photo)) == 106
    assert post_photo(sandbox, {"photo_id": pid}, photo).status_code == 200
    rest(sandbox, CHECK_TICKETS, tickets="1-2")
    stats = requests.get(f"{control}/stats").json()
    assert stats["by_route"] == {"replace": 3, "rest": 1}
    assert stats["rest_calls"] == {CHECK_TICKETS: 1} and stats["rest_calls_total"] == 1
    assert stats["faults_applied"] == {"http": 1, "error": 1} and stats["faults_pending"] == []
    assert stats["photos"] == 1 and stats["peak_rss_kb"] > 0
    record = requests.get(f"{control}/photos/{pid}").json()
    assert record["replacements"] == 1 and record["sha256"] == sha256(photo[1])
    seeded = requests.post(f"{control}/photos", params={"filename": "seed.jpg"}, data=photo[1]).json()
    assert sandbox.photo(seeded["id"]).sha256 == sha256(photo[1])
    log = requests.get(f"{control}/requests").json()
    assert [e["status"] for e in log] == [504, 200, 200, 200] and "photo_id" in log[2]["signed_params"]


def test_latency_delays_every_flickr_answer(tmp_path):
    with Sandbox(tmp_path / "sb", latency=0.3) as sb:
        started = time.monotonic()
        assert rest(sb, "flickr.test.login").json()["stat"] == "ok"
        assert time.monotonic() - started >= 0.3


# -- real clients ----------------------------------------------------------------------------------------

def test_oauth_dance_with_requests_oauthlib(sandbox):
    from requests_oauthlib.oauth1_session import TokenRequestDenied

    creds = sandbox.credentials
    base = f"{sandbox.base_url}/services/oauth"
    session = OAuth1Session(creds["api_key"], client_secret=creds["api_secret"], callback_uri="oob")
    assert session.fetch_request_token(f"{base}/request_token")["oauth_callback_confirmed"] == "true"
    page = requests.get(session.authorization_url(f"{base}/authorize", perms="write"))
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    verifier = re.search(r'id="verifier">(\d{3}-\d{3}-\d{3})<', page.text).group(1)
    token = session.fetch_access_token(f"{base}/access_token", verifier=verifier)
    assert (token["oauth_token"], token["oauth_token_secret"]) == (creds["oauth_token"], creds["oauth_token_secret"])
    assert token["user_nsid"] and token["username"] == "sandbox"
    granted = OAuth1Session(creds["api_key"], creds["api_secret"], token["oauth_token"], token["oauth_token_secret"])
    login = granted.get(f"{sandbox.base_url}/services/rest/",
                        params={"method": "flickr.test.login", "format": "json", "nojsoncallback": "1"})
    assert login.json()["stat"] == "ok"
    with pytest.raises(TokenRequestDenied):  # the request token was good for one exchange
        OAuth1Session(creds["api_key"], creds["api_secret"], session.token["oauth_token"],
                      verifier=verifier).fetch_access_token(f"{base}/access_token")


def test_oauth_token_endpoints_answer_get_and_check_the_verifier(sandbox):
    creds = sandbox.credentials
    base = f"{sandbox.base_url}/services/oauth"
    answer = requests.get(f"{base}/request_token", auth=OAuth1(creds["api_key"], creds["api_secret"], callback_uri="oob"))
    request_token = dict(parse_qsl(answer.text))
    token, secret = request_token["oauth_token"], request_token["oauth_token_secret"]

    def exchange(verifier: str) -> requests.Response:
        return requests.get(f"{base}/access_token",
                            auth=OAuth1(creds["api_key"], creds["api_secret"], token, secret, verifier=verifier))

    assert exchange("123-456-789").text == "oauth_problem=permission_unknown"  # not authorized yet
    requests.get(f"{base}/authorize", params={"oauth_token": token, "perms": "write"})
    wrong = exchange("000-000-000")
    assert wrong.status_code == 401 and wrong.text.startswith("oauth_problem=parameter_rejected")
    assert requests.get(f"{base}/authorize", params={"oauth_token": "nope"}).status_code == 400


def test_the_flickrapi_package_uploads_and_replaces_against_the_sandbox(sandbox, make_jpeg):
    import flickrapi

    c = sandbox.credentials
    token = flickrapi.auth.FlickrAccessToken(c["oauth_token"], c["oauth_token_secret"], "write")
    flickr = flickrapi.FlickrAPI(c["api_key"], c["api_secret"], token=token, store_token=False, format="etree")
    flickr.REST_URL = f"{sandbox.base_url}/services/rest/"
    flickr.UPLOAD_URL = f"{sandbox.base_url}/services/upload/"
    flickr.REPLACE_URL = f"{sandbox.base_url}/services/replace/"

    first, second, third = make_jpeg("first.jpg"), make_jpeg("Süß.jpg"), make_jpeg("third.jpg")
    pid = flickr.upload(str(first), title="Ünïcode title").findtext("photoid")
    assert sandbox.photo(pid).sha256 == sha256(first) and sandbox.photo(pid).title == "Ünïcode title"

    answer = flickr.replace(str(second), photo_id=pid).find("photoid")
    photo = sandbox.photo(pid)
    assert photo.sha256 == sha256(second) and answer.get("secret") == photo.secret
    entry = sandbox.requests[-1]
    assert {"photo_id", "api_key", "title"} <= entry["signed_params"] and "photo" not in entry["signed_params"]
    assert flickr.photos.getInfo(photo_id=pid).find("photo").get("originalsecret") == photo.originalsecret

    ticket = flickr.replace(str(third), photo_id=pid, **{"async": "1"}).findtext("ticketid")
    time.sleep(0.3)
    state = flickr.photos.upload.checkTickets(tickets=ticket).find("uploader/ticket")
    assert (state.get("complete"), state.get("photoid")) == ("1", pid)
    assert sandbox.photo(pid).sha256 == sha256(third)


# -- the command ----------------------------------------------------------------------------------------

def test_sandbox_arguments():
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--port", "8123", "--max-bytes", "2G", "--latency", "0.1", "--ticket-delay", "0"])
    assert (args.port, args.max_bytes, args.latency, args.ticket_delay, args.host) == (8123, 2 << 30, 0.1, 0.0,
                                                                                     "127.0.0.1")
    with pytest.raises(SystemExit):
        parser.parse_args(["--max-bytes", "lots"])


def _start_process(*args: str) -> tuple[subprocess.Popen, dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "flickr_replace_plugin.sandbox", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, json.loads(proc.stdout.readline())


def test_command_prints_credentials_first_and_stops_cleanly(tmp_path):
    proc, info = _start_process("--data", str(tmp_path / "data"))
    try:
        assert set(info) == {"base_url", "api_key", "api_secret", "oauth_token", "oauth_token_secret"}
        assert info["base_url"].startswith("http://127.0.0.1:")
        login = requests.get(f"{info['base_url']}/services/rest/",
                             params={"method": "flickr.test.login", "api_key": info["api_key"]})
        assert "<err code=\"99\"" in login.text
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    again, info_again = _start_process("--data", str(tmp_path / "data"))
    again.send_signal(signal.SIGINT)
    assert again.wait(timeout=10) == 0
    assert info_again["oauth_token_secret"] == info["oauth_token_secret"]


def test_a_large_upload_costs_the_sandbox_no_memory(tmp_path):
    """Streamed to disk: 96 MiB in grows the server's peak RSS by far less than the file."""
    size = 96 << 20
    big = tmp_path / "big.jpg"
    with open(big, "wb") as fh:  # a JPEG signature, then a sparse tail
        fh.write(b"\xff\xd8\xff\xe0" + b"\x00" * 60)
        fh.truncate(size)
    proc, info = _start_process("--data", str(tmp_path / "data"))
    try:
        control = f"{info['base_url']}/_sandbox"
        pid = requests.post(f"{control}/photos", params={"filename": "seed.jpg"}, data=b"\xff\xd8\xff" + b"1" * 99).json()["id"]
        client = Client(info["api_key"], client_secret=info["api_secret"], resource_owner_key=info["oauth_token"],
                        resource_owner_secret=info["oauth_token_secret"])
        url = f"{info['base_url']}/services/replace/"

        def upload(path: Path) -> requests.Response:
            _, headers, _ = client.sign(url, "POST", body=urlencode({"photo_id": pid}), headers=dict(FORM))
            with open(path, "rb") as fh:
                encoder = MultipartEncoder(fields=[("photo_id", pid), ("photo", (path.name, fh, "image/jpeg"))])
                return requests.post(url, data=encoder, timeout=60,
                                     headers={"Authorization": headers["Authorization"],
                                              "Content-Type": encoder.content_type})

        small = tmp_path / "small.jpg"
        small.write_bytes(b"\xff\xd8\xff" + b"2" * 1000)
        assert upload(small).status_code == 200  # warm up: imports, first connection
        before = requests.get(f"{control}/stats").json()["peak_rss_kb"]
        assert xml(upload(big)).get("stat") == "ok"
        after = requests.get(f"{control}/stats").json()["peak_rss_kb"]
        assert requests.get(f"{control}/photos/{pid}").json()["size"] == size
        assert after - before < 16 * 1024, f"peak RSS grew {after - before} KiB for a {size >> 20} MiB upload"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
