"""Fetching published tables that have no query service (the eROSITA lists): CSV or FITS."""

from __future__ import annotations

import io
import warnings

import polars as pl

from daxa.errors import ServiceError
from daxa.frames import astropy_table_to_polars
from daxa.services.completeness import csv_problem
from daxa.services.http import ArchiveSession, Response, default_session


def fetch_list(
    url: str,
    *,
    service: str,
    table: str,
    session: ArchiveSession | None = None,
    expected_rows: int | None = None,
) -> pl.DataFrame:
    """Download a CSV or FITS table from ``url``; CSV columns are all read as strings.

    Strings keep leading zeros (eRASS1 tile ``000123``) and odd time formats for the normaliser.
    With ``expected_rows`` a CSV answer with another number of rows is retried like a cut body
    (and is an error naming the URL if it stays wrong).
    """
    session = session or default_session()

    def check(answer: Response, _sink: object) -> str | None:
        if expected_rows is None or answer.body.startswith(b"SIMPLE  ="):
            return None
        return csv_problem(answer.body, expected_rows=expected_rows)

    answer = session.get(url, service=service, table=table, check=check)
    where = {"service": service, "table": table, "url": answer.url}
    body = answer.body
    if answer.status >= 400:
        raise ServiceError(f"HTTP {answer.status} for the table", **where)
    head = body[:200].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise ServiceError("answered with an HTML page where a table was expected", **where)
    if body.startswith(b"SIMPLE  ="):
        from astropy.table import Table

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = Table.read(io.BytesIO(body), format="fits")
        except Exception as exc:
            raise ServiceError(f"not a readable FITS table ({exc})", **where) from None
        return astropy_table_to_polars(parsed)
    try:
        return pl.read_csv(io.BytesIO(body), infer_schema=False)
    except Exception as exc:
        raise ServiceError(f"not a readable CSV table ({exc})", **where) from None
