"""Flickr's behaviour behind each endpoint: upload and replace, the REST methods, the OAuth dance.

Every request has been read in full before it reaches here; this module decides what Flickr
would answer and changes the store accordingly.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from typing import Callable
from urllib.parse import urlencode

from ..formats.sniff import sniff_format
from .faults import FaultQueue
from .oauth import OAuthProblem, Signed, Verifier, oauth_values
from .replies import XML, Format, Node, Reply
from .request import Request
from .store import Photo, Store

DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # Flickr's photo limit
VIDEO_MAX_BYTES = 1024 * 1024 * 1024
DEFAULT_TICKET_DELAY = 1.0  # seconds an async upload takes to "process"
REQUEST_TOKEN_TTL = 3600


class Fail(Exception):
    """A Flickr error answer: `<err code=.. msg=..>` or its JSON twin."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class RequestToken:
    token: str
    secret: str
    callback: str
    created: float
    perms: str | None = None
    verifier: str | None = None  # set when the user has seen the authorize page


class FlickrApi:
    def __init__(self, store: Store, faults: FaultQueue, max_bytes: int | None = None,
                 ticket_delay: float | None = None) -> None:
        self.store = store
        self.faults = faults
        self.max_bytes = max_bytes or DEFAULT_MAX_BYTES
        self.ticket_delay = DEFAULT_TICKET_DELAY if ticket_delay is None else ticket_delay
        self.verifier = Verifier(self._consumer_secret)
        self._request_tokens: dict[str, RequestToken] = {}
        self._lock = threading.Lock()
        self.rest_methods: dict[str, tuple[Callable[[Request, Signed | None], Node], bool]] = {
            "flickr.photos.upload.checkTickets": (self._check_tickets, False),
            "flickr.photos.getInfo": (self._get_info, False),
            "flickr.people.getUploadStatus": (self._upload_status, True),
            "flickr.test.login": (self._test_login, True),
            "flickr.auth.oauth.checkToken": (self._check_token, True),
        }

    def handle(self, route: str, request: Request) -> Reply:
        handler = {"replace": self._replace, "upload": self._upload, "rest": self._rest,
                   "request_token": self._request_token, "authorize": self._authorize,
                   "access_token": self._access_token}[route]
        self.store.settle()  # tickets due by now have completed, whatever is asked
        try:
            return handler(request)
        except OAuthProblem as problem:
            return Reply.oauth(problem)

    # -- credentials -------------------------------------------------------------------------------
    def _consumer_secret(self, key: str) -> str | None:
        creds = self.store.credentials
        return creds["api_secret"] if key == creds["api_key"] else None

    def _access_secret(self, token: str) -> str | None:
        creds = self.store.credentials
        return creds["oauth_token_secret"] if token == creds["oauth_token"] else None

    def _check_api_key(self, request: Request, signed: Signed | None) -> None:
        """A stray `api_key` must name the signing consumer; unsigned calls need a known one."""
        key = request.get("api_key")
        if signed is None and key is None:
            raise Fail(100, "Invalid API Key (Key has invalid format)")
        if key is not None and key != (signed.consumer_key if signed else self.store.credentials["api_key"]):
            raise Fail(100, "Invalid API Key (Key not found)")

    # -- upload and replace --------------------------------------------------------------------------
    def _replace(self, request: Request) -> Reply:
        return self._receive("replace", request)

    def _upload(self, request: Request) -> Reply:
        return self._receive("upload", request)

    def _receive(self, kind: str, request: Request) -> Reply:
        signed = self.verifier.verify(request, self._access_secret, need_token=True)
        try:
            reply = XML.ok(self._accept(kind, request, signed))
        except Fail as fail:
            reply = XML.fail(fail.code, fail.message)
        reply.signed = signed
        return reply

    def _accept(self, kind: str, request: Request, signed: Signed) -> Node:
        """Flickr's checks in its order, then the change (sync) or a ticket (async)."""
        self._check_api_key(request, signed)
        upload = request.photo
        if upload is None:
            raise Fail(2)
        target: Photo | None = None
        if kind == "replace":
            target = self.store.photo(request.get("photo_id"))
            if target is None:
                raise Fail(7, "Photo not found")
        if upload.size == 0:
            raise Fail(4)
        fmt = sniff_format(upload.head)
        if target is not None and (fmt == "video" or target.media == "video"):
            raise Fail(8, "Videos can't be replaced")
        if fmt is None:
            raise Fail(5)
        if upload.size > (VIDEO_MAX_BYTES if fmt == "video" else self.max_bytes):
            raise Fail(6)
        photo_id = target.id if target else None
        title = request.get("title") or ""
        if request.get("async") == "1":
            fault = self.faults.take({"ticket_fail", "ticket_invalid"}, kind)
            outcome = {None: "ok", "ticket_fail": "fail", "ticket_invalid": "invalid"}[fault and fault.kind]
            ticket = self.store.create_ticket(kind, upload, fmt, photo_id, title, self.ticket_delay, outcome)
            return Node("ticketid", text=ticket.id)
        if photo_id is None:
            return Node("photoid", text=self.store.create_photo(upload, fmt, title).id)
        photo = self.store.replace_photo(photo_id, upload, fmt)
        return Node("photoid", {"secret": photo.secret, "originalsecret": photo.originalsecret}, photo.id)

    # -- REST ------------------------------------------------------------------------------------
    def _rest(self, request: Request) -> Reply:
        fmt = Format.of(request.fields)
        signed = None
        if oauth_values(request)[1] is not None:
            signed = self.verifier.verify(request, self._access_secret, need_token=False)
        try:
            self._check_api_key(request, signed)
            method = request.get("method") or ""
            if method not in self.rest_methods:
                raise Fail(112, f'Method "{method}" not found')
            call, needs_login = self.rest_methods[method]
            if needs_login and (signed is None or signed.token is None):
                raise Fail(99, "Insufficient permissions. Method requires read privileges; none granted.")
            reply = fmt.ok(call(request, signed))
        except Fail as fail:
            reply = fmt.fail(fail.code, fail.message)
        reply.signed = signed
        return reply

    def _user_node(self, **attrs: str | int) -> Node:
        user = self.store.user
        return Node("user", {"id": user["nsid"], **attrs}, children=[Node("username", text=user["username"])])

    def _test_login(self, request: Request, signed: Signed | None) -> Node:
        return self._user_node()

    def _check_token(self, request: Request, signed: Signed | None) -> Node:
        user = self.store.user
        assert signed is not None and signed.token is not None
        return Node("oauth", children=[
            Node("token", text=signed.token), Node("perms", text="write"),
            Node("user", {"nsid": user["nsid"], "username": user["username"], "fullname": user["fullname"]})])

    def _upload_status(self, request: Request, signed: Signed | None) -> Node:
        used = self.store.used_bytes

        def limits(tag: str, maxbytes: int) -> Node:
            return Node(tag, {"maxbytes": str(maxbytes), "maxkb": str(maxbytes // 1024),
                              "maxmb": str(maxbytes // (1024 * 1024))})

        node = self._user_node(ispro=1)
        node.children += [
            Node("bandwidth", {"maxbytes": 0, "maxkb": 0, "usedbytes": used, "usedkb": used // 1024,
                               "remainingbytes": 0, "remainingkb": 0, "unlimited": 1}),
            limits("filesize", self.max_bytes), limits("videosize", VIDEO_MAX_BYTES),
            Node("sets", {"created": 0, "remaining": "lots"}),
            Node("videos", {"uploaded": 0, "remaining": "lots"}),
        ]
        return node

    def _get_info(self, request: Request, signed: Signed | None) -> Node:
        photo_id = request.get("photo_id") or ""
        photo = self.store.photo(photo_id)
        if photo is None:
            raise Fail(1, f'Photo "{photo_id}" not found (invalid ID)')
        user = self.store.user
        attrs: dict[str, str | int] = {
            "id": photo.id, "secret": photo.secret, "server": "65535", "farm": 66,
            "dateuploaded": str(photo.uploaded), "isfavorite": 0, "license": "0", "safety_level": "0",
            "rotation": 0}
        if signed is not None and signed.token is not None:  # only the owner sees the original's secret
            attrs.update(originalsecret=photo.originalsecret, originalformat=photo.originalformat)
        attrs.update(views="0", media=photo.media)
        taken = datetime.fromtimestamp(photo.uploaded, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        return Node("photo", attrs, children=[
            Node("owner", {"nsid": user["nsid"], "username": user["username"], "realname": user["fullname"],
                           "location": "", "iconserver": "0", "iconfarm": 0, "path_alias": ""}),
            Node("title", text=photo.title),
            Node("description", text=""),
            Node("visibility", {"ispublic": 1, "isfriend": 0, "isfamily": 0}),
            Node("dates", {"posted": str(photo.uploaded), "taken": taken, "takengranularity": 0,
                           "takenunknown": "1", "lastupdate": str(photo.lastupdate)}),
            Node("urls", children=[Node("url", {"type": "photopage"},
                                        f"https://www.flickr.com/photos/{user['nsid']}/{photo.id}/")],
                 lists=("url",)),
        ])

    def _check_tickets(self, request: Request, signed: Signed | None) -> Node:
        node = Node("uploader", lists=("ticket",))
        for ticket_id in filter(None, (t.strip() for t in (request.get("tickets") or "").split(","))):
            ticket = self.store.ticket(ticket_id)
            if ticket is None:
                node.children.append(Node("ticket", {"id": ticket_id, "invalid": 1}))
            elif ticket.complete == 1:
                node.children.append(Node("ticket", {"id": ticket.id, "complete": 1, "photoid": ticket.photo_id or "",
                                                     "imported": str(ticket.imported)}))
            else:
                node.children.append(Node("ticket", {"id": ticket.id, "complete": ticket.complete}))
        return node

    # -- the OAuth dance -----------------------------------------------------------------------------
    def _request_token(self, request: Request) -> Reply:
        signed = self.verifier.verify(request, lambda token: None, need_token=False)
        callback = signed.oauth.get("oauth_callback")
        if not callback:
            raise OAuthProblem("parameter_absent", oauth_parameters_absent="oauth_callback")
        token = RequestToken(f"72157{secrets.randbelow(10 ** 12):012d}-{secrets.token_hex(8)}",
                             secrets.token_hex(8), callback, time.time())
        with self._lock:
            now = time.time()
            self._request_tokens = {k: t for k, t in self._request_tokens.items()
                                    if now - t.created < REQUEST_TOKEN_TTL}
            self._request_tokens[token.token] = token
        body = urlencode({"oauth_callback_confirmed": "true", "oauth_token": token.token,
                          "oauth_token_secret": token.secret})
        return Reply.text(200, body, signed=signed)

    def _request_secret(self, token: str) -> str | None:
        with self._lock:
            found = self._request_tokens.get(token)
        return found.secret if found else None

    def _authorize(self, request: Request) -> Reply:
        """The page a user sees: the sandbox's user always agrees, and is shown the verifier."""
        with self._lock:
            token = self._request_tokens.get(request.get("oauth_token") or "")
            if token is not None:
                token.perms = request.get("perms") or "read"
                token.verifier = token.verifier or "-".join(f"{secrets.randbelow(1000):03d}" for _ in range(3))
        if token is None:
            return _html(400, "Oops! Flickr can't find a valid callback URL.",
                         "<p>The request token is unknown or has expired.</p>")
        if token.callback != "oob":
            joiner = "&" if "?" in token.callback else "?"
            location = token.callback + joiner + urlencode({"oauth_token": token.token,
                                                              "oauth_verifier": token.verifier})
            return Reply(302, b"", headers={"Location": location})
        return _html(200, "You have successfully authorized the application",
                     f"<p>Copy this code into the application to finish ({escape(token.perms)} permission):</p>"
                     f'<p><code id="verifier">{token.verifier}</code></p>')

    def _access_token(self, request: Request) -> Reply:
        signed = self.verifier.verify(request, self._request_secret, need_token=True)
        given = (signed.oauth.get("oauth_verifier") or "").replace("-", "")
        with self._lock:
            token = self._request_tokens.get(signed.token or "")
            if token is None:
                raise OAuthProblem("token_rejected")
            if not given:
                raise OAuthProblem("parameter_absent", oauth_parameters_absent="oauth_verifier")
            if token.verifier is None:
                raise OAuthProblem("permission_unknown")
            if not secrets.compare_digest(given, token.verifier.replace("-", "")):
                raise OAuthProblem("parameter_rejected", oauth_parameters_rejected="oauth_verifier")
            del self._request_tokens[token.token]  # a request token is good for one exchange
        creds, user = self.store.credentials, self.store.user
        body = urlencode({"fullname": user["fullname"], "oauth_token": creds["oauth_token"],
                          "oauth_token_secret": creds["oauth_token_secret"], "user_nsid": user["nsid"],
                          "username": user["username"]})
        return Reply.text(200, body, signed=signed)


def _html(status: int, title: str, body: str) -> Reply:
    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Flickr sandbox: {escape(title)}</title>"
            f"</head><body><h1>{escape(title)}</h1>{body}</body></html>")
    return Reply(status, page.encode("utf-8"), "text/html; charset=utf-8")
