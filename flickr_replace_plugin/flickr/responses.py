"""Every shape Flickr answers in, turned into values or a FlickrFailure carrying a ResultError."""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from urllib.parse import parse_qs

from ..result import Origin, ResultError

# HTTP 401 plain-text oauth_problem values and the Flickr codes they stand for.
OAUTH_PROBLEMS = {
    "signature_invalid": 96,
    "parameter_absent": 97,
    "token_rejected": 98,
    "token_expired": 98,
    "token_revoked": 98,
    "consumer_key_unknown": 100,
    "consumer_key_rejected": 100,
}
MAX_ANSWER = 1 << 20  # an answer bigger than this is not one of Flickr's


class FlickrFailure(Exception):
    def __init__(self, error: ResultError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class UploadAnswer:
    photo_id: str | None = None
    secret: str | None = None
    originalsecret: str | None = None
    ticket_id: str | None = None


def check_http(status: int, body: bytes) -> None:
    """Raise for answers that are not Flickr's ok/fail payloads: 401 oauth problems, 5xx, other HTTP errors."""
    if status == 401:
        text = body[:4096].decode("utf-8", "replace").strip()
        problem = parse_qs(text).get("oauth_problem", [""])[0]
        code = OAUTH_PROBLEMS.get(problem)
        message = f"OAuth refused: {problem}" if problem else "HTTP 401 Unauthorized"
        raise FlickrFailure(ResultError.flickr(code, message) if code else ResultError(message, code=None))
    if status >= 500:
        raise FlickrFailure(ResultError.network(f"HTTP {status} from Flickr"))
    if status >= 400:
        raise FlickrFailure(ResultError(f"HTTP {status} from Flickr", origin=Origin.NETWORK))


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


def parse_upload(status: int, body: bytes) -> UploadAnswer:
    """The answer to an upload or replace: a photo id with secrets (sync) or a ticket id (async)."""
    check_http(status, body)
    root = parse_xml(body)
    ticket = root.find("ticketid")
    if ticket is not None and (ticket.text or "").strip():
        return UploadAnswer(ticket_id=ticket.text.strip())
    photo = root.find("photoid")
    if photo is not None and (photo.text or "").strip():
        return UploadAnswer(photo_id=photo.text.strip(), secret=photo.get("secret"),
                            originalsecret=photo.get("originalsecret"))
    raise FlickrFailure(ResultError.network("Flickr's answer held neither a photo id nor a ticket"))


def parse_rest_json(status: int, body: bytes) -> dict:
    """A REST answer in format=json; {"stat":"fail","code":..} becomes a FlickrFailure."""
    check_http(status, body)
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
