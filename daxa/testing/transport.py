"""The emulator's HTTP plumbing: a threading server that drops its connections on stop, and
the request handler that applies the fault plan, routes, and streams the answer.

The handler builds a :class:`~daxa.testing.messages.Request`, asks the emulator's
:class:`~daxa.testing.faults.Faults` what to do with it (delay, refuse, fail, cut the body),
and sends the :class:`~daxa.testing.messages.Response` (Content-Length or chunked).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import traceback
import urllib.parse
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from daxa.testing import votable
from daxa.testing.faults import path_matches
from daxa.testing.messages import (
    EMULATOR_HEADER,
    Request,
    Response,
    html_page,
    proxy_error_page,
)

if TYPE_CHECKING:
    from daxa.testing.server import ArchiveEmulator

log = logging.getLogger("daxa.testing")


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: ArchiveEmulator) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        conn, address = super().get_request()
        with self.connections_lock:
            self.connections.add(conn)
        return conn, address

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.connections_lock:
            open_connections = list(self.connections)
            self.connections.clear()
        for conn in open_connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s failed:\n%s", client_address, traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "daxa-archive-emulator/0.1"
    sys_version = ""
    timeout = 60  # idle keep-alive connections are closed after this many seconds
    server: EmulatorServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        emulator = self.server.emulator
        split = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(split.path) or "/"
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._send(html_page(411, "Send a Content-Length with request bodies."), None)
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = Request(
            method=self.command,
            path=path,
            query=dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True)),
            query_string=split.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            client=(str(self.client_address[0]), int(self.client_address[1])),
        )
        truncate = None
        if path_matches("/_emulator", path):
            response = emulator.route(request)
        else:
            plan = emulator.faults.arrived(path)
            if plan.delay:
                time.sleep(plan.delay)
            if plan.unreachable:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if plan.status is not None:
                response = html_page(plan.status)
                response.headers.update(plan.headers)
            elif plan.error_document is not None:
                status, style, message = plan.error_document
                body = votable.error_document(message, style)
                response = Response(status, body, "application/x-votable+xml")
            elif plan.html_error:
                response = proxy_error_page()
            else:
                response = emulator.route(request)
            truncate = plan.truncate
        self._send(response, truncate)

    def _send(self, response: Response, truncate: float | None) -> None:
        body = response.body
        chunks: Iterable[bytes]
        if isinstance(body, bytes | bytearray):
            length: int | None = len(body)
            chunks = [bytes(body)]
        else:
            length, chunks = response.length, body
        if truncate is not None and length is None:
            data = b"".join(chunks)
            length, chunks = len(data), [data]
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header(*EMULATOR_HEADER)
            if length is not None:
                self.send_header("Content-Length", str(length))
            elif self.command != "HEAD":
                self.send_header("Transfer-Encoding", "chunked")
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command == "HEAD":
                return
            if truncate is not None:
                self._write_cut(chunks, int((length or 0) * truncate))
            elif length is None:
                for chunk in chunks:
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            else:
                for chunk in chunks:
                    self.wfile.write(chunk)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def _write_cut(self, chunks: Iterable[bytes], budget: int) -> None:
        """Send ``budget`` bytes of the body, then drop the connection."""
        for chunk in chunks:
            if budget <= 0:
                break
            self.wfile.write(chunk[:budget])
            budget -= len(chunk)
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
