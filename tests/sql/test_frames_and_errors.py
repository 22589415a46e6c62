"""User frames joined in queries; DuckDB errors as daxa's SQLError."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table

from daxa import cache
from daxa.errors import InputError, SQLError
from daxa.sql import connect, sql

from ._tables import SMALL_MISSIONS

JOIN = (
    "SELECT t.name, o.obs_id FROM targets t JOIN chandra o "
    "ON in_cone(o.ra, o.dec, t.ra, t.dec, 15.0) ORDER BY t.name, o.obs_id"
)


@pytest.fixture(scope="module")
def targets(small_cache: Path) -> pl.DataFrame:
    chandra = cache.read("chandra", small_cache).sort("obs_id")
    return pl.DataFrame(
        {"name": ["a", "b", "c"], "ra": chandra["ra"][:3], "dec": chandra["dec"][:3]}
    )


@pytest.mark.parametrize("kind", ["polars", "pandas", "arrow", "astropy", "dict", "lazy"])
def test_user_frames_join(small_cache: Path, targets: pl.DataFrame, kind: str) -> None:
    frame = {
        "polars": targets,
        "pandas": targets.to_pandas(),
        "arrow": targets.to_arrow(),
        "astropy": Table.from_pandas(targets.to_pandas()),
        "dict": targets.to_dict(as_series=False),
        "lazy": targets.lazy(),
    }[kind]
    got = sql(JOIN, cache_dir=small_cache, targets=frame)
    chandra = cache.read("chandra", small_cache)
    expected = []
    for name, ra, dec in targets.iter_rows():
        sep = SkyCoord(ra * u.deg, dec * u.deg).separation(
            SkyCoord(chandra["ra"].to_numpy() * u.deg, chandra["dec"].to_numpy() * u.deg)
        )
        expected += [(name, o) for o in chandra.filter(pl.Series(sep.deg <= 15.0))["obs_id"]]
    assert list(got.iter_rows()) == sorted(expected)
    assert {n for n, _ in expected} == {"a", "b", "c"}  # each target sits on an observation


def test_skycoord_frame_becomes_icrs_ra_dec(small_cache: Path) -> None:
    coords = SkyCoord(l=[0.0, 90.0] * u.deg, b=[0.0, 45.0] * u.deg, frame="galactic")
    out = sql("SELECT ra, dec FROM p", cache_dir=small_cache, p=coords)
    np.testing.assert_allclose(out["ra"], coords.icrs.ra.deg)
    np.testing.assert_allclose(out["dec"], coords.icrs.dec.deg)


def test_frames_are_gone_after_the_query(small_cache: Path, targets: pl.DataFrame) -> None:
    with connect(small_cache) as db:
        assert db.query("SELECT count(*) AS n FROM targets", targets=targets)["n"].item() == 3
        with pytest.raises(SQLError, match="targets"):
            db.query("SELECT * FROM targets")


@pytest.mark.parametrize("name", ["chandra", "observations", "bad-name"])
def test_frame_names_that_clash_or_are_invalid(
    small_cache: Path, targets: pl.DataFrame, name: str
) -> None:
    with pytest.raises(InputError, match=repr(name)):
        sql("SELECT 1", cache_dir=small_cache, **{name: targets})


def test_syntax_error_lists_views_and_columns(small_cache: Path) -> None:
    with pytest.raises(SQLError) as info:
        sql("SELEC mission FROM observations", cache_dir=small_cache)
    message = str(info.value)
    assert "Parser Error" in message and "SELEC" in message
    assert "standard columns mission, obs_id, ra, dec, start, end, duration" in message
    for mission in SMALL_MISSIONS:
        assert f"\n  {mission}: " in message
    assert "\n  swift: exposure_bat, exposure_uvot, exposure_xrt\n" in message
    assert "\n  xmm_pointed: (none)\n" in message
    assert "\n  observations: " in message
    assert "\n  cached_missions: mission, rows, fetched_at, source_url, path" in message
    assert "ang_sep" in message and "in_cone" in message
    assert "Not cached" in message and "nustar_pointed" in message
    assert info.value.views["chandra"][:3] == ["mission", "obs_id", "ra"]  # type: ignore[attr-defined]
    assert "Parser Error" in info.value.duckdb_message  # type: ignore[attr-defined]


def test_binder_error_for_an_unknown_column(small_cache: Path) -> None:
    with pytest.raises(SQLError, match=r'(?s)Binder Error.*"exposur".*\n  chandra: '):
        sql("SELECT exposur FROM chandra", cache_dir=small_cache)


def test_unknown_view_names_what_is_cached(small_cache: Path) -> None:
    with pytest.raises(
        SQLError,
        match=r"(?s)nustar_pointed.*Not cached \(absent from `observations`\): nustar_pointed",
    ):
        sql("SELECT * FROM nustar_pointed", cache_dir=small_cache)


def test_end_keyword_hint(small_cache: Path) -> None:
    with pytest.raises(SQLError, match='the column "end" is an SQL keyword'):
        sql("SELECT start, end FROM chandra", cache_dir=small_cache)
    ok = sql('SELECT max("end") AS e FROM chandra', cache_dir=small_cache)
    assert ok["e"].item() == cache.read("chandra", small_cache)["end"].max()


def test_interval_hint(small_cache: Path) -> None:
    with pytest.raises(SQLError, match=r"epoch\(duration\) gives seconds"):
        sql("SELECT sum(duration) FROM chandra", cache_dir=small_cache)


def test_bad_output_option(small_cache: Path) -> None:
    with pytest.raises(InputError, match="output must be one of"):
        sql("SELECT 1", cache_dir=small_cache, output="excel")  # type: ignore[arg-type]


def test_statements_without_results(small_cache: Path) -> None:
    with connect(small_cache) as db:
        db.execute("CREATE TEMP TABLE x AS SELECT 1 AS a")
        assert db.views()["x"] == ["a"]
        assert db.query("SELECT a FROM x")["a"].to_list() == [1]
        assert isinstance(
            db.query("CREATE TEMP TABLE y AS SELECT 1 AS a", output="arrow"), pa.Table
        )
        assert isinstance(db.query("DROP TABLE y", output="pandas"), pd.DataFrame)
