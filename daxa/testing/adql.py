"""The emulator's ADQL, run by DuckDB.

ADQL is SQL with a few differences, so instead of interpreting it the emulator rewrites those
and lets DuckDB run the query on the served table: ``SELECT [DISTINCT] TOP n ...`` becomes
``... LIMIT n``, and the geometry functions daxa or a user may send (``POINT``, ``CIRCLE``,
``CONTAINS``, ``DISTANCE``, in degrees on the sphere) become DuckDB macros. The table is
registered under the name the query uses (``xsa.v_all_observations``, ``TAP_SCHEMA.columns``),
so qualified names and aliases work as written. As in ADQL, keywords and unquoted identifiers
are case-insensitive (DuckDB matches quoted ones case-insensitively too); NaN in a float
column is NULL, as a VOTable NaN is.

>>> import polars as pl
>>> frame = pl.DataFrame({"obsid": [1, 2, 3], "name": ["Crab", "M87", None]})
>>> q = parse("SELECT TOP 5 obsid FROM chanmaster WHERE name LIKE 'M%' OR name IS NULL")
>>> execute(q, frame).frame["obsid"].to_list()
[2, 3]
>>> execute(parse("select count(*) as n from chanmaster"), frame).frame.row(0)
(3,)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl
import polars.selectors as cs

from daxa.errors import InputError


class ADQLError(InputError):
    """A query the emulator cannot run: bad syntax, unknown table or column, type mismatch."""


_TOP = re.compile(r"^\s*SELECT\s+(?P<distinct>DISTINCT\s+|ALL\s+)?TOP\s+(?P<n>\S+)\s+", re.I)
_SELECT = re.compile(r"^\s*SELECT\s+(?P<distinct>DISTINCT\s+)?", re.I)
_NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)'
_FROM = re.compile(
    rf"\bFROM\s+(?P<first>{_NAME})(?:\s*\.\s*(?P<second>{_NAME}))?"
    rf"(?:\s+(?:AS\s+)?(?P<alias>(?!WHERE\b|ORDER\b|GROUP\b)[A-Za-z_][A-Za-z0-9_]*))?",
    re.I,
)
_COUNT = re.compile(r"\bCOUNT\s*\(\s*\*\s*\)", re.I)
_STRINGS = re.compile(r"'(?:[^']|'')*'")
_FUNCTIONS = re.compile(r"\b(POINT|CIRCLE|CONTAINS|DISTANCE)\s*\(", re.I)

#: ADQL geometry as DuckDB macros (positions and radii in degrees).
_MACROS = """
CREATE MACRO adql_point(frame, x, y) AS struct_pack(ra := x, dec := y);
CREATE MACRO adql_circle(frame, x, y, radius) AS struct_pack(ra := x, dec := y, r := radius);
CREATE MACRO adql_distance(p, q) AS degrees(2 * asin(sqrt(
    pow(sin(radians(q.dec - p.dec) / 2), 2)
    + cos(radians(p.dec)) * cos(radians(q.dec)) * pow(sin(radians(q.ra - p.ra) / 2), 2))));
CREATE MACRO adql_contains(p, c) AS CASE WHEN adql_distance(p, c) <= c.r THEN 1 ELSE 0 END;
"""


@dataclass(frozen=True)
class Query:
    """An ADQL query and what the service needs to know before running it."""

    text: str
    table: str
    schema: str | None = None
    top: int | None = None
    distinct: bool = False
    is_count: bool = False
    where: bool = False
    order_by: bool = False


def _unquote(name: str | None) -> str | None:
    if name is None:
        return None
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def parse(sql: str) -> Query:
    """Read what the emulator needs from ``sql``: the table, ``TOP``, COUNT, WHERE, ORDER BY.

    DuckDB checks the rest when the query runs.
    """
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise ADQLError("empty query")
    if not re.match(r"SELECT\b", text, re.I):
        raise ADQLError(f"expected SELECT at the start of the query, found {text[:20]!r}")
    bare = _STRINGS.sub("''", text)  # keywords inside string literals do not count
    top = None
    select = _SELECT.match(bare)
    match = _TOP.match(bare)
    if match:
        if not match["n"].isdigit():
            raise ADQLError(f"expected a row count after TOP, found {match['n']!r}")
        top = int(match["n"])
    found = _FROM.search(bare)
    if found is None:
        raise ADQLError("expected a table name after FROM (one table per query)")
    first, second = _unquote(found["first"]), _unquote(found["second"])
    schema, table = (first, second) if second else (None, first)
    assert table is not None
    return Query(
        text=text,
        table=table,
        schema=schema,
        top=top,
        distinct=bool((match and match["distinct"]) or (select and select["distinct"])),
        is_count=bool(_COUNT.search(bare)),
        where=bool(re.search(r"\bWHERE\b", bare, re.I)),
        order_by=bool(re.search(r"\bORDER\s+BY\b", bare, re.I)),
    )


def to_duckdb(query: Query) -> str:
    """The DuckDB SQL for ``query``: ``TOP n`` as ``LIMIT n``, geometry as macros.

    >>> to_duckdb(parse("SELECT TOP 3 obsid FROM t WHERE CONTAINS(POINT('ICRS', ra, dec), "
    ...                 "CIRCLE('ICRS', 83.6, 22.0, 0.5)) = 1"))  # doctest: +NORMALIZE_WHITESPACE
    "SELECT obsid FROM t WHERE adql_contains(adql_point('ICRS', ra, dec),
     adql_circle('ICRS', 83.6, 22.0, 0.5)) = 1 LIMIT 3"
    """
    text = query.text
    if query.top is not None:
        head = _TOP.match(text)
        assert head is not None
        text = "SELECT " + (head["distinct"] or "") + text[head.end() :] + f" LIMIT {query.top}"
    pieces = re.split(r"('(?:[^']|'')*')", text)  # leave string literals alone
    for i in range(0, len(pieces), 2):
        pieces[i] = _FUNCTIONS.sub(lambda m: f"adql_{m[1].lower()}(", pieces[i])
    return "".join(pieces)


@dataclass(frozen=True)
class Result:
    """Rows a query returns, and whether a row cap cut them short (TAP ``OVERFLOW``)."""

    frame: pl.DataFrame
    overflow: bool = False


def execute(
    query: Query,
    frame: pl.DataFrame,
    *,
    limit: int | None = None,
    sample: np.random.Generator | None = None,
) -> Result:
    """Run ``query`` on ``frame`` (the table it names) with DuckDB.

    Without ``TOP``, at most ``limit`` rows come back: a random subset drawn with ``sample``
    when given and the query has no ``ORDER BY`` (what HEASARC does), else the first ones.
    """
    rows = _run(query, frame)
    if rows.width == 1 and rows.columns[0] == "count_star()":
        rows = rows.rename({"count_star()": "count"})
    if query.top is not None or limit is None or rows.height <= limit:
        return Result(rows)
    if sample is not None and not query.order_by:
        keep = np.sort(sample.choice(rows.height, size=limit, replace=False))
        return Result(rows[keep], overflow=True)
    return Result(rows.head(limit), overflow=True)


def _run(query: Query, frame: pl.DataFrame) -> pl.DataFrame:
    clean = frame.with_columns(cs.float().fill_nan(None))
    with duckdb.connect() as con:
        try:
            for statement in filter(str.strip, _MACROS.split(";")):
                con.execute(statement)
            con.register("_served", clean)
            target = f'"{query.table}"'
            if query.schema:
                con.execute(f'CREATE SCHEMA "{query.schema}"')
                target = f'"{query.schema}".{target}'
            con.execute(f"CREATE VIEW {target} AS SELECT * FROM _served")
            table = con.sql(to_duckdb(query)).to_arrow_table()
        except duckdb.Error as exc:
            lines = [line for line in str(exc).strip().splitlines() if line.strip()]
            raise ADQLError(
                f"the query failed: {' '.join(lines[:2]) or type(exc).__name__}"
            ) from None
    rows = pl.from_arrow(table)
    assert isinstance(rows, pl.DataFrame)
    return rows
