"""The local archive emulator: a real HTTP server speaking the archives' protocols.

One port, one path prefix per service, so ``daxa.config.use_mirror(emu.url)`` points every
service at it (``<url>/<service>/...``):

=======================  ====================================================================
``/heasarc_tap/sync``    HEASARC TAP (ADQL, VOTable BINARY; 100,000 random rows without TOP)
``/xsa_tap/sync``        XSA TAP for ``v_all_observations`` (BINARY2; 2,000 rows without TOP)
``/erosita_edr/...``     the eROSITA CalPV list, ``erosita_calpv_info.csv`` or ``.fits``
``/erosita_dr1/...``     the eRASS1 DE tile list, ``erass_de_dr1_info.csv`` or ``.fits``
``/sesame/-ox/~SNV?M87`` CDS Sesame (XML)
``/_emulator/...``       control: ``faults`` (GET, POST JSON), ``requests?path=``, ``health``
=======================  ====================================================================

More routes are mounted with :meth:`ArchiveEmulator.mount`: a handler takes a :class:`Request`
and returns a :class:`Response` whose body is bytes or an iterator of bytes (streamed);
:func:`bytes_response` and :func:`file_response` answer ``Range`` requests (206, 416).
Anything unmatched is a 404 HTML page, like a real web server. Both TAP services also serve
``TAP_SCHEMA.columns`` (HEASARC names tables bare, XSA as ``xsa.<name>``), and every answer
carries the header ``X-Daxa-Emulator: synthetic`` so a client can tell generated data from an
archive's.

>>> import requests
>>> with ArchiveEmulator(tables=demo_tables) as emu:
...     answer = requests.get(emu.service_url("sesame") + "/-ox/~SNV?M87", timeout=10)
...     answer.status_code, b"<jradeg>" in answer.content
(200, True)
"""

from __future__ import annotations

import collections
import contextlib
import html
import http
import io
import json
import logging
import socket
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.testing import votable
from daxa.testing.faults import Faults, normalise_path, path_matches
from daxa.testing.sesame import SesameCatalogue, sesame_xml

log = logging.getLogger("daxa.testing")

#: Tables the emulated HEASARC TAP serves.
HEASARC_TABLES = (
    "chanmaster",
    "numaster",
    "xmmmaster",
    "rosmaster",
    "rassmaster",
    "swiftmastr",
    "suzamaster",
    "ascamaster",
    "intscwpub",
    "xrismmastr",
)
#: Tables the emulated XSA TAP serves (also as ``xsa.<name>``).
XSA_TABLES = ("v_all_observations",)
#: The eROSITA lists, by the service that publishes them.
EROSITA_LISTS = {"erosita_edr": "erosita_calpv_info", "erosita_dr1": "erass_de_dr1_info"}
#: Row caps without TOP: HEASARC returns a random subset, XSA the first rows.
HEASARC_CAP = 100_000
XSA_CAP = 2_000

TableSource = Callable[..., pl.DataFrame]
Sizes = None | Literal["small", "real"] | Mapping[str, int | None]
Serialization = Literal["binary", "binary2", "tabledata"]
#: The header on every answer of the emulator (generated data, never an archive's).
EMULATOR_HEADER = ("X-Daxa-Emulator", "synthetic")


# ---------------------------------------------------------------------------------------------
# requests and responses


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


# ---------------------------------------------------------------------------------------------
# the services

Handler = Callable[[Request], Response]


class ListService:
    """A folder publishing one table as ``<name>.csv`` and ``<name>.fits`` (the eROSITA lists)."""

    def __init__(self, emulator: ArchiveEmulator, name: str) -> None:
        self.emulator = emulator
        self.name = name

    def __call__(self, request: Request) -> Response:
        filename = request.subpath.rstrip("/").rsplit("/", 1)[-1]
        if filename == f"{self.name}.csv":
            kind, content_type = "csv", "text/csv"
        elif filename == f"{self.name}.fits":
            kind, content_type = "fits", "application/fits"
        else:
            return html_page(404)
        table = f"{self.name}.csv"
        try:
            frame = self.emulator.table(table)
        except (KeyError, InputError):
            return html_page(404)
        data = self.emulator.encoded(("list", table, kind), lambda: _list_bytes(frame, kind))
        return bytes_response(request, data, content_type)


def _list_bytes(frame: pl.DataFrame, kind: str) -> bytes:
    if kind == "csv":
        return frame.write_csv().encode()
    return fits_table_bytes(frame)


def fits_table_bytes(frame: pl.DataFrame) -> bytes:
    """``frame`` as a FITS file with one binary-table extension (strings fixed-width)."""
    from astropy.io import fits
    from astropy.table import Table

    columns: dict[str, Any] = {}
    for name, dtype in frame.schema.items():
        series = frame[name]
        if dtype.is_numeric() or dtype == pl.Boolean:
            if dtype.is_float():
                columns[name] = series.fill_null(float("nan")).to_numpy()
            elif series.null_count():
                columns[name] = series.cast(pl.Float64).fill_null(float("nan")).to_numpy()
            else:
                columns[name] = series.to_numpy()
        else:
            text = series.cast(pl.String).fill_null("").to_list()
            columns[name] = np.array(text, dtype=str) if text else np.array([], dtype="U1")
    buffer = io.BytesIO()
    hdus = fits.HDUList([fits.PrimaryHDU(), fits.table_to_hdu(Table(columns))])
    hdus.writeto(buffer)
    return buffer.getvalue()


class SesameService:
    """``/sesame/-ox/~SNV?name[&name...]``: Sesame's XML output for each name."""

    def __init__(self, catalogue: SesameCatalogue) -> None:
        self.catalogue = catalogue

    def __call__(self, request: Request) -> Response:
        parts = [p for p in request.subpath.split("/") if p]
        if not parts or not parts[0].startswith("-o") or "x" not in parts[0][2:]:
            return html_page(404)
        options = parts[0][2:]
        resolvers = parts[1] if len(parts) > 1 else "SNV"
        raw_names = [n for n in request.query_string.split("&") if n]
        if not raw_names:
            return html_page(400, "Give a name to resolve after '?'.")
        names = [self._decode(n) for n in raw_names]
        body = sesame_xml(names, self.catalogue, option=resolvers, aliases="I" in options)
        return Response(200, body, "text/xml; charset=UTF-8")

    def _decode(self, raw: str) -> str:
        name = urllib.parse.unquote(raw)
        if self.catalogue.lookup(name) is None and "+" in raw:
            return urllib.parse.unquote_plus(raw)  # a client that encoded spaces as '+'
        return name


class ControlService:
    """``/_emulator``: fault rules and request counts for tests in other processes."""

    def __init__(self, emulator: ArchiveEmulator) -> None:
        self.emulator = emulator

    def __call__(self, request: Request) -> Response:
        faults = self.emulator.faults
        sub = request.subpath.rstrip("/")
        if sub == "/health":
            return Response.json({"ok": True, "url": self.emulator.url})
        if sub == "/requests":
            path = request.query.get("path")
            return Response.json({"path": path, "count": faults.requests(path)})
        if sub != "/faults":
            return html_page(404)
        if request.method == "POST":
            try:
                payload = json.loads(request.body or b"null")
                for command in payload if isinstance(payload, list) else [payload]:
                    faults.apply(command)
            except (ValueError, InputError) as exc:
                return Response.json({"error": str(exc)}, status=400)
        return Response.json({"rules": faults.rules()})


# ---------------------------------------------------------------------------------------------
# the HTTP server


class _Server(ThreadingHTTPServer):
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
    server: _Server

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


# ---------------------------------------------------------------------------------------------
# the emulator


class ArchiveEmulator:
    """The emulated archives on ``host:port`` (port 0: a free one), served from a daemon thread.

    ``tables(table, n_rows=None, seed=0) -> polars.DataFrame`` supplies every raw table (default:
    ``daxa.testing.tables.generate_table``); ``sizes`` picks row counts: ``"small"`` (the
    generator's default), ``"real"`` (the archives' real sizes) or a per-table mapping.
    ``serialization`` forces one VOTable serialisation on both TAP services (``"binary"``,
    ``"binary2"`` or ``"tabledata"``); by default each answers as the real one does: HEASARC in
    BINARY, XSA in BINARY2. A request's ``RESPONSEFORMAT`` still wins. ``samples_dir`` adds the shared sample objects to Sesame (default: the
    shared data folder when present). ``files`` mounts the archives' file trees for downloads
    (:mod:`daxa.testing.files`; their faults are on ``emulator.files``).
    """

    def __init__(
        self,
        seed: int = 0,
        sizes: Sizes = None,
        tables: TableSource | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        serialization: Serialization | None = None,
        samples_dir: Path | str | None | Literal["auto"] = "auto",
        files: bool = True,
    ) -> None:
        if sizes not in (None, "small", "real") and not isinstance(sizes, Mapping):
            raise InputError(
                f"sizes must be 'small', 'real' or a mapping table -> rows, not {sizes!r}"
            )
        if serialization not in (None, "binary", "binary2", "tabledata"):
            raise InputError(
                "serialization must be 'binary', 'binary2' or 'tabledata' (or None for each "
                f"service's own), not {serialization!r}"
            )
        self.seed = seed
        self.sizes = sizes
        self.serialization = serialization
        self.host = host
        self._requested_port = port
        self._tables_source = tables
        self.faults = Faults()
        self._routes: dict[str, Handler] = {}
        self._routes_lock = threading.Lock()
        self._frames: dict[str, pl.DataFrame] = {}
        self._frame_locks: dict[str, threading.Lock] = {}
        self._encoded: dict[Any, bytes] = {}
        self._described: dict[Any, pl.DataFrame] = {}
        self._queries: collections.deque[tuple[str, str]] = collections.deque(maxlen=1000)
        self._cache_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        if samples_dir == "auto":
            from daxa.testing import shared_data_dir

            shared = shared_data_dir()
            samples = shared / "samples" if shared is not None else None
        else:
            samples = Path(samples_dir) if samples_dir is not None else None
        self.sesame = SesameCatalogue(samples)
        from daxa.testing.tap import TapService

        self.mount(
            "/heasarc_tap", TapService(self, "heasarc_tap", HEASARC_TABLES, HEASARC_CAP, True)
        )
        self.mount(
            "/xsa_tap",
            TapService(
                self, "xsa_tap", XSA_TABLES, XSA_CAP, False, schemas=("xsa",),
                serialization="binary2", schema_prefix="xsa.", type_style="adql",
            ),
        )  # fmt: skip
        for service, name in EROSITA_LISTS.items():
            self.mount(f"/{service}", ListService(self, name))
        self.mount("/sesame", SesameService(self.sesame))
        self.mount("/_emulator", ControlService(self))
        #: The archive file trees (HEASARC, eRODat, CalPV, XSA AIO) and their faults.
        self.files: Any = None
        if files:
            from daxa.testing.files import mount_file_trees

            self.files = mount_file_trees(self)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> ArchiveEmulator:
        """Start serving (no-op when already running); returns the emulator."""
        if self._server is not None:
            return self
        self._server = _Server((self.host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"daxa-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        log.info("archive emulator serving at %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.drop_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ArchiveEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise InputError("the emulator is not running; call start() or use it in a with block")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://host:port`` of the running emulator (the mirror base URL for daxa)."""
        return f"http://{self.host}:{self.port}"

    def service_url(self, service: str) -> str:
        """The base URL of one emulated service, e.g. ``service_url("heasarc_tap")``."""
        return f"{self.url}/{service}"

    def requests(self, path: str | None = None) -> int:
        """How many requests arrived under ``path`` (control requests not counted)."""
        return self.faults.requests(path)

    # -- routing ------------------------------------------------------------------------------

    def mount(self, prefix: str, handler: Handler) -> None:
        """Serve every path under ``prefix`` with ``handler`` (the longest matching prefix wins)."""
        with self._routes_lock:
            self._routes[normalise_path(prefix)] = handler

    def unmount(self, prefix: str) -> None:
        with self._routes_lock:
            self._routes.pop(normalise_path(prefix), None)

    def route(self, request: Request) -> Response:
        """Answer ``request`` with the handler of the longest matching prefix (404 if none)."""
        with self._routes_lock:
            matches = [p for p in self._routes if path_matches(p, request.path)]
            prefix = max(matches, key=len) if matches else None
            handler = self._routes[prefix] if prefix is not None else None
        if handler is None or prefix is None:
            return html_page(404)
        request.prefix = prefix
        try:
            return handler(request)
        except Exception:
            log.error("handler for %s failed:\n%s", request.path, traceback.format_exc())
            return html_page(500, "The server encountered an internal error.")

    # -- tables -------------------------------------------------------------------------------

    def rows_for(self, table: str) -> int | None:
        """The row count asked of the generator for ``table`` (None: its default)."""
        if self.sizes is None or self.sizes == "small":
            return None
        if self.sizes == "real":
            from daxa.testing.tables import TABLES

            return TABLES.get(table)
        return self.sizes.get(table) if isinstance(self.sizes, Mapping) else None

    def table(self, name: str) -> pl.DataFrame:
        """The raw table ``name`` as this emulator serves it (generated once, then kept)."""
        with self._cache_lock:
            if name in self._frames:
                return self._frames[name]
            lock = self._frame_locks.setdefault(name, threading.Lock())
        with lock:
            with self._cache_lock:
                if name in self._frames:
                    return self._frames[name]
            source = self._tables_source
            if source is None:
                from daxa.testing.tables import generate_table

                source = generate_table
            frame = source(name, n_rows=self.rows_for(name), seed=self.seed)
            with self._cache_lock:
                self._frames[name] = frame
            return frame

    def log_query(self, service: str, text: str) -> None:
        with self._cache_lock:
            self._queries.append((service, text))

    def queries(self, service: str | None = None) -> list[str]:
        """The last ADQL queries the TAP services received (up to 1,000), oldest first."""
        with self._cache_lock:
            return [q for s, q in self._queries if service is None or s == service]

    def described(self, key: Any, make: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """A cached TAP_SCHEMA description of a served table."""
        with self._cache_lock:
            if key in self._described:
                return self._described[key]
        frame = make()
        with self._cache_lock:
            return self._described.setdefault(key, frame)

    def encoded(self, key: Any, make: Callable[[], bytes]) -> bytes:
        """A cached encoded answer (``key`` None: not cacheable, always made afresh)."""
        if key is None:
            return make()
        with self._cache_lock:
            if key in self._encoded:
                return self._encoded[key]
        data = make()
        with self._cache_lock:
            return self._encoded.setdefault(key, data)


def demo_tables(table: str, n_rows: int | None = None, seed: int = 0) -> pl.DataFrame:
    """A tiny stand-in table source (three rows, a few columns) for examples and tests.

    >>> demo_tables("chanmaster").columns
    ['obsid', 'ra', 'dec', 'name', 'exposure']
    """
    n = 3 if n_rows is None else n_rows
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "obsid": np.arange(1, n + 1, dtype=np.int64),
            "ra": rng.uniform(0, 360, n),
            "dec": np.degrees(np.arcsin(rng.uniform(-1, 1, n))),
            "name": [f"target {i}" for i in range(1, n + 1)],
            "exposure": rng.uniform(0, 1e5, n),
        }
    )
