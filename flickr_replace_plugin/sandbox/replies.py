"""Flickr's answer shapes: REST XML, JSON (bare or JSONP), plain-text OAuth problems, HTML.

A payload is built once as a Node tree and rendered to either format the way Flickr does:
attributes become keys, text becomes `_content`, repeated elements become lists.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Mapping
from xml.sax.saxutils import escape, quoteattr

from ..result import FLICKR_CODES
from .oauth import OAuthProblem, Signed

XML_TYPE = "text/xml; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"


class Fail(Exception):
    """A Flickr error answer: `<err code=.. msg=..>` or its JSON twin."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = TEXT_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False  # close the connection after answering
    drop: bool = False  # close the connection without answering at all
    stream: BinaryIO | None = None  # a body streamed (and closed) from this open file instead of `body`
    cut_after: int | None = None  # send only this many bytes of the body, then close (a fault)
    generated: int | None = None  # a body of this many spaces made on the fly instead of `body` (a fault)
    declare_length: bool = True  # send a Content-Length (else the body ends with the connection)
    drip: float | None = None  # send the answer one byte every this many seconds (a fault)
    drip_headers: bool = True  # the status line and headers dripped too
    signed: Signed | None = None  # for the request log
    error_code: int | None = None
    oauth_problem: str | None = None

    @classmethod
    def text(cls, status: int, text: str, **kw: Any) -> "Reply":
        return cls(status, text.encode("utf-8"), TEXT_TYPE, **kw)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> "Reply":
        return cls(status, json.dumps(data, indent=1).encode("utf-8"), "application/json")

    @classmethod
    def oauth(cls, problem: OAuthProblem) -> "Reply":
        return cls.text(401, problem.body, oauth_problem=problem.problem,
                        headers={"WWW-Authenticate": 'OAuth realm="flickr-sandbox"'})


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | int] = field(default_factory=dict)
    text: str | None = None
    children: list["Node"] = field(default_factory=list)
    lists: tuple[str, ...] = ()  # child tags that are arrays in JSON even when one or none


def to_xml(node: Node) -> str:
    attrs = "".join(f" {k}={quoteattr(str(v))}" for k, v in node.attrs.items())
    inner = escape(node.text or "") + "".join(to_xml(c) for c in node.children)
    return f"<{node.tag}{attrs}>{inner}</{node.tag}>" if inner else f"<{node.tag}{attrs} />"


def to_json(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = dict(node.attrs)
    if node.text is not None:
        out["_content"] = node.text
    grouped: dict[str, list[Any]] = {tag: [] for tag in node.lists}
    for child in node.children:
        grouped.setdefault(child.tag, []).append(to_json(child))
    for tag, items in grouped.items():
        out[tag] = items if tag in node.lists or len(items) > 1 else items[0]
    return out


@dataclass(frozen=True)
class Format:
    """`format=rest` (XML, the default) or `format=json`, with or without the JSONP wrapper."""

    json: bool = False
    callback: str | None = None

    @classmethod
    def of(cls, fields: Mapping[str, str]) -> "Format":
        if fields.get("format") != "json":
            return cls()
        if fields.get("nojsoncallback") == "1":
            return cls(json=True)
        return cls(json=True, callback=fields.get("jsoncallback") or "jsonFlickrApi")

    def render(self, data: dict[str, Any], xml: str) -> Reply:
        if not self.json:
            return Reply(200, f'<?xml version="1.0" encoding="utf-8" ?>\n{xml}\n'.encode("utf-8"), XML_TYPE)
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if self.callback:
            return Reply(200, f"{self.callback}({text})".encode("utf-8"), "text/javascript; charset=utf-8")
        return Reply(200, text.encode("utf-8"), "application/json; charset=utf-8")

    def ok(self, node: Node | None) -> Reply:
        """Success, with the method's payload; None for methods that answer nothing (setMeta, ...)."""
        if node is None:
            return self.render({"stat": "ok"}, '<rsp stat="ok">\n</rsp>')
        return self.render({node.tag: to_json(node), "stat": "ok"}, f'<rsp stat="ok">\n{to_xml(node)}\n</rsp>')

    def fail(self, code: int, message: str | None = None) -> Reply:
        message = message or FLICKR_CODES.get(code, (f"Error {code}", False))[0]
        reply = self.render({"stat": "fail", "code": code, "message": message},
                            f'<rsp stat="fail">\n\t<err code="{code}" msg={quoteattr(message)} />\n</rsp>')
        reply.error_code = code
        return reply


XML = Format()
