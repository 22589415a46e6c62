"""HTTP messages of the emulator: the Request a route handler gets, the Response it answers.

Also the answer builders every route shares: Apache-style error pages, and bodies that honour
``Range`` (206, 416) from bytes or a file. They sit below the server and the file trees, which
both import them (and nothing here imports either).

>>> page = html_page(404)
>>> page.status, page.content_type
(404, 'text/html; charset=iso-8859-1')
"""

from __future__ import annotations

import html
import http
import json
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any, Literal

#: The header on every answer of the emulator (generated data, never an archive's).
EMULATOR_HEADER = ("X-Daxa-Emulator", "synthetic")


@dataclass
class Request:
    """One HTTP request as a route handler sees it.

    ``path`` is percent-decoded and has no query string; ``query`` holds the decoded query
    parameters (the last value of a repeated one) and ``query_string`` the raw text after ``?``;
    ``headers`` have lower-case names; ``prefix`` is the mount prefix that matched; ``client``
    is the peer's (host, port).
    """

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    query_string: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    prefix: str = ""
    client: tuple[str, int] | None = None

    @property
    def subpath(self) -> str:
        """The path below the mount prefix ('' or starting with '/')."""
        return self.path[len(self.prefix) :] if self.prefix != "/" else self.path

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def form(self) -> dict[str, str]:
        """Query parameters merged with an ``application/x-www-form-urlencoded`` body."""
        merged = dict(self.query)
        content_type = (self.header("content-type") or "").split(";")[0].strip().lower()
        if self.body and content_type in ("application/x-www-form-urlencoded", ""):
            text = self.body.decode("utf-8", errors="replace")
            merged.update(urllib.parse.parse_qsl(text, keep_blank_values=True))
        return merged


@dataclass
class Response:
    """What a handler answers. ``body`` is bytes, or an iterable of byte chunks (streamed).

    With an iterable body give ``length`` (sent as Content-Length); without it the answer is
    sent with chunked transfer encoding.
    """

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    content_type: str = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain") -> Response:
        return cls(status, text.encode(), f"{content_type}; charset=UTF-8")

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Response:
        return cls(status, json.dumps(data).encode(), "application/json")


def html_page(status: int, message: str | None = None) -> Response:
    """An Apache-style HTML error page (what real servers send for 404, 503, ...)."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    text = message or {
        404: "The requested URL was not found on this server.",
        503: "The server is temporarily unable to service your request due to maintenance "
        "downtime or capacity problems. Please try again later.",
    }.get(status, f"The server answered {status} {phrase}.")
    body = (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
        f"<title>{status} {html.escape(phrase)}</title>\n</head><body>\n"
        f"<h1>{html.escape(phrase)}</h1>\n<p>{html.escape(text)}</p>\n</body></html>\n"
    )
    return Response(status, body.encode(), "text/html; charset=iso-8859-1")


def proxy_error_page() -> Response:
    """HTTP 200 with an HTML error page: what a misbehaving proxy or portal sends instead of data."""
    body = (
        "<!DOCTYPE html>\n<html>\n<head><title>Error</title></head>\n<body>\n"
        "<h1>An error occurred.</h1>\n<p>Sorry, the page you are looking for is currently "
        "unavailable.<br/>\nPlease try again later.</p>\n</body>\n</html>\n"
    )
    return Response(200, body.encode(), "text/html; charset=UTF-8")


# ---------------------------------------------------------------------------------------------
# Range support


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | Literal["unsatisfiable"]:
    """The inclusive byte span a ``Range`` header asks for, None to send everything.

    Only single ``bytes=`` ranges are honoured; several ranges or a malformed header are
    ignored (the whole body is sent), as RFC 9110 allows.

    >>> parse_range("bytes=10-19", 100), parse_range("bytes=-5", 100), parse_range("bytes=90-", 100)
    ((10, 19), (95, 99), (90, 99))
    >>> parse_range("bytes=100-", 100), parse_range("bytes=1-2,5-6", 100)
    ('unsatisfiable', None)
    """
    if not header or not header.strip().lower().startswith("bytes="):
        return None
    spec = header.strip()[6:].strip()
    if "," in spec or "-" not in spec:
        return None
    first, last = (part.strip() for part in spec.split("-", 1))
    try:
        if not first:  # suffix: the last N bytes
            count = int(last)
            if count <= 0:
                return "unsatisfiable"
            return (max(0, size - count), size - 1) if size else "unsatisfiable"
        start = int(first)
        end = int(last) if last else None
    except ValueError:
        return None
    if start < 0 or (end is not None and end < start):
        return None
    if start >= size:
        return "unsatisfiable"
    return start, size - 1 if end is None else min(end, size - 1)


def ranged_response(
    request: Request,
    size: int,
    read: Callable[[int, int], Iterable[bytes]],
    content_type: str = "application/octet-stream",
    headers: Mapping[str, str] | None = None,
    etag: str | None = None,
) -> Response:
    """Answer with the whole body or the ``Range`` asked for (206), or 416 when out of bounds.

    ``read(start, length)`` yields the bytes of that span. ``If-Range`` is honoured when an
    ``etag`` (or a Last-Modified header) is given: a stale validator gets the whole body.
    """
    base = {"Accept-Ranges": "bytes", **(headers or {})}
    if etag:
        base["ETag"] = etag
    wanted = parse_range(request.header("range"), size)
    if_range = request.header("if-range")
    if wanted is not None and if_range and if_range not in (etag, base.get("Last-Modified")):
        wanted = None
    if wanted == "unsatisfiable":
        page = html_page(416, "The requested range is not satisfiable.")
        page.headers.update({"Content-Range": f"bytes */{size}", **base})
        return page
    if wanted is None:
        return Response(200, read(0, size), content_type, base, length=size)
    start, end = wanted
    base["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(206, read(start, end - start + 1), content_type, base, length=end - start + 1)


def bytes_response(
    request: Request,
    data: bytes,
    content_type: str = "application/octet-stream",
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``data`` as an answer that honours ``Range``."""
    return ranged_response(
        request, len(data), lambda start, n: [data[start : start + n]], content_type, headers
    )


def file_response(
    request: Request,
    path: str | Path,
    content_type: str = "application/octet-stream",
    headers: Mapping[str, str] | None = None,
    chunk_size: int = 1 << 20,
) -> Response:
    """A file streamed from disk, honouring ``Range``, with ETag and Last-Modified."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return html_page(404)
    extra = {"Last-Modified": formatdate(stat.st_mtime, usegmt=True), **(headers or {})}

    def read(start: int, count: int) -> Iterator[bytes]:
        with path.open("rb") as handle:
            handle.seek(start)
            while count > 0:
                chunk = handle.read(min(chunk_size, count))
                if not chunk:
                    return
                count -= len(chunk)
                yield chunk

    etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    return ranged_response(request, stat.st_size, read, content_type, extra, etag=etag)


#: A route: takes a :class:`Request`, answers a :class:`Response`.
Handler = Callable[[Request], Response]
