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
import logging
import threading
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.testing.faults import Faults, normalise_path, path_matches
from daxa.testing.messages import (
    EMULATOR_HEADER,
    Handler,
    Request,
    Response,
    bytes_response,
    file_response,
    html_page,
    parse_range,
    ranged_response,
)
from daxa.testing.services import ControlService, ListService, SesameService
from daxa.testing.sesame import SesameCatalogue
from daxa.testing.shared import shared_data_dir
from daxa.testing.transport import EmulatorServer

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
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None
        if samples_dir == "auto":
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
        self._server = EmulatorServer((self.host, self._requested_port), self)
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


__all__ = [
    "EMULATOR_HEADER",
    "ArchiveEmulator",
    "Handler",
    "Request",
    "Response",
    "bytes_response",
    "demo_tables",
    "file_response",
    "html_page",
    "parse_range",
    "ranged_response",
]
