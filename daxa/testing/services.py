"""The emulator's small services: the eROSITA lists, CDS Sesame and the ``/_emulator`` control.

Each is a route handler (a callable taking a :class:`~daxa.testing.messages.Request`) the
:class:`~daxa.testing.server.ArchiveEmulator` mounts under its own prefix; the TAP services
live in :mod:`daxa.testing.tap`, the file trees in :mod:`daxa.testing.files`.
"""

from __future__ import annotations

import io
import json
import urllib.parse
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.testing.messages import Request, Response, bytes_response, html_page
from daxa.testing.sesame import SesameCatalogue, sesame_xml

if TYPE_CHECKING:
    from daxa.testing.server import ArchiveEmulator


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
