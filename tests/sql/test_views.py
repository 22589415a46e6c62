"""Views over the cache: one per mission, ``observations``, ``cached_missions``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import daxa.sql
from daxa import cache
from daxa.missions import mission_names
from daxa.schema import STANDARD_COLUMNS
from daxa.sql import connect, sql

from ._tables import EMULATED_MISSIONS, SMALL_MISSIONS, make_table


def test_counts_per_mission_equal_the_python_tables(emulated_cache: Path) -> None:
    expected = {m: cache.read(m, emulated_cache).height for m in EMULATED_MISSIONS}
    got = sql(
        "SELECT mission, count(*) AS n FROM observations GROUP BY mission",
        cache_dir=emulated_cache,
    )
    assert dict(got.iter_rows()) == expected
    with connect(emulated_cache) as db:
        for mission, n in expected.items():
            assert db.query(f"SELECT count(*) AS n FROM {mission}")["n"].item() == n


def test_mission_view_returns_the_cached_table_unchanged(emulated_cache: Path) -> None:
    for mission in ("chandra", "swift"):
        python = cache.read(mission, emulated_cache)
        got = sql(f"SELECT * FROM {mission}", cache_dir=emulated_cache)
        assert got.schema == python.schema  # durations and UTC datetimes survive
        assert got.sort("obs_id").equals(python.sort("obs_id"))


def test_sums_over_observations_equal_polars(emulated_cache: Path) -> None:
    tables = [cache.read(m, emulated_cache) for m in EMULATED_MISSIONS]
    python = (
        pl.concat(tables, how="diagonal_relaxed")
        .group_by("mission")
        .agg(
            pl.col("exposure").sum().alias("exposure"),
            pl.col("duration").dt.total_microseconds().sum().alias("duration_us"),
            pl.col("science_usable").sum().cast(pl.Int64).alias("usable"),
        )
        .sort("mission")
    )
    got = sql(
        "SELECT mission, coalesce(sum(exposure), 0) AS exposure, "
        "CAST(sum(epoch_us(duration)) AS BIGINT) AS duration_us, "
        "CAST(count_if(science_usable) AS BIGINT) AS usable "
        "FROM observations GROUP BY mission ORDER BY mission",
        cache_dir=emulated_cache,
    )
    assert got["mission"].to_list() == python["mission"].to_list()
    assert got["duration_us"].to_list() == python["duration_us"].to_list()
    assert got["usable"].to_list() == python["usable"].to_list()
    np.testing.assert_allclose(
        got["exposure"].to_numpy(), python["exposure"].to_numpy(), rtol=1e-12
    )


def test_observations_unites_columns_by_name(small_cache: Path) -> None:
    with connect(small_cache) as db:
        columns = db.views()["observations"]
        assert columns[: len(STANDARD_COLUMNS)] == list(STANDARD_COLUMNS)
        assert {"exposure_xrt", "exposure_bat", "exposure_isgri", "exposure_sis"} <= set(columns)
        # a column a mission lacks is NULL in its rows
        nulls = db.query(
            "SELECT mission, count(exposure_xrt) AS n FROM observations GROUP BY mission"
        )
    counts = dict(nulls.iter_rows())
    assert counts["swift"] == SMALL_MISSIONS["swift"]
    assert counts["chandra"] == counts["asca"] == 0


def test_missing_missions_are_absent_and_listed(small_cache: Path) -> None:
    with connect(small_cache) as db:
        assert set(db.missions) == set(SMALL_MISSIONS)
        assert "nustar_pointed" not in db.views()
        cached = db.query("SELECT mission, rows FROM cached_missions ORDER BY mission")
        assert dict(cached.iter_rows()) == SMALL_MISSIONS
        note = db.note
    for mission in SMALL_MISSIONS:
        assert f"{mission} ({SMALL_MISSIONS[mission]:,} rows)" in note
    assert "Not cached (absent from `observations`): nustar_pointed" in note


def test_empty_cache_gives_an_empty_observations_view(tmp_path: Path) -> None:
    with connect(tmp_path) as db:
        out = db.query("SELECT * FROM observations")
        assert out.height == 0
        assert out.columns == list(STANDARD_COLUMNS)
        assert "no mission is cached" in db.note
        assert db.query("SELECT count(*) AS n FROM cached_missions")["n"].item() == 0


def test_outdated_cache_file_is_left_out_with_a_warning(tmp_path: Path) -> None:
    ra, dec = np.array([10.0, 20.0]), np.array([0.0, 5.0])
    cache.write(make_table("chandra", ra, dec), "chandra", source_url="t", cache_dir=tmp_path)
    cache.cache_path("swift", tmp_path).write_bytes(b"not parquet")
    with pytest.warns(UserWarning, match="swift is left out"), connect(tmp_path) as db:
        assert db.missions == ("chandra",)
        assert "Skipped swift" in db.note


def test_refresh_picks_up_a_newly_cached_mission(tmp_path: Path) -> None:
    ra, dec = np.array([10.0, 20.0]), np.array([0.0, 5.0])
    with connect(tmp_path) as db:
        assert db.query("SELECT count(*) AS n FROM observations")["n"].item() == 0
        cache.write(make_table("swift", ra, dec), "swift", source_url="t", cache_dir=tmp_path)
        db.refresh()
        assert db.query("SELECT count(*) AS n FROM swift")["n"].item() == 2


def test_persistent_database_keeps_user_tables_and_recreates_views(tmp_path: Path) -> None:
    folder, database = tmp_path / "cache", tmp_path / "mine.duckdb"
    ra, dec = np.array([10.0, 20.0, 30.0]), np.array([0.0, 5.0, 6.0])
    cache.write(make_table("chandra", ra, dec), "chandra", source_url="t", cache_dir=folder)
    cache.write(make_table("swift", ra, dec), "swift", source_url="t", cache_dir=folder)
    with connect(folder, database=database) as db:
        db.execute("CREATE TABLE picked AS SELECT obs_id FROM chandra WHERE dec > 1")
    cache.cache_path("swift", folder).unlink()
    with connect(folder, database=database) as db:
        assert db.query("SELECT count(*) AS n FROM picked")["n"].item() == 2
        assert "swift" not in db.views()  # its view went with its cache file
        assert db.query("SELECT count(*) AS n FROM observations")["n"].item() == 3
    # the file is usable from plain DuckDB too: views and macros are stored in it
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        assert con.sql("SELECT count(*) FROM chandra").fetchall() == [(3,)]
        assert con.sql("SELECT round(ang_sep(0, 0, 0, 1), 12)").fetchall() == [(1.0,)]
    finally:
        con.close()


def test_module_is_callable(small_cache: Path) -> None:
    out = daxa.sql("SELECT count(*) AS n FROM chandra", cache_dir=small_cache)
    assert out["n"].item() == SMALL_MISSIONS["chandra"]


@pytest.mark.parametrize("output", ["arrow", "pandas"])
def test_other_outputs(small_cache: Path, output: str) -> None:
    out = sql(
        "SELECT obs_id, duration, start FROM swift ORDER BY obs_id",
        cache_dir=small_cache,
        output=output,
    )
    python = cache.read("swift", small_cache).sort("obs_id")
    if output == "arrow":
        import pyarrow as pa

        assert out.schema.field("duration").type == pa.duration("us")
        assert pl.from_arrow(out)["duration"].equals(python["duration"])
    else:
        assert str(out["duration"].dtype).startswith("timedelta64")
        assert str(out["start"].dt.tz) == "UTC"
        assert out["obs_id"].tolist() == python["obs_id"].to_list()


def test_registry_order_in_listings(small_cache: Path) -> None:
    with connect(small_cache) as db:
        order = [m for m in mission_names() if m in SMALL_MISSIONS]
        assert list(db.missions) == order
