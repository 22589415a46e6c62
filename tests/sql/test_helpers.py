"""The SQL sky and time helpers against independent answers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from astropy.time import Time
from hypothesis import given, settings
from hypothesis import strategies as st

from daxa import cache
from daxa.sky.healpix import healpix_index
from daxa.sql import connect
from daxa.sql.cone import cone_ranges, expand_cones, neighbour_cells, order_for_radius
from daxa.utc import LEAP_SECOND_DAYS, mjd_to_utc, utc_to_mjd

from ._sql_brute import vincenty_deg
from ._tables import make_table, random_sky

ra_st = st.floats(0, 360, exclude_max=True)
dec_st = st.floats(-90, 90)


@pytest.fixture(scope="module")
def db(small_cache: Path):  # type: ignore[no-untyped-def]
    with connect(small_cache) as database:
        yield database


def test_ang_sep_known_values(db) -> None:  # type: ignore[no-untyped-def]
    out = db.query(
        "SELECT ang_sep(0, 0, 90, 0) AS a, ang_sep(10, 89, 190, 89) AS b, "
        "ang_sep(359.5, 0, 0.5, 0) AS c, ang_sep(0, 0, 180, 0) AS d, ang_sep(5, 5, 5, 5) AS e"
    ).row(0)
    np.testing.assert_allclose(out, [90.0, 2.0, 1.0, 180.0, 0.0], atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(ra_st, dec_st, ra_st, dec_st), min_size=1, max_size=20))
def test_ang_sep_equals_numpy(db, rows) -> None:  # type: ignore[no-untyped-def]
    frame = pl.DataFrame(rows, schema=["ra1", "dec1", "ra2", "dec2"], orient="row")
    got = db.query("SELECT ang_sep(ra1, dec1, ra2, dec2) AS s FROM f", f=frame)["s"].to_numpy()
    expected = vincenty_deg(frame["ra1"], frame["dec1"], frame["ra2"], frame["dec2"])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_healpix_index_matches_python(db) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"ra": rng.uniform(0, 360, 500), "dec": rng.uniform(-90, 90, 500)})
    for order in (0, 5, 12, 29):
        got = db.query(f"SELECT healpix_index(ra, dec, {order}) AS h FROM f", f=frame)["h"]
        assert got.to_list() == healpix_index(frame["ra"], frame["dec"], order).tolist()
    assert db.query("SELECT healpix_index(NULL, 0.0, 3) AS h")["h"].to_list() == [None]


def test_healpix_coarsen_equals_the_index_at_that_order(db) -> None:  # type: ignore[no-untyped-def]
    out = db.query(
        "SELECT count(*) FILTER (WHERE healpix_coarsen(_healpix_29, 7) "
        "<> healpix_index(ra, dec, 7)) AS bad, count(*) AS n FROM observations"
    ).row(0)
    assert out == (0, sum(cache.info(m, db._cache_dir).rows for m in db.missions))


def test_mjd_conversions_match_astropy(db) -> None:  # type: ignore[no-untyped-def]
    mjds = [40587.0, 51544.5, 58849.123456789, 60310.999999]
    got = db.query(
        "SELECT mjd_to_timestamp(m) AS t, timestamp_to_mjd(mjd_to_timestamp(m)) AS back FROM f",
        f=pl.DataFrame({"m": mjds}),
    )
    expected = [Time(m, format="mjd", scale="utc").to_datetime(timezone=UTC) for m in mjds]
    for t, e in zip(got["t"].to_list(), expected, strict=True):
        assert abs((t - e).total_seconds()) <= 0.5e-3  # rounded to the millisecond
        assert t.microsecond % 1000 == 0
    np.testing.assert_allclose(got["back"], mjds, rtol=0, atol=0.6e-3 / 86400)
    assert got["t"][0] == datetime(1970, 1, 1, tzinfo=UTC)
    assert got["t"][1] == datetime(2000, 1, 1, 12, tzinfo=UTC)


def test_mjd_conversions_follow_leap_seconds_as_daxa_utc(db) -> None:  # type: ignore[no-untyped-def]
    """On the 27 days that end with a leap second the day is 86,401 s long in SQL too: the
    macros give, to the microsecond, what :mod:`daxa.utc` gives the normalisers (nulls at or
    below 0 and for NaN included), and astropy's times; 18:00 on 2016-12-31 is MJD 57753 +
    64800/86401, not 57753.75 (which is 18:00:00.750)."""
    rng = np.random.default_rng(5)
    leap = np.array(LEAP_SECOND_DAYS)
    on_leap_days = leap + rng.uniform(0.0, 0.99, leap.size)
    mjds = [*on_leap_days, *rng.uniform(41_000, 61_000, 300), 57753.75, 0.0, -3.0, float("nan")]
    frame = pl.DataFrame({"m": mjds})
    got = db.query(
        "SELECT mjd_to_timestamp(m) AS t, timestamp_to_mjd(mjd_to_timestamp(m)) AS back FROM f",
        f=frame,
    )
    expected = frame.select(t=mjd_to_utc(pl.col("m")))["t"]
    assert got["t"].cast(pl.Int64).to_list() == expected.cast(pl.Int64).to_list()
    assert got["t"].null_count() == 3
    for m, t in zip(on_leap_days, got["t"], strict=False):
        e = Time(m, format="mjd", scale="utc").to_datetime(timezone=UTC)
        assert abs((t - e).total_seconds()) <= 0.5e-3
    day, frac = utc_to_mjd(expected.drop_nulls().cast(pl.Int64).to_numpy())
    np.testing.assert_array_equal(got["back"].drop_nulls().to_numpy(), day + frac)
    assert got["t"][27 + 300] == datetime(2016, 12, 31, 18, 0, 0, 750_000, tzinfo=UTC)
    back = db.query("SELECT timestamp_to_mjd(TIMESTAMPTZ '2016-12-31 18:00:00+00') AS m")["m"][0]
    assert back == 57753 + 64800 / 86401
    # single-precision columns and decimal literals are converted in double precision (FLOAT
    # arithmetic was seconds off)
    other = db.query(
        "SELECT mjd_to_timestamp(CAST(55197.25 AS FLOAT)) AS a, mjd_to_timestamp(55197.5) AS b, "
        "mjd_to_timestamp(58849.123456) AS c"  # a DECIMAL(11,6) literal overflowed
    ).row(0)
    assert other[:2] == (datetime(2010, 1, 1, 6, tzinfo=UTC), datetime(2010, 1, 1, 12, tzinfo=UTC))
    assert other[2] == pl.select(mjd_to_utc(pl.lit(58849.123456))).item()


def test_time_window_helpers_equal_polars(db) -> None:  # type: ignore[no-untyped-def]
    frames = [cache.read(m, db._cache_dir) for m in db.missions]
    python = pl.concat([f.select("mission", "obs_id", "start", "end") for f in frames]).sort(
        "mission", "obs_id"
    )
    # window edges in the middle of two observations, so both kinds of partial overlap occur
    by_start = python.sort("start")
    mid = by_start["start"] + (by_start["end"] - by_start["start"]) / 2
    a, b = mid[python.height // 4], mid[python.height // 2]
    got = db.query(
        'SELECT mission, obs_id, time_overlap(start, "end", w.a, w.b) AS overlap, '
        'time_inside(start, "end", w.a, w.b) AS inside '
        "FROM observations, w ORDER BY mission, obs_id",
        w=pl.DataFrame({"a": [a], "b": [b]}),
    )
    overlap = (python["start"] <= b) & (python["end"] >= a)
    inside = (python["start"] >= a) & (python["end"] <= b)
    assert got["overlap"].to_list() == overlap.to_list()
    assert got["inside"].to_list() == inside.to_list()
    assert 0 < inside.sum() < overlap.sum() < python.height
    strings = db.query(
        "SELECT count(*) AS n FROM observations WHERE "
        "time_overlap(start, \"end\", '2005-01-01 00:00:00+00', '2012-06-30T00:00:00Z')"
    )["n"].item()
    w0, w1 = datetime(2005, 1, 1, tzinfo=UTC), datetime(2012, 6, 30, tzinfo=UTC)
    assert strings == ((python["start"] <= w1) & (python["end"] >= w0)).sum()


def test_time_overlap_is_inclusive(db) -> None:  # type: ignore[no-untyped-def]
    out = db.query(
        "SELECT time_overlap(1, 2, 2, 3) AS touch, time_overlap(1, 2, 2.5, 3) AS apart, "
        "time_inside(2, 3, 2, 3) AS same, time_inside(1, 3, 2, 3) AS spans"
    ).row(0)
    assert out == (True, False, True, False)


# --- cone ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(ra_st, dec_st, st.floats(1e-4, 40.0), st.integers(0, 2**31))
def test_cone_ranges_contain_every_point_of_the_cone(ra0, dec0, radius, seed) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    # points spread over the cone, many right at its edge
    r = radius * np.concatenate([np.sqrt(rng.uniform(0, 1, 300)), np.full(100, 1.0)])
    pa = rng.uniform(0, 2 * np.pi, r.size)
    d0, a0, rr = np.radians(dec0), np.radians(ra0), np.radians(r)
    dec = np.arcsin(np.clip(np.sin(d0) * np.cos(rr) + np.cos(d0) * np.sin(rr) * np.cos(pa), -1, 1))
    ra = a0 + np.arctan2(
        np.sin(pa) * np.sin(rr) * np.cos(d0), np.cos(rr) - np.sin(d0) * np.sin(dec)
    )
    ra, dec = np.degrees(ra) % 360, np.degrees(dec)
    inside = vincenty_deg(ra0, dec0, ra, dec) <= radius
    hpx = healpix_index(ra[inside], dec[inside])
    ranges = cone_ranges(ra0, dec0, radius)
    if ranges is None:
        assert radius > 29
        return
    covered = ((hpx[:, None] >= ranges[None, :, 0]) & (hpx[:, None] < ranges[None, :, 1])).any(1)
    assert covered.all()


def test_order_for_radius_blocks_hold_the_cone() -> None:
    # the 3 × 3 block at the chosen order reaches at least the radius in every direction
    for radius in (0.01, 0.2, 1.0, 5.0, 20.0):
        order = order_for_radius(radius)
        assert order >= 0
        cells = neighbour_cells([0.0, 45.0, 10.0], [0.0, 41.8, 89.9], order)
        assert cells.shape == (3, 9)


def _brute_cone(db, view: str, ra0: float, dec0: float, r: float) -> list[str]:  # type: ignore[no-untyped-def]
    table = (
        pl.concat([cache.read(m, db._cache_dir) for m in db.missions], how="diagonal_relaxed")
        if view == "observations"
        else cache.read(view, db._cache_dir)
    )
    sep = vincenty_deg(ra0, dec0, table["ra"], table["dec"])
    return sorted(table.filter(pl.Series(sep <= r))["obs_id"].to_list())


@pytest.mark.parametrize(
    ("ra0", "dec0", "r"),
    [
        (0.2, 0.0, 2.5),
        (359.0, -1.0, 1.8),
        (120.0, 89.5, 3.0),
        (300.0, -88.0, 4.0),
        (45.0, 30.0, 35.0),
    ],
)
def test_sql_cone_equals_brute_force(db, ra0: float, dec0: float, r: float) -> None:  # type: ignore[no-untyped-def]
    expected = _brute_cone(db, "observations", ra0, dec0, r)
    pruned = db.query(
        f"SELECT obs_id FROM observations WHERE in_cone(ra, dec, _healpix_29, {ra0}, {dec0}, {r})"
    )
    plain = db.query(
        "SELECT obs_id FROM observations o, f WHERE in_cone(o.ra, o.dec, f.ra0, f.dec0, f.r)",
        f=pl.DataFrame({"ra0": [ra0], "dec0": [dec0], "r": [r]}),
    )
    table_macro = db.query(
        f"SELECT obs_id, separation_deg FROM cone('observations', {ra0}, {dec0}, {r})"
    )
    method = db.cone(ra0, dec0, r)
    assert len(expected) > 0
    for got in (pruned, plain, table_macro, method):
        assert sorted(got["obs_id"].to_list()) == expected
    assert (method["separation_deg"] <= r).all()
    assert method["separation_deg"].is_sorted()


def test_cone_method_with_view_and_condition(db) -> None:  # type: ignore[no-untyped-def]
    got = db.cone(0.0, 0.0, 25.0, view="chandra", where="instrument = 'ACIS'")
    table = cache.read("chandra", db._cache_dir)
    sep = vincenty_deg(0.0, 0.0, table["ra"], table["dec"])
    expected = table.filter(pl.Series(sep <= 25.0) & (pl.col("instrument") == "ACIS"))
    assert sorted(got["obs_id"]) == sorted(expected["obs_id"]) and got.height > 0


def test_expand_cones_rewrites_only_literal_calls() -> None:
    sql = (
        "SELECT 'in_cone(ra, dec, h, 1, 2, 3)' AS s, \"cone\" FROM t -- in_cone(a, b, c, 1, 2, 3)\n"
        "WHERE in_cone(ra, dec, _healpix_29, ra0, 2, 3) AND IN_CONE(o.ra, o.dec, o.h, 10, -20.5, 1e-1)"
    )
    out = expand_cones(sql)
    assert out.count("BETWEEN") >= 1
    assert "'in_cone(ra, dec, h, 1, 2, 3)'" in out  # strings untouched
    assert "-- in_cone(a, b, c, 1, 2, 3)" in out  # comments untouched
    assert "in_cone(ra, dec, _healpix_29, ra0, 2, 3)" in out  # not all literal: left alone
    assert "(o.h BETWEEN" in out and "in_cone(o.ra, o.dec, 10, -20.5, 1e-1))" in out
    assert expand_cones("SELECT 1") == "SELECT 1"


def test_cone_pruning_skips_row_groups(tmp_path: Path) -> None:
    """With the ranges inlined DuckDB reads fewer rows from Parquet than a full scan."""
    ra, dec = random_sky(120_000, np.random.default_rng(3))
    cache.write(make_table("swift", ra, dec), "swift", source_url="t", cache_dir=tmp_path)
    with connect(tmp_path) as database:
        con = database.connection
        plan = con.sql(
            "EXPLAIN ANALYZE "
            + expand_cones(
                "SELECT count(*) FROM swift WHERE in_cone(ra, dec, _healpix_29, 10, 20, 1)"
            )
        ).fetchall()
    text = "\n".join(str(cell) for row in plan for cell in row)
    scanned = [int(s.replace(",", "")) for s in __import__("re").findall(r"([\d,]+) rows", text)]
    assert scanned and max(scanned) < 120_000
