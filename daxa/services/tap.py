"""A small TAP (sync) client: ADQL in, polars DataFrame out.

Whole-table fetches always say ``TOP`` and are checked against ``COUNT(*)``, because HEASARC
returns a random 100,000-row subset of larger tables and XSA only 2,000 rows without it.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from daxa.config import service_url
from daxa.errors import ServiceError
from daxa.services.adql import run_query
from daxa.services.answers import parse_answer, parse_votable
from daxa.services.columns import apply_plan, check_plan, plan_columns, plan_for_table
from daxa.services.http import ArchiveSession

#: Larger than any archive table; what HEASARC's documentation suggests to lift its cap.
TOP_ALL = 9_999_999


def fetch_table(
    service: str,
    table: str,
    columns: Sequence[str] = (),
    *,
    optional: Sequence[str] = (),
    alternates: dict[str, Sequence[str]] | None = None,
    where: str | None = None,
    session: ArchiveSession | None = None,
) -> pl.DataFrame:
    """Every row of ``table`` (optionally ``where``), checked against ``COUNT(*)``.

    The table's columns are learnt first (:mod:`daxa.services.columns`: ``TAP_SCHEMA``, else a
    ``TOP 0`` probe) and only the named ``columns`` are asked for, under the service's own
    spelling (any case, or a known ``alternates`` name) and returned under daxa's: a missing
    required column raises :class:`~daxa.errors.SchemaDriftError`, a missing ``optional`` one
    comes back as a null column. Without ``columns`` every column the service lists is fetched
    by name (still never ``SELECT *``).
    """
    url = f"{service_url(service)}/sync"
    if columns:
        plan = plan_for_table(service, table, columns, optional, alternates, session=session)
    else:
        plan = plan_for_table(service, table, (), session=session)
        plan = plan_columns(plan.available, [c.name for c in plan.available])
    check_plan(plan, service=service, table=table, url=url)
    if not plan.select:
        raise ServiceError(
            "the service lists no columns for this table; check its name",
            service=service,
            table=table,
            url=url,
        )
    condition = f" WHERE {where}" if where else ""
    counted = run_query(
        service, f"SELECT COUNT(*) AS n FROM {table}{condition}", table=table, session=session
    )
    if counted.height != 1:
        raise ServiceError("COUNT(*) did not return one row", service=service, table=table, url=url)
    expected = int(counted.to_series(0)[0])
    rows = run_query(
        service,
        f"SELECT TOP {TOP_ALL} {plan.select_list()} FROM {table}{condition}",
        table=table,
        session=session,
    )
    if rows.height < expected:
        raise ServiceError(
            f"returned {rows.height} rows but COUNT(*) says {expected}; the answer was cut "
            "short, try again later",
            service=service,
            table=table,
            url=url,
        )
    return apply_plan(rows, plan)


# The answer parsers live in daxa.services.answers; the old private names stay importable.
_parse_answer = parse_answer
_parse_votable = parse_votable
