"""The emulated TAP services (HEASARC, XSA): ``/sync`` answers over the emulator's tables.

Queries run on DuckDB (:mod:`daxa.testing.adql`); answers come in the service's own VOTable
serialisation (HEASARC BINARY, XSA BINARY2), TABLEDATA or CSV on request; ``TAP_SCHEMA.columns``
describes every served table; injected schema drift (:meth:`daxa.testing.Faults.drop_column`,
:meth:`~daxa.testing.Faults.rename_column`) changes both the answers and ``TAP_SCHEMA``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.testing import adql, votable
from daxa.testing.messages import Request, Response, html_page

if TYPE_CHECKING:
    from daxa.testing.server import ArchiveEmulator, Serialization


class TapService:
    """A TAP service's ``/sync`` endpoint over a set of tables from the emulator."""

    def __init__(
        self,
        emulator: ArchiveEmulator,
        service: str,
        tables: Iterable[str],
        cap: int,
        random_subset: bool,
        schemas: Iterable[str] = (),
        serialization: Serialization = "binary",
        schema_prefix: str = "",
        type_style: Literal["votable", "adql"] = "votable",
    ) -> None:
        self.emulator = emulator
        self.service = service
        self.tables = tuple(tables)
        self.cap = cap
        self.random_subset = random_subset
        self.schemas = {s.lower() for s in schemas}
        self.serialization = serialization
        self.schema_prefix = schema_prefix
        self.type_style = type_style
        self._draws = 0
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        if request.subpath.rstrip("/") != "/sync":
            return html_page(404)
        try:
            return self.sync(request)
        except adql.ADQLError as exc:
            return _tap_error(str(exc))

    def sync(self, request: Request) -> Response:
        params = {k.upper(): v for k, v in request.form().items()}
        if params.get("REQUEST", "doQuery").lower() != "doquery":
            raise adql.ADQLError(f"REQUEST={params['REQUEST']} is not supported; use doQuery")
        lang = params.get("LANG")
        if not lang:
            raise adql.ADQLError("the LANG parameter is required (LANG=ADQL)")
        if not lang.upper().startswith("ADQL"):
            raise adql.ADQLError(f"query language {lang} is not supported; use ADQL")
        text = params.get("QUERY", "")
        if not text.strip():
            raise adql.ADQLError("the QUERY parameter is required")
        kind = _answer_format(params, self.emulator.serialization or self.serialization)
        maxrec = _maxrec(params.get("MAXREC"))
        query = adql.parse(text)
        self.emulator.log_query(self.service, text)
        table = self.table_name(query)
        try:
            frame = self.schema_columns(text) if table == SCHEMA_TABLE else self.served(table)
        except (KeyError, InputError):  # the table source does not know it
            raise adql.ADQLError(f"table {table!r} does not exist on this service") from None
        sample = self._rng() if self.random_subset else None
        result = adql.execute(query, frame, limit=self.cap, sample=sample)
        rows, overflow = result.frame, result.overflow
        if maxrec is not None and rows.height > maxrec:
            rows, overflow = rows.head(maxrec), True
        whole = (
            rows.height == frame.height
            and not query.where
            and not query.order_by
            and not query.distinct
            and not query.is_count
        )
        whole = whole and table != SCHEMA_TABLE  # TAP_SCHEMA follows the injected drift
        key = (self.service, table, tuple(rows.columns), kind) if whole else None
        body = self.emulator.encoded(key, lambda: _encode(rows, table, kind, overflow))
        content_type = "text/csv" if kind == "csv" else "application/x-votable+xml"
        return Response(200, body, content_type)

    def served(self, table: str) -> pl.DataFrame:
        """``table`` as served now: the generated frame with the injected drift applied."""
        return apply_drift(self.emulator.table(table), self.emulator.faults.drift(table))

    def schema_columns(self, text: str = "") -> pl.DataFrame:
        """``TAP_SCHEMA.columns`` for every table of this service (drift included).

        When the query ``text`` names some of the tables, only those are described (the rest
        would be filtered out anyway, and describing a table means generating it).
        """
        frames = []
        named = [t for t in self.tables if t in text.lower()]
        for table in named or self.tables:
            try:
                frame = self.served(table)
            except (KeyError, InputError):
                continue
            key = ("describe", self.service, table, tuple(frame.columns))
            adql_types = self.type_style == "adql"
            described = self.emulator.described(
                key, functools.partial(votable.describe, frame, adql_types=adql_types)
            )
            frames.append(
                described.with_columns(
                    table_name=pl.lit(self.schema_prefix + table), principal=pl.lit(1),
                    indexed=pl.lit(0), std=pl.lit(0),
                )
            )  # fmt: skip
        return pl.concat(frames).select(
            "table_name", "column_name", "datatype", "arraysize", "xtype", "unit",
            "description", "principal", "indexed", "std",
        )  # fmt: skip

    def table_name(self, query: adql.Query) -> str:
        name = query.table.lower()
        if (query.schema or "").lower() == "tap_schema" and name == "columns":
            return SCHEMA_TABLE
        if (query.schema is None or query.schema.lower() in self.schemas) and name in self.tables:
            return name
        shown = f"{query.schema}.{query.table}" if query.schema else query.table
        raise adql.ADQLError(
            f"table {shown!r} does not exist; this service has: {', '.join(self.tables)}"
        )

    def _rng(self) -> np.random.Generator:
        with self._lock:
            self._draws += 1
            return np.random.default_rng([self.emulator.seed, self._draws])


SCHEMA_TABLE = "tap_schema.columns"


def apply_drift(frame: pl.DataFrame, drift: list[tuple[str, str, str]]) -> pl.DataFrame:
    """``frame`` with injected schema drift: ``("drop", col, "")``, ``("rename", col, new)`` or
    ``("retype", col, "")`` (served as text).

    >>> apply_drift(pl.DataFrame({"a": [1], "b": [2]}), [("drop", "a", ""), ("rename", "b", "B")])
    shape: (1, 1)
    ┌─────┐
    │ B   │
    │ --- │
    │ i64 │
    ╞═════╡
    │ 2   │
    └─────┘
    """
    for op, column, new in drift:
        if column not in frame.columns:
            continue
        if op == "drop":
            frame = frame.drop(column)
        elif op == "retype":
            frame = frame.with_columns(pl.col(column).cast(pl.String))
        else:
            frame = frame.rename({column: new})
    return frame


def _tap_error(message: str) -> Response:
    return Response(400, votable.votable_error(message), "application/x-votable+xml")


def _answer_format(params: Mapping[str, str], default_serialization: str) -> str:
    """'binary', 'binary2', 'tabledata' or 'csv' from RESPONSEFORMAT/FORMAT (and SERIALIZATION)."""
    requested = (params.get("RESPONSEFORMAT") or params.get("FORMAT") or "votable").strip().lower()
    serialization = params.get("SERIALIZATION", default_serialization).strip().lower()
    if requested in ("csv", "text/csv"):
        return "csv"
    if requested in ("votable/td", "votable_plain") or "serialization=tabledata" in requested:
        return "tabledata"
    if requested == "votable/b2" or "serialization=binary2" in requested:
        return "binary2"
    if requested == "votable/b" or "serialization=binary" in requested:
        return "binary"
    if requested in ("votable", "application/x-votable+xml", "text/xml", "xml"):
        return serialization if serialization in ("tabledata", "binary2") else "binary"
    raise adql.ADQLError(f"output format {requested!r} is not supported; use votable or csv")


def _maxrec(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise adql.ADQLError(f"MAXREC must be a whole number, not {value!r}") from None
    if number < 0:
        raise adql.ADQLError(f"MAXREC must be >= 0, not {number}")
    return number


def _encode(rows: pl.DataFrame, table: str, kind: str, overflow: bool) -> bytes:
    if kind == "csv":
        return rows.write_csv().encode()
    if kind == "tabledata":
        return votable.votable_tabledata(rows, table=table, overflow=overflow)
    return votable.votable_binary(rows, table=table, overflow=overflow, binary2=kind == "binary2")
