"""Running one ADQL query on a TAP service's ``/sync`` endpoint, rows back as a DataFrame.

The lowest rung of the TAP client: :mod:`daxa.services.columns` uses it to learn a table's
columns and :mod:`daxa.services.tap` to fetch whole tables, so it lives below both.
"""

from __future__ import annotations

import tempfile

import polars as pl

from daxa.config import service_url
from daxa.services.answers import parse_answer
from daxa.services.http import ArchiveSession, default_session

__all__ = ["run_query"]


def run_query(
    service: str,
    adql: str,
    *,
    table: str | None = None,
    session: ArchiveSession | None = None,
) -> pl.DataFrame:
    """Run ``adql`` on the TAP service ``service`` (e.g. ``"heasarc_tap"``) and return the rows.

    Raises :class:`~daxa.errors.ServiceError` for an error VOTable, an HTML page, or a body that
    does not parse, naming the service, table and URL.
    """
    session = session or default_session()
    url = f"{service_url(service)}/sync"
    params = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": adql}
    with tempfile.TemporaryFile() as sink:
        answer = session.post(url, data=params, service=service, table=table, sink=sink)
        sink.seek(0)
        return parse_answer(answer, sink, service=service, table=table)
