"""Flickr's answer shapes, and arbitrary bytes, through the response parsers."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flickr_replace_plugin.flickr.responses import (FlickrFailure, Ticket, parse_rest_json, parse_tickets,
                                                    parse_upload)


def failure(call, *args):
    with pytest.raises(FlickrFailure) as info:
        call(*args)
    return info.value.error


def test_sync_and_async_answers():
    ok = parse_upload(200, b'<rsp stat="ok"><photoid secret="abc" originalsecret="def">51111590154</photoid></rsp>')
    assert (ok.photo_id, ok.secret, ok.originalsecret, ok.ticket_id) == ("51111590154", "abc", "def", None)
    ticket = parse_upload(200, b'<?xml version="1.0"?>\n<rsp stat="ok">\n<ticketid>161192644-72157718911685379</ticketid>\n</rsp>')
    assert ticket.ticket_id == "161192644-72157718911685379"


@pytest.mark.parametrize("body, code, retryable", [
    (b'<rsp stat="fail"><err code="5" msg="Filetype was not recognised" /></rsp>', 5, False),
    (b'<rsp stat="fail"><err code="105" msg="Service currently unavailable" /></rsp>', 105, True),
    (b'<rsp stat="fail"><err code="106" msg="Write operation failed" /></rsp>', 106, True),
    (b'<rsp stat="fail"><err code="8" msg="Videos can\'t be replaced" /></rsp>', 8, False),
])
def test_flickr_failures(body, code, retryable):
    error = failure(parse_upload, 200, body)
    assert (error.code, error.retryable, error.origin.value) == (code, retryable, "flickr")


@pytest.mark.parametrize("body, code", [
    (b"oauth_problem=signature_invalid&debug_sbs=POST&https%3A%2F%2Fup.flickr.com", 96),
    (b"oauth_problem=parameter_absent&oauth_parameters_absent=oauth_signature", 97),
    (b"oauth_problem=token_rejected", 98),
    (b"oauth_problem=consumer_key_unknown", 100),
])
def test_401_plain_text_oauth_problems(body, code):
    error = failure(parse_upload, 401, body)
    assert error.code == code and not error.retryable
    assert "debug_sbs" not in error.message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_retryable_network_errors(status):
    error = failure(parse_upload, status, b"<html>Bad gateway</html>")
    assert (error.origin.value, error.retryable, error.code) == ("network", True, None)


def test_hostile_xml_is_refused_not_expanded():
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><rsp stat="ok"><photoid>&b;</photoid></rsp>'
    assert failure(parse_upload, 200, bomb).origin.value == "network"


def test_rest_json_and_tickets():
    data = parse_rest_json(200, json.dumps({"uploader": {"ticket": [
        {"id": "161192644-72157718847464617", "complete": 1, "photoid": "51090628667", "imported": "1617400985"},
        {"id": "1-2", "complete": 0}, {"id": "3-4", "complete": 2}, {"id": "5-6", "invalid": 1}]}, "stat": "ok"}).encode())
    states = parse_tickets(data)
    assert states["161192644-72157718847464617"].photo_id == "51090628667"
    assert [states[t].status for t in ("1-2", "3-4", "5-6")] == [Ticket.PENDING, Ticket.FAILED, Ticket.INVALID]
    assert not states["1-2"].done and states["3-4"].done and states["5-6"].done
    error = failure(parse_rest_json, 200, b'{"stat":"fail","code":100,"message":"Invalid API Key"}')
    assert error.code == 100


@settings(max_examples=300, deadline=1000)
@given(status=st.sampled_from([200, 401, 404, 500]), body=st.binary(max_size=2048))
def test_arbitrary_bytes_never_escape_as_other_exceptions(status, body):
    for parse in (parse_upload, parse_rest_json):
        try:
            parse(status, body)
        except FlickrFailure as exc:
            assert exc.error.message
    try:
        parse_tickets(parse_rest_json(200, body))
    except FlickrFailure:
        pass


@settings(max_examples=200, deadline=1000)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                    max_leaves=20))
def test_arbitrary_json_shapes_parse_to_tickets_or_nothing(value):
    payload = {"stat": "ok", "uploader": value}
    try:
        parse_tickets(parse_rest_json(200, json.dumps(payload).encode()))
    except FlickrFailure:
        pass
