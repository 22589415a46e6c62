"""What users type (coordinates, position files) and what the CLI writes (table files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from astropy import units as u
from astropy.coordinates import Angle
from hypothesis import given, settings
from hypothesis import strategies as st

from daxa.cli._inputs import parse_coordinate, read_positions
from daxa.cli._output import format_table, write_table
from daxa.errors import InputError


@pytest.mark.parametrize(
    ("text", "ra", "dec"),
    [
        ("83.633 22.0145", 83.633, 22.0145),
        ("83.633,22.0145", 83.633, 22.0145),
        ("-10 5", 350.0, 5.0),
        ("05:34:31.94 +22:00:52.2", 83.63308, 22.01450),  # the Crab (SIMBAD)
        ("12 30 49.42 +12 23 28.0", 187.70592, 12.39111),  # M87
        ("10h45m03.55s -59d41m03.9s", 161.26479, -59.68442),  # eta Car
    ],
)
def test_parse_coordinate(text: str, ra: float, dec: float) -> None:
    got = parse_coordinate(text)
    assert got == pytest.approx((ra, dec), abs=2e-5)


@pytest.mark.parametrize("text", ["", "12", "abc def", "10 95", "10 -90.5", "nan 3", "1 2 3 4 5"])
def test_malformed_coordinates_name_the_text(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_coordinate(text)
    assert repr(text) in str(info.value)


@settings(max_examples=80, deadline=None)
@given(ra=st.floats(0, 359.99), dec=st.floats(-90, 90))
def test_sexagesimal_round_trip(ra: float, dec: float) -> None:
    text = (
        Angle(ra, u.deg).to_string(unit=u.hourangle, sep=":", precision=4, pad=True)
        + " "
        + Angle(dec, u.deg).to_string(unit=u.deg, sep=":", precision=3, alwayssign=True, pad=True)
    )
    got_ra, got_dec = parse_coordinate(text)
    assert abs(((got_ra - ra + 180) % 360) - 180) * np.cos(np.radians(dec)) < 1e-5
    assert got_dec == pytest.approx(dec, abs=1e-5)


def test_read_positions_finds_columns_and_keeps_names_and_times(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "Name,RAJ2000,DEJ2000,discoverydate\n"
        "a,10.5,-3.25,2020-01-01\n"
        "b,05:34:31.94,+22:00:52.2,2021-06-01\n"
    )
    # one column mixing forms is read as sexagesimal (RA in hours): 10.5 -> 157.5 degrees
    table = read_positions(path)
    assert table.columns == ["ra", "dec", "name", "time"]
    assert table["name"].to_list() == ["a", "b"]
    assert table["ra"].to_list() == pytest.approx([157.5, 83.63308], abs=1e-5)
    assert table["dec"].to_list() == pytest.approx([-3.25, 22.0145], abs=1e-5)


def test_read_positions_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_positions(tmp_path / "nope.csv")
    (tmp_path / "nocols.csv").write_text("x,y\n1,2\n")
    with pytest.raises(InputError, match="found no RA column.*its columns are: x, y"):
        read_positions(tmp_path / "nocols.csv")
    (tmp_path / "bad.csv").write_text("ra,dec\n1,2\n3,95\n4,\n")
    with pytest.raises(InputError, match=r"position 1 \(RA=3, Dec=95\).*2 bad in all"):
        read_positions(tmp_path / "bad.csv")
    (tmp_path / "words.csv").write_text("ra,dec\nfoo,bar\n")
    with pytest.raises(InputError, match="cannot read 'foo' as an angle"):
        read_positions(tmp_path / "words.csv")


def _sample() -> pl.DataFrame:
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    return pl.DataFrame(
        {
            "mission": ["chandra", "swift"],
            "obs_id": ["00123", "00031234001"],
            "ra": [1.5, 300.25],
            "start": [t0, t0 + timedelta(days=1)],
            "duration": [timedelta(seconds=1000), timedelta(seconds=500)],
            "instruments": [["ACIS"], ["XRT", "BAT"]],
        }
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".ndjson", ".fits"])
def test_write_table_round_trips_the_values(tmp_path: Path, suffix: str) -> None:
    path = write_table(_sample(), tmp_path / "sub" / f"out{suffix}")
    if suffix == ".parquet":
        back = pl.read_parquet(path)
        assert back.equals(_sample())
        return
    if suffix == ".fits":
        from astropy.table import Table

        # formats with column metadata keep the names; the units are in the metadata
        table = Table.read(path)
        assert str(table["ra"].unit) == "deg" and str(table["duration"].unit) == "s"
        back = pl.from_pandas(table.to_pandas()).with_columns(pl.col(pl.Binary).cast(pl.String))
        back = back.rename({"ra": "ra_deg", "duration": "duration_s"})
    elif suffix == ".csv":
        back = pl.read_csv(path, schema_overrides={"obs_id": pl.String})
    elif suffix == ".json":
        back = pl.read_json(path)
    else:
        back = pl.read_ndjson(path)
    assert back["obs_id"].cast(pl.String).to_list() == ["00123", "00031234001"]  # zeros kept
    # text formats have no column metadata: the unit is in the name
    assert back["ra_deg"].to_list() == [1.5, 300.25]
    assert back["instruments"].to_list() == ["ACIS", "XRT,BAT"]
    assert back["duration_s"].to_list() == [1000.0, 500.0]


def test_write_table_refuses_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown file type '\.xlsx'"):
        write_table(_sample(), tmp_path / "x.xlsx")


def test_format_table() -> None:
    text = format_table(_sample().drop("duration"), max_rows=1)
    lines = text.splitlines()
    assert lines[0].split() == ["mission", "obs_id", "ra", "start", "instruments"]
    assert lines[2].split() == ["chandra", "00123", "1.5000", "2020-01-01", "00:00", "ACIS"]
    assert lines[-1] == "... and 1 more rows"
