"""A tiny HTTP server on 127.0.0.1 for faults the archive emulator cannot make.

Each request is answered by a script (a function of the request number and the request) with
an :class:`Answer`: a status, headers, a body, and whether to send ``Content-Length``, cut the
body after some bytes, or drop the connection mid-body. Every request is recorded with the
server-side time it arrived, so a test can check waits without timing the client.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    """What to send: ``length=False`` sends no Content-Length (the body ends when the
    connection closes); ``chunked`` sends it in chunks instead; ``cut`` sends only that many
    body bytes, then closes (for chunks: without the final empty chunk)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True
    cut: int | None = None
    chunked: bool = False


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    number: int
    method: str
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived


Script = Callable[[Seen], Answer]


class Loopback:
    """The server: ``url`` to talk to it, ``seen`` what arrived (see the module docstring)."""

    def __init__(self, script: Script, host: str = "127.0.0.1") -> None:
        self.script = script
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                with owner._lock:
                    seen = Seen(
                        len(owner.seen),
                        self.command,
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        time.monotonic(),
                    )
                    owner.seen.append(seen)
                answer = owner.script(seen)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                elif answer.length:  # the full length, also when the body is then cut
                    self.send_header("Content-Length", str(len(answer.body)))
                if not answer.length or answer.cut is not None:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if self.command == "HEAD":
                    return
                body = answer.body if answer.cut is None else answer.body[: answer.cut]
                if answer.chunked:
                    pieces = [body[i : i + 1000] for i in range(0, len(body), 1000)]
                    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
                    if answer.cut is None:
                        body += b"0\r\n\r\n"
                with suppress(OSError):
                    self.wfile.write(body)
                    self.wfile.flush()
                if self.close_connection:
                    with suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)

            do_GET = do_POST = do_HEAD = _answer

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> Loopback:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def loopback(script: Script, host: str = "127.0.0.1") -> Iterator[Loopback]:
    """A running :class:`Loopback` for the ``with`` block."""
    server = Loopback(script, host).start()
    try:
        yield server
    finally:
        server.close()


def sequence(*answers: Answer) -> Script:
    """A script answering request ``n`` with ``answers[n]`` (the last one from then on)."""

    def script(seen: Seen) -> Answer:
        return answers[min(seen.number, len(answers) - 1)]

    return script


#: Answer headers a proxy passes on (Content-Length is the proxy's own business).
_PASSED = ("content-type", "content-range", "etag", "last-modified", "accept-ranges", "location")


def proxy(base_url: str, alter: Callable[[Seen, Answer], Answer] | None = None) -> Script:
    """A script that forwards each GET/HEAD to ``base_url`` (e.g. the emulator) and lets
    ``alter`` change the answer (drop its length, cut it) before it is sent on."""
    import http.client
    import urllib.parse

    target = urllib.parse.urlsplit(base_url)

    def script(seen: Seen) -> Answer:
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            forwarded = {
                k: v
                for k, v in seen.headers.items()
                if k in ("range", "if-range", "authorization", "accept-encoding")
            }
            connection.request(seen.method, seen.path, headers=forwarded)
            reply = connection.getresponse()
            body = reply.read()
            headers = {k: v for k, v in reply.getheaders() if k.lower() in _PASSED}
            answer = Answer(reply.status, body, headers)
        finally:
            connection.close()
        return alter(seen, answer) if alter is not None else answer

    return script
