"""HTTP handling: one thread per connection, keep-alive, Flickr's URL layout, faults and latency.

The order inside a request is a real server's: the declared length is checked, the whole body
is read (streaming the photo to disk), and only then is anything decided or changed.
"""
from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from email.utils import formatdate
from typing import Any
from urllib.parse import SplitResult, urlsplit

from . import control, static
from .faults import ANSWERS, STATIC_ANSWERS, Fault
from .multipart import BodyError, BodyReader, ShortBody
from .replies import XML, XML_TYPE, Format, Reply
from .request import Request, content_length, read_request
from .requestlog import describe_reply, describe_request, new_entry

ROUTES = {
    "/services/replace": "replace",
    "/services/upload": "upload",
    "/services/rest": "rest",
    "/services/oauth/request_token": "request_token",
    "/services/oauth/authorize": "authorize",
    "/services/oauth/access_token": "access_token",
}
HTTP_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class SandboxServer(ThreadingHTTPServer):
    """Tracks open connections so that stopping really cuts them, as a restarted server does."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, sandbox: control.Served, host: str, port: int) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sandbox = sandbox
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__((host, port), Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (killed, timed out, Ctrl-C) is what a server sees every day,
        not a sandbox fault: only real errors get a traceback on stderr."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections as they would with Flickr
    server_version = "FlickrSandbox/1.0"
    sys_version = ""
    timeout = 120  # a client silent this long mid-body has sent a short body
    disable_nagle_algorithm = True  # headers and body leave at once, no delayed-ACK stall per answer
    server: SandboxServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the request log records everything
        pass

    def _serve(self) -> None:
        sandbox = self.server.sandbox
        url = urlsplit(self.path)
        try:
            reader = BodyReader(self.rfile, content_length(self.headers, self.command))
            if url.path.startswith(control.PREFIX):
                reply = control.handle(sandbox, self.command, url, reader)
                reader.discard()
            else:
                reply = self._flickr(sandbox, url, reader)
        except BodyError as exc:
            reply = Reply.text(exc.status, f"{exc}\n", close=True)
        except Exception:  # a sandbox bug must show, and must not look like one of Flickr's answers
            traceback.print_exc(file=sys.stderr)
            reply = Reply.text(500, "sandbox internal error\n", close=True)
        self._send(reply)

    def _flickr(self, sandbox: control.Served, url: SplitResult, reader: BodyReader) -> Reply:
        route = ROUTES.get(url.path.rstrip("/"))
        if route is None and static.PATTERN.match(url.path):
            route = "static"
        if route is None:
            reader.discard()
            return Reply.text(404, "Not Found\n")
        entry = new_entry(self.command, url.path, route)
        entry["content_length"] = reader.length
        try:
            reply = self._exchange(sandbox, route, reader, entry)
        except BodyError as exc:
            entry["cut_short"] = isinstance(exc, ShortBody)
            reply = Reply.text(exc.status, f"{exc}\n", close=True)
        describe_reply(entry, reply)
        sandbox.log.add(entry)
        if sandbox.latency > 0:
            time.sleep(sandbox.latency)
        return reply

    def _exchange(self, sandbox: control.Served, route: str, reader: BodyReader, entry: dict[str, Any]) -> Reply:
        scope = route if route in ("replace", "upload", "rest", "static") else "oauth"
        if route == "static":
            reader.discard()
            return self._static(sandbox, entry)
        fault = sandbox.faults.take({"drop_before_body"}, scope)
        if fault is not None:
            entry["faults"].append(fault.kind)
            with contextlib.suppress(BodyError):
                reader.read(int(fault.opt("after_bytes", reader.length // 2)))
            return Reply(drop=True)
        host = "%s:%s" % self.server.server_address[:2]
        request = read_request(self.command, self.path, self.headers, reader, sandbox.store.incoming, host)
        try:
            describe_request(entry, request, route)
            method = entry["rest_method"]
            slow = sandbox.faults.take({"slow"}, scope, method)
            if slow is not None:
                entry["faults"].append(slow.kind)
                time.sleep(float(slow.opt("seconds", 2.0)))
            fault = sandbox.faults.take(ANSWERS, scope, method)
            if fault is not None:
                entry["faults"].append(fault.kind)
                if not (fault.kind == "drop_after_body" and fault.opt("apply", False)):
                    return fault_reply(fault, route, request)
            reply = sandbox.api.handle(route, request)
            if fault is not None:  # carried out, and the answer lost on the way back
                reply.drop = True
            return dripped(sandbox, scope, method, entry, reply)
        finally:
            request.discard_photo()

    def _static(self, sandbox: control.Served, entry: dict[str, Any]) -> Reply:
        """An image file; faults can slow it, fail it, drop it or cut it short (`truncate`)."""
        path = urlsplit(self.path).path
        slow = sandbox.faults.take({"slow"}, "static")
        if slow is not None:
            entry["faults"].append(slow.kind)
            time.sleep(float(slow.opt("seconds", 2.0)))
        fault = sandbox.faults.take(STATIC_ANSWERS, "static")
        if fault is not None:
            entry["faults"].append(fault.kind)
            if fault.kind != "truncate":
                return fault_reply(fault, "static", None)
        reply = static.serve(sandbox.store, sandbox.renditions, path) or Reply.text(404, "Not Found\n")
        if fault is not None and reply.status == 200:
            reply.cut_after = int(fault.opt("after_bytes", body_length(reply) // 2))
        return dripped(sandbox, "static", None, entry, reply)

    def _send(self, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            return
        if reply.drip is not None:
            self._drip(reply)
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            if reply.declare_length:
                self.send_header("Content-Length", str(body_length(reply)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.close or reply.cut_after is not None or not reply.declare_length:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if reply.stream is not None:
                self.connection.sendfile(reply.stream, count=reply.cut_after)
            elif reply.generated is not None:
                left = reply.generated
                while left > 0:
                    left -= self.wfile.write(SPACES[:min(left, len(SPACES))])
            else:
                self.wfile.write(reply.body if reply.cut_after is None else reply.body[:reply.cut_after])
        except OSError:
            self.close_connection = True
        finally:
            if reply.stream is not None:
                reply.stream.close()


    def _drip(self, reply: Reply) -> None:
        """The answer one byte at a time (a `drip` fault), until it is all sent or the client left."""
        self.close_connection = True
        body = reply.stream.read() if reply.stream is not None else reply.body
        if reply.stream is not None:
            reply.stream.close()
        head = "".join(f"{name}: {value}\r\n" for name, value in
                       {"Content-Type": reply.content_type, "Content-Length": str(len(body)),
                        **reply.headers, "Connection": "close"}.items())
        head = f"HTTP/1.1 {reply.status} {self.responses.get(reply.status, ('',))[0]}\r\n{head}\r\n".encode()
        data = head + body
        start = 0
        if not reply.drip_headers:
            start = len(head)
            self.wfile.write(head)
        for i in range(start, len(data)):
            try:
                self.wfile.write(data[i:i + 1])
            except OSError:
                return
            time.sleep(reply.drip)


SPACES = b" " * (1 << 20)


def body_length(reply: Reply) -> int:
    if reply.generated is not None:
        return reply.generated
    return os.fstat(reply.stream.fileno()).st_size if reply.stream is not None else len(reply.body)


def dripped(sandbox: control.Served, scope: str, method: str | None, entry: dict[str, Any], reply: Reply) -> Reply:
    """The real answer, sent slowly when a `drip` fault is queued for this request."""
    fault = None if reply.drop else sandbox.faults.take({"drip"}, scope, method)
    if fault is not None:
        entry["faults"].append(fault.kind)
        reply.drip = float(fault.opt("interval", 0.2))
        reply.drip_headers = bool(fault.opt("headers", True))
    return reply


def fault_reply(fault: Fault, route: str, request: Request | None) -> Reply:
    """The answer an injected fault gives instead of Flickr's real one."""
    if fault.kind == "drop_after_body":
        return Reply(drop=True)
    status = fault.opt("status", 502 if fault.kind == "http" else None)
    if status is not None:
        status = int(status)
        reason = HTTP_REASONS.get(status, "Error")
        page = f"<html><head><title>{status} {reason}</title></head><body><h1>{reason}</h1></body></html>\n"
        return Reply(status, page.encode(), "text/html; charset=utf-8")
    if fault.kind == "huge":
        size = int(fault.opt("size", 160_000_000))
        kind = "image/jpeg" if route == "static" else XML_TYPE
        return Reply(200, content_type=kind, generated=size, declare_length=bool(fault.opt("length", True)))
    if fault.kind == "oauth":
        problem = str(fault.opt("problem", "timestamp_refused"))
        return Reply.text(401, f"oauth_problem={problem}" if problem else "", oauth_problem=problem or None,
                          headers={"WWW-Authenticate": 'OAuth realm="flickr-sandbox"'})
    if fault.kind == "retry_after":
        seconds = float(fault.opt("seconds", 1))
        value = formatdate(time.time() + seconds, usegmt=True) if fault.opt("date", False) else str(int(seconds))
        return Reply.text(429, "Too Many Requests\n", headers={"Retry-After": value})
    fmt = Format.of(request.fields) if route == "rest" and request is not None else XML
    return fmt.fail(int(fault.opt("code", 105)), fault.opts.get("message"))
