"""Every shape Flickr answers in, turned into values or a FlickrFailure carrying a ResultError."""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import parse_qs

from ..result import Origin, ResultError
from .oauthproblems import PROBLEMS, problem_of

# HTTP 401 plain-text oauth_problem values and the Flickr codes they stand for.
OAUTH_PROBLEMS = {name: p.code for name, p in PROBLEMS.items() if p.code is not None}

MAX_RETRY_AFTER = 120.0  # a longer Retry-After is not waited out: the result says when to try again
MAX_ANSWER = 1 << 20  # an answer bigger than this is not one of Flickr's


class FlickrFailure(Exception):
    def __init__(self, error: ResultError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after  # seconds Flickr asked to wait before the next try (HTTP 429)


@dataclass(frozen=True)
class UploadAnswer:
    photo_id: str | None = None
    secret: str | None = None
    originalsecret: str | None = None
    ticket_id: str | None = None


def check_http(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
    """Raise for answers that are not Flickr's ok/fail payloads: 401 oauth problems, 429, 5xx,
    other HTTP errors. Each came from the other side after the request was sent: never origin local."""
    if status == 401:
        raise FlickrFailure(oauth_refusal(body))
    if status == 429:
        wait = retry_after((headers or {}).get("Retry-After"))
        when = f"; Flickr asked to wait {wait:.0f} s" if wait is not None else ""
        later = " (try again later)" if wait is not None and wait > MAX_RETRY_AFTER else ""
        raise FlickrFailure(ResultError.network(f"HTTP 429 Too Many Requests from Flickr{when}{later}"), wait)
    if status >= 500:
        raise FlickrFailure(ResultError.network(f"HTTP {status} from Flickr"))
    if status >= 400:
        raise FlickrFailure(ResultError(f"HTTP {status} from Flickr", origin=Origin.NETWORK))


def oauth_refusal(body: bytes) -> ResultError:
    """An HTTP 401's plain-text `oauth_problem=...`, as a Flickr error with what to do next."""
    text = body[:4096].decode("utf-8", "replace").strip()
    name = parse_qs(text).get("oauth_problem", [""])[0]
    problem = problem_of(name)
    what = f"OAuth refused ({name})" if name else "HTTP 401 Unauthorized"
    if problem.code is not None:
        return ResultError.flickr(problem.code, f"{what}: {problem.advice}")
    return ResultError(f"{what}: {problem.advice}", origin=Origin.FLICKR, retryable=problem.retryable)


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, given as a number or as an HTTP date; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def parse_xml(body: bytes):
    """Parse an XML answer safely; a non-XML body is a network-level surprise (proxies, captive portals)."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    if len(body) > MAX_ANSWER:
        raise FlickrFailure(ResultError.network("answer too large to be Flickr's"))
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError, SyntaxError):
        raise FlickrFailure(ResultError.network("answer was not Flickr's XML")) from None
    if root.tag != "rsp":
        raise FlickrFailure(ResultError.network("answer was not Flickr's XML"))
    if root.get("stat") != "ok":
        err = root.find("err")
        raise FlickrFailure(_flickr_error(err.get("code") if err is not None else None,
                                          err.get("msg") if err is not None else None))
    return root


def _flickr_error(code, message) -> ResultError:
    try:
        number = int(code)
    except (TypeError, ValueError):
        return ResultError(str(message or "Flickr reported a failure"), origin=Origin.FLICKR)
    return ResultError.flickr(number, str(message) if message else None)


def parse_upload(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> UploadAnswer:
    """The answer to an upload or replace: a photo id with secrets (sync) or a ticket id (async)."""
    check_http(status, body, headers)
    root = parse_xml(body)
    ticket = root.find("ticketid")
    if ticket is not None and (ticket.text or "").strip():
        return UploadAnswer(ticket_id=ticket.text.strip())
    photo = root.find("photoid")
    if photo is not None and (photo.text or "").strip():
        return UploadAnswer(photo_id=photo.text.strip(), secret=photo.get("secret"),
                            originalsecret=photo.get("originalsecret"))
    raise FlickrFailure(ResultError.network("Flickr's answer held neither a photo id nor a ticket"))


def parse_rest_json(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> dict:
    """A REST answer in format=json; {"stat":"fail","code":..} becomes a FlickrFailure."""
    check_http(status, body, headers)
    if len(body) > MAX_ANSWER * 16:
        raise FlickrFailure(ResultError.network("answer too large to be Flickr's"))
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise FlickrFailure(ResultError.network("answer was not Flickr's JSON")) from None
    if not isinstance(data, dict):
        raise FlickrFailure(ResultError.network("answer was not Flickr's JSON"))
    if data.get("stat") != "ok":
        raise FlickrFailure(_flickr_error(data.get("code"), data.get("message")))
    return data


class Ticket(enum.Enum):
    """Where an async upload stands, as checkTickets says (`complete` 0/1/2, or `invalid`)."""
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"    # complete=2: Flickr could not process the file
    INVALID = "invalid"  # Flickr does not know the ticket

    @property
    def final(self) -> bool:
        return self is not Ticket.PENDING


_COMPLETE = {0: Ticket.PENDING, 1: Ticket.DONE, 2: Ticket.FAILED}


@dataclass(frozen=True)
class TicketState:
    ticket_id: str
    status: Ticket
    photo_id: str | None = None

    @property
    def done(self) -> bool:
        return self.status.final


def parse_tickets(data: dict) -> dict[str, TicketState]:
    """checkTickets' answer by ticket id. An unknown `complete` value reads as still pending:
    how Flickr would number other states is unknown, and asking again is the safe reading."""
    uploader = data.get("uploader")
    tickets = uploader.get("ticket") if isinstance(uploader, dict) else None
    if isinstance(tickets, dict):
        tickets = [tickets]
    if not isinstance(tickets, list):
        return {}
    states: dict[str, TicketState] = {}
    for t in tickets:
        if not isinstance(t, dict) or "id" not in t:
            continue
        tid = str(t["id"])
        if str(t.get("invalid", "0")) == "1" or "complete" not in t:
            states[tid] = TicketState(tid, Ticket.INVALID)
            continue
        try:
            status = _COMPLETE.get(int(t["complete"]), Ticket.PENDING)
        except (TypeError, ValueError):
            status = Ticket.PENDING
        photo = t.get("photoid")
        states[tid] = TicketState(tid, status, str(photo) if photo not in (None, "") else None)
    return states
