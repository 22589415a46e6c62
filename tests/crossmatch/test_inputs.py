"""Catalogue inputs: every path and frame kind gives the same rows; times, windows and sizes
parse; missing columns, bad files and bad values raise our errors naming them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from daxa.crossmatch.inputs import column_map, open_source, parse_bytes, prepare
from daxa.errors import InputError

from .conftest import awkward_positions


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return awkward_positions(300, seed=41).with_columns(mag=pl.int_range(pl.len()) * 0.5)


def _prepared(source, cols=None) -> pl.DataFrame:
    cols = cols or column_map(id="name", keep=["mag"])
    src = open_source(source)
    out, skipped = prepare(src.read(cols.needed(), row_index=True), cols)
    assert skipped.size == 0
    return out


def test_every_kind_of_input_gives_the_same_rows(frame, tmp_path):
    from astropy.table import Table

    want = _prepared(frame)
    assert want.columns == ["pos_index", "ra", "dec", "row_id", "mag", "_healpix_29"]
    frame.write_parquet(tmp_path / "c.parquet", row_group_size=64)
    frame.write_csv(tmp_path / "c.csv")
    frame.write_csv(tmp_path / "c.tsv", separator="\t")
    Table(frame.to_dict(as_series=False)).write(tmp_path / "c.fits")
    (tmp_path / "folder").mkdir()
    frame.head(100).write_parquet(tmp_path / "folder" / "a.parquet")
    frame.slice(100).write_parquet(tmp_path / "folder" / "b.parquet")
    inputs = [
        tmp_path / "c.parquet",
        str(tmp_path / "c.csv"),
        tmp_path / "c.tsv",
        tmp_path / "c.fits",
        tmp_path / "folder",
        frame.lazy(),
        frame.to_pandas(),
        frame.to_arrow(),
        Table(frame.to_dict(as_series=False)),
        frame.to_dict(as_series=False),
    ]
    for source in inputs:
        assert_frame_equal(_prepared(source), want, check_dtypes=False)
    assert open_source(tmp_path / "c.fits").n_rows == 300
    assert open_source(tmp_path / "c.csv").n_rows == 300


def test_astropy_angles_and_times_are_converted():
    import astropy.units as u
    from astropy.table import Table
    from astropy.time import Time

    table = Table(
        {
            "ra": [0.5, 1.0] * u.rad,
            "dec": [600.0, -60.0] * u.arcmin,
            "t": Time(["2020-01-01T00:00:00", "2021-06-01T12:00:00"], scale="utc"),
        }
    )
    cols = column_map(epoch="t", window=timedelta(days=1))
    out, _ = prepare(open_source(table).read(cols.needed()), cols)
    np.testing.assert_allclose(out["ra"], np.degrees([0.5, 1.0]))
    np.testing.assert_allclose(out["dec"], [10.0, -1.0])
    assert out["win_start"][0] == datetime(2019, 12, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    "values",
    [
        ["2020-01-01T00:00:00", "2020-01-02 12:00:00"],
        [datetime(2020, 1, 1), datetime(2020, 1, 2, 12)],  # naive = UTC
        [
            datetime(2020, 1, 1, 1, tzinfo=UTC) - timedelta(hours=1),
            datetime(2020, 1, 2, 12, tzinfo=UTC),
        ],
        [58849.0, 58850.5],  # MJD
    ],
    ids=["iso", "naive", "aware", "mjd"],
)
def test_time_columns(values):
    f = pl.DataFrame({"ra": [1.0, 2.0], "dec": [0.0, 0.0], "t": values})
    mjd = isinstance(values[0], float)  # numbers say what they count with time_format
    cols = column_map(
        epoch="t", window=(timedelta(days=2), 1.5), time_format="mjd" if mjd else None
    )
    out, _ = prepare(f, cols)
    assert out["win_start"].to_list() == [
        datetime(2019, 12, 30, tzinfo=UTC),
        datetime(2019, 12, 31, 12, tzinfo=UTC),
    ]
    assert out["win_end"].to_list() == [
        datetime(2020, 1, 2, 12, tzinfo=UTC),
        datetime(2020, 1, 4, tzinfo=UTC),
    ]


def test_dates_and_start_end_columns():
    f = pl.DataFrame({"ra": [1.0], "dec": [0.0], "a": [date(2020, 1, 1)], "b": ["2020-02-01"]})
    out, _ = prepare(f, column_map(start="a", end="b"))
    assert out.select("win_start", "win_end").row(0) == (
        datetime(2020, 1, 1, tzinfo=UTC),
        datetime(2020, 2, 1, tzinfo=UTC),
    )


def test_bad_values_raise_naming_them():
    f = pl.DataFrame({"ra": [1.0, 2.0], "dec": [0.0, 0.0], "t": ["2020-01-01", "soon"]})
    with pytest.raises(InputError, match=r"epoch column 't'\[1\]='soon' is not a time"):
        prepare(f, column_map(epoch="t", window=1))
    g = pl.DataFrame({"ra": [1.0], "dec": [0.0], "a": ["2020-02-01"], "b": ["2020-01-01"]})
    with pytest.raises(InputError, match="row 0: its window starts"):
        prepare(g, column_map(start="a", end="b"))
    h = pl.DataFrame({"ra": ["1h"], "dec": [0.0]})
    with pytest.raises(InputError, match="the ra column 'ra' holds String"):
        prepare(h, column_map())
    r = pl.DataFrame({"ra": [1.0], "dec": [0.0], "r": [-1.0]})
    with pytest.raises(InputError, match="row 0: radius -1.0"):
        prepare(r, column_map(radius="r"))
    with pytest.raises(InputError, match="give both start= and end="):
        column_map(start="a")
    with pytest.raises(InputError, match="window= needs epoch="):
        column_map(window=3)
    with pytest.raises(InputError, match="is negative"):
        column_map(epoch="t", window=-2)
    with pytest.raises(InputError, match="cannot use 42 as the catalogue; give a path"):
        open_source(42)


def test_out_of_range_coordinates_are_skipped():
    f = pl.DataFrame(
        {"ra": [1.0, 2.0, float("inf"), 4.0, -10.0], "dec": [0.0, 91.0, 0.0, None, 0.0]}
    )
    out, skipped = prepare(f, column_map())
    assert skipped.tolist() == [1, 2, 3]
    assert out.select("pos_index", "ra").rows() == [(0, 1.0), (4, 350.0)]


def test_parse_bytes():
    assert parse_bytes("2GB") == 2_000_000_000
    assert parse_bytes("500 mb") == 500_000_000
    assert parse_bytes("1.5GiB") == int(1.5 * 2**30)
    assert parse_bytes(123) == 123
    for bad in ("lots", -5, "0GB"):
        with pytest.raises(InputError, match="memory_budget"):
            parse_bytes(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["frame", "lazy", "parquet"])
def test_read_gives_one_chunk_per_column(frame, kind, tmp_path):
    """Columns come back contiguous, so every later ``to_numpy`` is a view, not a copy; the
    row numbers are Int64 from 0 in input order."""
    pieces = pl.concat([frame.slice(0, 100), frame.slice(100)], rechunk=False)
    assert pieces.n_chunks() == 2
    if kind == "parquet":
        path = tmp_path / "p.parquet"
        pieces.write_parquet(path, row_group_size=50)
        source = open_source(path)
    else:
        source = open_source(pieces if kind == "frame" else pieces.lazy())
    got = source.read(["ra", "dec"], row_index=True)
    assert got.n_chunks("all") == [1, 1, 1]
    assert got.schema["__row"] == pl.Int64
    assert got["__row"].to_list() == list(range(frame.height))
    assert_frame_equal(got.drop("__row"), frame.select("ra", "dec"))
    assert not got["ra"].to_numpy().flags["OWNDATA"]  # a view of polars' buffer
