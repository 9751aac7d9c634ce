"""Flickr's behaviour behind each endpoint: upload and replace, the REST methods, the OAuth dance.

Every request has been read in full before it reaches here; this module decides what Flickr
would answer and changes the store accordingly.
"""
from __future__ import annotations

from typing import Any, Callable

from ..formats.sniff import sniff_format
from .calls import Call
from .dance import OAuthDance
from .faults import FaultQueue
from .oauth import OAuthProblem, Signed, Verifier, oauth_values
from .metadata import METHODS as METADATA_METHODS
from .people import METHODS as PEOPLE_METHODS
from .photos import METHODS as PHOTO_METHODS
from .records import split_tags
from .replies import XML, Fail, Format, Node, Reply
from .request import Request
from .store import Photo, Store

DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # Flickr's photo limit
VIDEO_MAX_BYTES = 1024 * 1024 * 1024
DEFAULT_TICKET_DELAY = 1.0  # seconds an async upload takes to "process"
Method = Callable[[Call], "Node | None"]


class FlickrApi:
    def __init__(self, store: Store, faults: FaultQueue, max_bytes: int | None = None,
                 ticket_delay: float | None = None) -> None:
        self.store = store
        self.faults = faults
        self.max_bytes = max_bytes or DEFAULT_MAX_BYTES
        self.ticket_delay = DEFAULT_TICKET_DELAY if ticket_delay is None else ticket_delay
        self.verifier = Verifier(self._consumer_secret)
        self.dance = OAuthDance(store, self.verifier)
        self.rest_methods: dict[str, tuple[Method, bool]] = {
            "flickr.photos.upload.checkTickets": (self._check_tickets, False),
            "flickr.people.getUploadStatus": (self._upload_status, True),
            "flickr.test.login": (self._test_login, True),
            "flickr.auth.oauth.checkToken": (self._check_token, True),
            **PHOTO_METHODS, **PEOPLE_METHODS, **METADATA_METHODS,
        }

    def handle(self, route: str, request: Request) -> Reply:
        handler = {"replace": self._replace, "upload": self._upload, "rest": self._rest,
                   "request_token": self.dance.request_token, "authorize": self.dance.authorize,
                   "access_token": self.dance.access_token}[route]
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
            if target is None or target.owner != self.store.user["nsid"]:  # another's photo: as if none
                raise Fail(7, "Photo not found")
        if upload.size == 0:
            raise Fail(4)
        fmt = sniff_format(upload.head)
        if target is not None and (fmt == "video" or target.media == "video"):
            raise Fail(8, "Videos can't be replaced")
        if fmt is None or fmt == "raw":  # Flickr's answer to a raw is undocumented: the stricter reading
            raise Fail(5)
        if upload.size > (VIDEO_MAX_BYTES if fmt == "video" else self.max_bytes):
            raise Fail(6)
        photo_id = target.id if target else None
        title = request.get("title") or ""
        meta = upload_meta(request) if target is None else {}
        if request.get("async") == "1":
            fault = self.faults.take({"ticket_fail", "ticket_invalid"}, kind)
            outcome = {None: "ok", "ticket_fail": "fail", "ticket_invalid": "invalid"}[fault and fault.kind]
            ticket = self.store.create_ticket(kind, upload, fmt, photo_id, title, self.ticket_delay, outcome, meta)
            return Node("ticketid", text=ticket.id)
        if photo_id is None:
            return Node("photoid", text=self.store.create_photo(upload, fmt, title, meta).id)
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
            reply = fmt.ok(call(Call(self.store, request, signed)))
        except Fail as fail:
            reply = fmt.fail(fail.code, fail.message)
        reply.signed = signed
        return reply

    def _user_node(self, **attrs: str | int) -> Node:
        user = self.store.user
        return Node("user", {"id": user["nsid"], **attrs}, children=[Node("username", text=user["username"])])

    def _test_login(self, call: Call) -> Node:
        return self._user_node()

    def _check_token(self, call: Call) -> Node:
        user = self.store.user
        assert call.signed is not None and call.signed.token is not None
        return Node("oauth", children=[
            Node("token", text=call.signed.token), Node("perms", text="write"),
            Node("user", {"nsid": user["nsid"], "username": user["username"], "fullname": user["fullname"]})])

    def _upload_status(self, call: Call) -> Node:
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

    def _check_tickets(self, call: Call) -> Node:
        node = Node("uploader", lists=("ticket",))
        for ticket_id in filter(None, (t.strip() for t in call.get("tickets").split(","))):
            ticket = self.store.ticket(ticket_id)
            if ticket is None:
                node.children.append(Node("ticket", {"id": ticket_id, "invalid": 1}))
            elif ticket.complete == 1:
                node.children.append(Node("ticket", {"id": ticket.id, "complete": 1, "photoid": ticket.photo_id or "",
                                                     "imported": str(ticket.imported)}))
            else:
                node.children.append(Node("ticket", {"id": ticket.id, "complete": ticket.complete}))
        return node


def upload_meta(request: Request) -> dict[str, Any]:
    """What an upload may say about the new photo besides its title (absent: Flickr's defaults)."""
    meta: dict[str, Any] = {"description": request.get("description")}
    if request.get("tags"):
        meta["tags"] = split_tags(request.get("tags") or "")
    for name in ("is_public", "is_friend", "is_family"):
        value = request.get(name)
        if value is not None:  # absent: the account's default; the sandbox's is public, as Flickr's usually is
            meta[name] = 1 if value.strip() == "1" else 0
    return meta
