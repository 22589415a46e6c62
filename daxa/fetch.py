"""Fetch a mission's observation table from its archive and normalise it.

This is the step between the services and the cache: it knows which service each mission's
table comes from (its :class:`~daxa.missions.TableSource`) and falls back where a mission has a
second source (XMM: XSA, then HEASARC).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from daxa.config import service_url
from daxa.errors import ServiceError, ServiceUnavailableError
from daxa.missions import Mission, TableSource, get_mission
from daxa.schema import ARCHIVE_ROW
from daxa.services.http import ArchiveSession, is_synthetic
from daxa.services.lists import fetch_list
from daxa.services.tap import fetch_table
from daxa.urls import redact

log = logging.getLogger("daxa.fetch")

#: Service holding each eROSITA list (its file name is the TableSource's ``table``).
_LIST_SERVICES = {
    "erosita_calpv_info.csv": "erosita_edr",
    "erass_de_dr1_info.csv": "erosita_dr1",
}


@dataclass(frozen=True)
class Fetched:
    """A normalised table and where and when it came from.

    ``service`` is the service name (e.g. ``heasarc_tap``), ``service_url`` its base URL then,
    and ``synthetic`` True when the answers came from daxa's emulator.
    """

    mission: str
    table: pl.DataFrame
    source_url: str
    fetched_at: datetime
    raw_rows: int
    service: str | None = None
    service_url: str | None = None
    synthetic: bool = False


def source_service(source: TableSource) -> str:
    """The name of the service a table source is fetched from."""
    return _LIST_SERVICES[source.table] if source.kind == "erosita_list" else source.kind


def source_url(source: TableSource) -> str:
    """The URL a table source is fetched from, under the current configuration."""
    if source.kind == "erosita_list":
        return f"{service_url(_LIST_SERVICES[source.table])}/{source.table}"
    return f"{service_url(source.kind)}/sync?table={source.table}"


def fetch_raw(source: TableSource, *, session: ArchiveSession | None = None) -> pl.DataFrame:
    """The raw table of one source, as the service gives it.

    An optional column the service lacks (a null column from :func:`fetch_table`, already
    logged there) is left out, so normalisers see it as absent and use their fallback.
    """
    if source.kind == "erosita_list":
        service = _LIST_SERVICES[source.table]
        return fetch_list(source_url(source), service=service, table=source.table, session=session)
    raw = fetch_table(
        source.kind,
        source.table,
        source.columns,
        optional=source.optional,
        alternates=dict(source.alternates),
        session=session,
    )
    unserved = [c for c in source.optional if c in raw.columns and raw.schema[c] == pl.Null]
    return raw.drop(unserved)


def fetch_mission(
    mission: str | Mission,
    *,
    session: ArchiveSession | None = None,
    now: datetime | None = None,
) -> Fetched:
    """Fetch and normalise ``mission``'s observation table (no cache involved)."""
    spec = get_mission(mission)
    now = now or datetime.now(UTC)
    source: TableSource | None = spec.source
    problems: list[ServiceError] = []
    while source is not None:
        try:
            raw = fetch_raw(source, session=session)
        except ServiceError as exc:
            problems.append(exc)
            if source.fallback is not None:
                log.warning("%s: %s; trying %s", spec.name, exc, source.fallback.table)
            source = source.fallback
            continue
        # The archive's own row order, kept as a column: the cache is HEALPix-sorted, and the
        # DAXA facade shows rows in DAXA's (the archive's) order. Normalisers only drop rows,
        # never reorder them, so numbering the normalised rows keeps that order.
        table = spec.normalise(raw, now=now)
        table = table.with_columns(pl.int_range(table.height, dtype=pl.Int64).alias(ARCHIVE_ROW))
        url, service = source_url(source), source_service(source)
        return Fetched(  # URLs without credentials: a Fetched may be printed or logged
            spec.name,
            table,
            redact(url),
            now,
            raw.height,
            service=service,
            service_url=redact(service_url(service)),
            synthetic=is_synthetic(url),
        )
    if len(problems) == 1:
        raise problems[0]
    unreachable = all(isinstance(p, ServiceUnavailableError) for p in problems)
    raise (ServiceUnavailableError if unreachable else ServiceError)(
        f"every source of {spec.name} failed: " + " | ".join(str(p) for p in problems)
    )
