"""``daxa doctor``: is every archive daxa uses reachable, and do its tables still fit daxa?

Archives change under their users (DAXA once broke for months when HEASARC changed a
column-name rule). For every table source of every mission, under the services configured now
(the real archives, a mirror or the emulator), the doctor reaches the service, reads the
table's columns through the same discovery the fetch uses (:mod:`daxa.services.columns`),
compares them with what daxa asks for, counts the rows, and says what to do. One row per table:

==============  ===============================================================================
``mission``     the mission (a table used by two missions appears twice)
``service``     daxa's name for the service, and ``url`` its base URL (credentials removed)
``reachable``   whether it answered; ``latency_ms`` how long the column discovery took
``missing``     required columns the table lacks (the fetch would fail)
``optional``    optional columns the table lacks (they become null)
``renamed``     ``daxa_name→service_name`` for columns found under another name or case
``retyped``     columns whose kind (number, text, boolean) differs from the one daxa expects
``rows``        ``COUNT(*)`` of the table (or the list's rows)
``action``      what to do about it ("ok" when nothing)
==============  ===============================================================================

``daxa.doctor()`` returns a :class:`DoctorReport` (``.table`` is the polars DataFrame,
``.ok`` whether nothing needs attention); ``daxa doctor`` prints it and exits 1 when a
service is unreachable or a required column is missing.
"""

from __future__ import annotations

import logging
import sys
import time
import types
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from daxa.config import service_url
from daxa.errors import SchemaDriftError, ServiceError, ServiceUnavailableError
from daxa.missions import Mission, TableSource, get_mission, mission_names
from daxa.services.columns import ColumnPlan, ServiceColumn, plan_for_table, polars_kind
from daxa.services.http import ArchiveSession

log = logging.getLogger("daxa.doctor")

#: Columns of the report, in order.
REPORT_COLUMNS = {
    "mission": pl.String,
    "service": pl.String,
    "url": pl.String,
    "table": pl.String,
    "reachable": pl.Boolean,
    "latency_ms": pl.Float64,
    "columns": pl.Int64,
    "missing": pl.String,
    "optional": pl.String,
    "renamed": pl.String,
    "retyped": pl.String,
    "rows": pl.Int64,
    "action": pl.String,
}


@dataclass(frozen=True)
class DoctorReport:
    """The doctor's findings: one row per (mission, table source)."""

    table: pl.DataFrame

    @property
    def ok(self) -> bool:
        """True when every service answered and no table lacks a required column."""
        return bool(
            self.table["reachable"].all() and (self.table["missing"].fill_null("") == "").all()
        )

    @property
    def problems(self) -> pl.DataFrame:
        """The rows that need attention."""
        return self.table.filter(~pl.col("reachable") | (pl.col("missing").fill_null("") != ""))

    def __str__(self) -> str:
        with pl.Config(
            tbl_rows=200, tbl_cols=20, fmt_str_lengths=80, tbl_hide_dataframe_shape=True
        ):
            return str(self.table)


def public_url(url: str) -> str:
    """``url`` without user name or password (safe to print).

    >>> public_url("https://user:secret@mirror.example/tap")
    'https://mirror.example/tap'
    """
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=host))


def _sources(spec: Mission) -> Iterable[TableSource]:
    source: TableSource | None = spec.source
    while source is not None:
        yield source
        source = source.fallback


def doctor(
    missions: str | Iterable[str] = "all",
    *,
    count: bool = True,
    session: ArchiveSession | None = None,
) -> DoctorReport:
    """Check every table source of ``missions`` (default all) under the current configuration.

    ``count=False`` skips the ``COUNT(*)`` queries. A service that does not answer is tried
    once and then reported unreachable for each of its tables.
    """
    if missions == "all":
        names = mission_names()
    else:
        names = [missions] if isinstance(missions, str) else list(missions)
    own_session = session is None
    session = session or ArchiveSession(retries=1, backoff=0.2, connect_timeout=5, read_timeout=60)
    down: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    try:
        for name in names:
            spec = get_mission(name)
            for source in _sources(spec):
                rows.append(_check(spec.name, source, count, session, down))
    finally:
        if own_session:
            session.close()
    return DoctorReport(pl.DataFrame(rows, schema=REPORT_COLUMNS))


def _check(
    mission: str, source: TableSource, count: bool, session: ArchiveSession, down: dict[str, str]
) -> dict[str, Any]:
    if source.kind == "erosita_list":
        from daxa.fetch import _LIST_SERVICES

        service = _LIST_SERVICES[source.table]
    else:
        service = source.kind
    base = service_url(service)
    row: dict[str, Any] = {
        "mission": mission, "service": service, "url": public_url(base), "table": source.table,
        "reachable": False, "latency_ms": None, "columns": None, "missing": None,
        "optional": None, "renamed": None, "retyped": None, "rows": None,
    }  # fmt: skip
    if service in down:
        row["action"] = down[service]
        return row
    started = time.perf_counter()
    try:
        if source.kind == "erosita_list":
            _check_list(row, service, source, session)
        else:
            _check_tap(row, service, source, count, session)
    except ServiceUnavailableError as exc:
        down[service] = (
            f"unreachable: check the network or the service's status page, or point daxa at "
            f"a mirror (DAXA_MIRROR / DAXA_URL_{service.upper()}); {_short(exc)}"
        )
        row["action"] = down[service]
        return row
    except ServiceError as exc:
        row["reachable"] = True
        row["action"] = f"the service answered with an error: {_short(exc)}; run again later"
    row["latency_ms"] = round((time.perf_counter() - started) * 1000.0, 1)
    return row


def _check_list(
    row: dict[str, Any], service: str, source: TableSource, session: ArchiveSession
) -> None:
    from daxa.fetch import source_url
    from daxa.services.lists import fetch_list

    frame = fetch_list(source_url(source), service=service, table=source.table, session=session)
    row.update(reachable=True, columns=frame.width, rows=frame.height, missing="", optional="",
               renamed="", retyped="", action="ok")  # fmt: skip


def _check_tap(
    row: dict[str, Any], service: str, source: TableSource, count: bool, session: ArchiveSession
) -> None:
    started = time.perf_counter()
    plan = plan_for_table(
        service, source.table, source.columns, source.optional, dict(source.alternates),
        session=session,
    )  # fmt: skip
    row["reachable"] = True
    row["latency_ms"] = round((time.perf_counter() - started) * 1000.0, 1)
    retyped = _retyped(source.table, plan)
    row.update(
        columns=len(plan.available),
        missing=", ".join(plan.missing_required),
        optional=", ".join(plan.missing_optional),
        renamed=", ".join(f"{k}→{v}" for k, v in plan.renamed.items()),
        retyped=", ".join(retyped),
    )
    if count and not plan.missing_required and plan.available:
        from daxa.services.tap import run_query

        counted = run_query(
            service, f"SELECT COUNT(*) AS n FROM {source.table}", table=source.table,
            session=session,
        )  # fmt: skip
        row["rows"] = int(counted.to_series(0)[0]) if counted.height else None
    row["action"] = _action(plan, retyped)


def _action(plan: ColumnPlan, retyped: list[str]) -> str:
    if not plan.available:
        return "the service lists no columns for this table: it may have been renamed; report it"
    if plan.missing_required:
        return (
            f"fetching will fail (missing {', '.join(plan.missing_required)}): report it so "
            "daxa can be updated; the cached table still works"
        )
    notes = []
    if plan.renamed:
        notes.append("renamed columns are mapped")
    if plan.missing_optional:
        notes.append("missing optional columns will be empty")
    if retyped:
        notes.append("check the retyped columns and report them")
    return "ok" if not notes else "ok: " + "; ".join(notes)


def _retyped(table: str, plan: ColumnPlan) -> list[str]:
    """Columns whose kind on the service differs from the kind daxa was written against.

    The expected kinds are those of the tables daxa's tests and emulator use
    (:mod:`daxa.testing.tables`), which follow the archives' documented types.
    """
    expected = _expected_kinds(table)
    got = {c.name.lower(): c for c in plan.available}
    out = []
    for wanted, service_name in plan.select.items():
        column: ServiceColumn | None = got.get(service_name.lower())
        want = expected.get(wanted.lower())
        if column is None or want is None:
            continue
        kind = column.kind
        if kind != "other" and kind != want:
            out.append(f"{wanted} ({want}→{kind})")
    return out


_EXPECTED: dict[str, dict[str, str]] = {}


def _expected_kinds(table: str) -> dict[str, str]:
    if table not in _EXPECTED:
        try:
            from daxa.testing.tables import SMALL_SIZES, generate_table

            frame = generate_table(table, min(SMALL_SIZES.get(table, 50), 50))
            _EXPECTED[table] = {k.lower(): polars_kind(v) for k, v in frame.schema.items()}
        except Exception:  # no generator for this table: nothing to compare with
            _EXPECTED[table] = {}
    return _EXPECTED[table]


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."


class _CallableModule(types.ModuleType):
    """Makes ``daxa.doctor(...)`` work as well as ``daxa.doctor.doctor(...)``."""

    def __call__(self, *args: Any, **kwargs: Any) -> DoctorReport:
        return doctor(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["DoctorReport", "SchemaDriftError", "doctor", "public_url"]
