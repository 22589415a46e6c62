"""The emulator's ADQL (rewritten for DuckDB): evaluation against known answers, the
rewrites, the row caps, and errors that name the problem."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daxa.errors import InputError
from daxa.testing.adql import ADQLError, execute, parse, to_duckdb

TABLE = pl.DataFrame(
    {
        "obsid": [101, 102, 103, 104, 105, 106],
        "ra": [83.63, 187.71, None, 350.85, float("nan"), 10.68],
        "dec": [22.01, 12.39, 0.0, 58.82, -5.0, 41.27],
        "name": ["Crab", "M87", None, "Cas A", "it's", "M31"],
        "status": ["archived", "processed", "archived", "observed", "archived", "processed"],
        "time": [
            dt.datetime(2000, 1, 1),
            dt.datetime(2005, 6, 1),
            dt.datetime(2010, 1, 1),
            None,
            dt.datetime(2020, 1, 1),
            dt.datetime(2021, 3, 4, 12),
        ],
        "public": [True, True, False, None, True, False],
    }
)


def ids(sql: str, frame: pl.DataFrame = TABLE) -> list[int]:
    return execute(parse(sql), frame).frame["obsid"].to_list()


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("obsid = 102", [102]),
        ("obsid <> 102 AND obsid != 101", [103, 104, 105, 106]),
        ("ra > 100", [102, 104]),  # NULL and NaN never compare true
        ("ra <= 83.63", [101, 106]),
        ("dec >= 0 AND dec < 22.01", [102, 103]),
        ("-6 < dec AND dec < -4.5", [105]),
        ("ra IS NULL", [103, 105]),  # NaN is how a NULL double travels: treated as NULL
        ("ra IS NOT NULL", [101, 102, 104, 106]),
        ("name IS NULL", [103]),
        ("status IN ('archived', 'observed')", [101, 103, 104, 105]),
        ("status NOT IN ('archived')", [102, 104, 106]),
        ("obsid IN (101, 106.0)", [101, 106]),
        ("name LIKE 'M%'", [102, 106]),
        ("name LIKE 'M_1'", [106]),
        ("name NOT LIKE 'M%'", [101, 104, 105]),
        ("name LIKE 'm%'", []),  # LIKE is case-sensitive
        ("name ILIKE 'm%'", [102, 106]),
        ("name = 'it''s'", [105]),
        ("name LIKE '%.%'", []),  # the dot is literal
        ("obsid BETWEEN 102 AND 104", [102, 103, 104]),
        ("obsid NOT BETWEEN 102 AND 104", [101, 105, 106]),
        ("time >= '2010-01-01'", [103, 105, 106]),
        ("time BETWEEN '2005-01-01' AND '2010-01-01T00:00:00'", [102, 103]),
        ("public = 1", [101, 102, 105]),
        ("NOT public = 1", [103, 106]),
        ("(obsid < 102 OR obsid > 105) AND name LIKE 'M%'", [106]),
        ("obsid < 102 OR obsid > 105 AND name LIKE 'C%'", [101]),  # AND binds tighter
        ("NOT (obsid < 103 OR obsid > 104)", [103, 104]),
        ("obsid = NULL", []),
        ("102 < obsid AND 105 > obsid", [103, 104]),
        ("ra > dec", [101, 102, 104]),
    ],
)
def test_where_predicates(where: str, expected: list[int]) -> None:
    assert ids(f"SELECT obsid FROM chanmaster WHERE {where}") == expected


def test_keywords_and_identifiers_are_case_insensitive() -> None:
    assert ids("select OBSID from ChanMaster where NAME like 'M%'") == [102, 106]
    assert ids('SELECT "obsid" FROM chanmaster WHERE "status" = \'observed\'') == [104]


def test_select_list_top_order_alias_distinct() -> None:
    result = execute(parse("SELECT TOP 2 obsid AS id, name FROM t ORDER BY obsid DESC"), TABLE)
    assert result.frame.columns == ["id", "name"]
    assert result.frame.rows() == [(106, "M31"), (105, "it's")]
    assert ids("SELECT obsid FROM t ORDER BY ra") == [106, 101, 102, 104, 103, 105]  # NULLs last
    assert ids("SELECT obsid FROM t ORDER BY status, 1 DESC") == [105, 103, 101, 104, 106, 102]
    by_alias = execute(parse("SELECT obsid AS o FROM t ORDER BY o DESC"), TABLE).frame
    assert by_alias["o"].to_list() == [106, 105, 104, 103, 102, 101]
    distinct = execute(parse("SELECT DISTINCT status FROM t"), TABLE).frame
    assert distinct["status"].to_list() == ["archived", "processed", "observed"]
    everything = execute(parse("SELECT * FROM t"), TABLE).frame
    assert everything.equals(TABLE.with_columns(pl.col("ra").fill_nan(None)))  # NaN is NULL
    assert ids("SELECT TOP 0 obsid FROM t") == []


def test_qualified_names_and_table_alias() -> None:
    q = parse("SELECT c.obsid FROM xsa.v_all_observations AS c WHERE c.ra > 100")
    assert (q.schema, q.table, q.where, q.top) == ("xsa", "v_all_observations", True, None)
    assert ids("SELECT c.obsid FROM xsa.v_all_observations AS c WHERE c.ra > 100") == [102, 104]
    assert ids("SELECT c.obsid FROM chanmaster c WHERE c.ra > 100") == [102, 104]
    assert ids("SELECT chanmaster.obsid FROM chanmaster WHERE obsid = 101") == [101]
    assert parse('SELECT column_name FROM "TAP_SCHEMA".columns').schema == "TAP_SCHEMA"
    with pytest.raises(ADQLError, match="x"):
        ids("SELECT x.obsid FROM chanmaster c")


def test_top_and_geometry_are_rewritten_outside_string_literals() -> None:
    q = parse("SELECT DISTINCT TOP 4 name FROM t WHERE name <> 'TOP 3 POINT(' ORDER BY name")
    assert (q.top, q.distinct, q.order_by) == (4, True, True)
    assert to_duckdb(q) == (
        "SELECT DISTINCT name FROM t WHERE name <> 'TOP 3 POINT(' ORDER BY name LIMIT 4"
    )


def test_cone_with_adql_geometry_matches_the_haversine_distance() -> None:
    """CONTAINS(POINT, CIRCLE) = 1 keeps exactly the rows within the radius (astropy's
    separation is the independent answer)."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    rng = np.random.default_rng(4)
    n = 400
    frame = pl.DataFrame({"obsid": np.arange(n), "ra": rng.uniform(80, 88, n),
                          "dec": rng.uniform(18, 26, n)})  # fmt: skip
    got = ids(
        "SELECT obsid FROM t WHERE CONTAINS(POINT('ICRS', ra, dec), "
        "CIRCLE('ICRS', 83.633, 22.0145, 1.5)) = 1 ORDER BY obsid",
        frame,
    )
    sep = SkyCoord(frame["ra"].to_numpy(), frame["dec"].to_numpy(), unit="deg").separation(
        SkyCoord(83.633, 22.0145, unit="deg")
    )
    assert got == [int(i) for i in np.flatnonzero(sep < 1.5 * u.deg)]
    assert 0 < len(got) < n


def test_count() -> None:
    assert execute(parse("SELECT COUNT(*) FROM t"), TABLE).frame.to_dicts() == [{"count": 6}]
    counted = execute(parse("SELECT count(*) AS n FROM t WHERE status = 'archived'"), TABLE)
    assert counted.frame.to_dicts() == [{"n": 3}]
    assert counted.frame.schema["n"] == pl.Int64


def test_cap_without_top_first_rows_or_random_subset() -> None:
    frame = pl.DataFrame({"obsid": np.arange(1000)})
    first = execute(parse("SELECT obsid FROM t"), frame, limit=100)
    assert first.overflow and first.frame["obsid"].to_list() == list(range(100))
    sampled = execute(
        parse("SELECT obsid FROM t"), frame, limit=100, sample=np.random.default_rng(3)
    )
    values = sampled.frame["obsid"].to_numpy()
    assert sampled.overflow and len(values) == 100 and len(set(values)) == 100
    assert np.all(np.diff(values) > 0) and values.max() > 100  # a spread-out subset, in order
    top = execute(parse("SELECT TOP 9999999 obsid FROM t"), frame, limit=100)
    assert not top.overflow and top.frame.height == 1000
    small = execute(parse("SELECT obsid FROM t WHERE obsid < 50"), frame, limit=100)
    assert not small.overflow and small.frame.height == 50
    ordered = execute(parse("SELECT obsid FROM t ORDER BY obsid DESC"), frame, limit=10)
    assert ordered.frame["obsid"].to_list() == list(range(999, 989, -1))


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("", "empty query"),
        ("SELEC obsid FROM t", "expected SELECT"),
        ("SELECT obsid FROM", "expected a table name after FROM"),
        ("SELECT obsid FROM t WHERE", "syntax error"),
        ("SELECT obsid FROM t WHERE ra >", "syntax error"),
        ("SELECT TOP x obsid FROM t", "a row count after TOP"),
        ("SELECT nope FROM t", '"nope" not found'),
        ("SELECT obsid FROM t WHERE nope = 1", '"nope" not found'),
        ("SELECT obsid FROM t WHERE ra = 'x'", "'x'"),
        ("SELECT obsid FROM t WHERE time > 'not a date'", "not a date"),
        ("SELECT obsid, COUNT(*) FROM t", "obsid"),
        ("SELECT obsid FROM t ORDER BY 3", "ORDER term out of range"),
        ("SELECT obsid FROM elsewhere JOIN t ON obsid = obsid", "Table with name t does not"),
    ],
)
def test_errors_name_the_problem(sql: str, message: str) -> None:
    with pytest.raises(ADQLError) as caught:
        execute(parse(sql), TABLE)
    assert message in str(caught.value)
    assert isinstance(caught.value, InputError)  # a daxa error type


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(-1000, 1000), min_size=1, max_size=40),
    bound=st.integers(-1000, 1000),
    op=st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
)
def test_comparisons_match_python(values: list[int], bound: int, op: str) -> None:
    frame = pl.DataFrame({"obsid": list(range(len(values))), "v": values})
    python = {
        "=": bound.__eq__,
        "!=": bound.__ne__,
        "<": bound.__gt__,
        "<=": bound.__ge__,
        ">": bound.__lt__,
        ">=": bound.__le__,
    }[op]
    expected = [i for i, v in enumerate(values) if python(v)]
    assert ids(f"SELECT obsid FROM t WHERE v {op} {bound}", frame) == expected
