"""FITS, VOTable, CSV and Parquet outputs read back by astropy with units, UCDs and real times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from astropy.io import fits, votable
from astropy.table import QTable, Table
from astropy.time import Time

from daxa.atomic import stale_temporaries
from daxa.errors import InputError
from daxa.outputs import to_astropy, write_table
from daxa.schema import STANDARD_COLUMNS

T0 = datetime(2019, 12, 31, 23, 59, 59, 123456, tzinfo=UTC)


def _observations() -> pl.DataFrame:
    """Three rows in the standard schema: an eROSITA-like row has no exposure, one no end."""
    return pl.DataFrame(
        {
            "mission": ["chandra", "swift", "erosita_calpv"],
            "obs_id": ["00123", "00031234001", "300007"],
            "ra": [83.633, 187.70593, 359.9],
            "dec": [22.0145, 12.39112, -89.5],
            "start": [T0, T0 + timedelta(days=400), T0 - timedelta(days=1)],
            "end": [T0 + timedelta(hours=10), None, T0],
            "duration": [timedelta(hours=10), None, timedelta(days=1)],
            "exposure": [35_000.0, 1_200.5, None],
            "science_usable": [True, True, False],
            "proprietary_end": [None, T0, T0],
            "public": [True, False, True],
            "target_category": ["SNR", None, "EXTRAGALACTIC"],
            "target_name": ["Crab", "M87", None],
            "instrument": ["ACIS-I", None, "TM"],
            "_healpix_29": [1, 2, 3],
        },
        schema=STANDARD_COLUMNS,
    ).with_columns(
        exposure_xrt=pl.Series([None, 1_000.0, None]),
        instruments=pl.Series([["ACIS"], ["XRT", "BAT"], []]),
    )


def _expected_times(column: str) -> list[Time | None]:
    return [None if v is None else Time(v, scale="utc") for v in _observations()[column]]


def _same_times(got: Time, column: str) -> None:
    expected = _expected_times(column)
    mask = np.asarray(got.mask) if got.masked else np.zeros(len(got), bool)
    assert mask.tolist() == [e is None for e in expected]
    for i, e in enumerate(expected):
        if e is not None:
            assert abs((got[i] - e).to_value("s")) < 2e-6  # microseconds survive


def test_fits_reads_back_with_units_ucds_and_times(tmp_path: Path) -> None:
    path = write_table(_observations(), tmp_path / "obs.fits")
    header = fits.getheader(path, 1)
    assert (header["RADESYS"], header["TIMESYS"], header["TIMEUNIT"]) == ("ICRS", "UTC", "d")
    assert header["MJDREF"] == 0.0
    table = QTable.read(path, astropy_native=True)
    for column in ("start", "end", "proprietary_end"):
        assert isinstance(table[column], Time) and table[column].scale == "utc"
        _same_times(table[column], column)
    assert str(table["ra"].unit) == "deg" and str(table["exposure"].unit) == "s"
    assert str(table["exposure_xrt"].unit) == "s" and str(table["duration"].unit) == "s"
    assert table["ra"].info.meta["ucd"] == "pos.eq.ra;meta.main"
    exposure = table["exposure"].value
    assert exposure[:2].tolist() == [35_000.0, 1_200.5] and np.ma.is_masked(exposure[2])  # null
    assert table["duration"][0].to_value("s") == 36_000.0
    assert list(table["obs_id"]) == ["00123", "00031234001", "300007"]
    assert list(table["instruments"].filled("")) == ["ACIS", "XRT,BAT", ""]


def test_votable_reads_back_with_units_ucds_and_time_system(tmp_path: Path) -> None:
    path = write_table(_observations(), tmp_path / "obs.vot")
    parsed = votable.parse(path)
    (timesys,) = parsed.resources[0].time_systems
    (coosys,) = parsed.resources[0].coordinate_systems
    assert (timesys.timescale, timesys.timeorigin, coosys.system) == ("UTC", "MJD-origin", "ICRS")
    fields = {f.name: f for f in parsed.get_first_table().fields}
    assert fields["start"].ref == timesys.ID and fields["ra"].ref == coosys.ID
    assert fields["exposure"].ucd == "time.duration;obs.exposure"
    table = QTable.read(path)
    assert str(table["dec"].unit) == "deg" and str(table["exposure"].unit) == "s"
    # times are MJD in the declared scale: astropy's Time takes them as they are
    start = Time(table["start"].to_value("d"), format="mjd", scale=timesys.timescale.lower())
    _same_times(start, "start")
    assert np.ma.is_masked(table["exposure"][2].value)  # an honest null


def test_csv_times_parse_with_time_and_units_are_in_the_names(tmp_path: Path) -> None:
    path = write_table(_observations(), tmp_path / "obs.csv")
    back = Table.read(path, format="ascii.csv")
    assert {"ra_deg", "dec_deg", "exposure_s", "duration_s", "separation_deg"} & set(
        back.colnames
    ) == {"ra_deg", "dec_deg", "exposure_s", "duration_s"}
    start = Time(list(back["start"]), scale="utc")
    _same_times(start, "start")
    lines = path.read_text().splitlines()
    assert ",2019-12-31T23:59:59.123456Z," in lines[1]
    assert back["exposure_s"].mask.tolist() == [False, False, True]


def test_parquet_keeps_types_and_states_units(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = write_table(_observations(), tmp_path / "obs.parquet")
    assert pl.read_parquet(path).equals(_observations())
    schema = pq.read_schema(path)
    assert schema.field("exposure").metadata[b"unit"] == b"s"
    assert schema.field("ra").metadata[b"ucd"] == b"pos.eq.ra;meta.main"


def test_to_astropy_gives_time_skycoord_and_quantities() -> None:
    table = to_astropy(_observations())
    _same_times(table["end"], "end")
    assert table["coord"].frame.name == "icrs"
    assert table["coord"][1].ra.deg == pytest.approx(187.70593)
    assert str(table["exposure"].unit) == "s" and np.isnan(table["exposure"][2].value)
    assert table["duration"][0].to_value("h") == pytest.approx(10.0)
    assert table["target_name"].mask.tolist() == [False, False, True]
    assert table["exposure"].info.description.startswith("exposure time")


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "obs.fits"
    target.write_bytes(b"old")
    bad = _observations().with_columns(obj=pl.Series([object(), object(), object()]))
    with pytest.raises(Exception):  # noqa: B017 - the object column cannot be written
        write_table(bad, target)
    assert target.read_bytes() == b"old" and stale_temporaries(tmp_path) == []


def test_unknown_suffix_is_our_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"'\.xlsx'.*\.vot"):
        write_table(_observations(), tmp_path / "x.xlsx")


def test_a_streamed_match_states_units_in_its_parquet(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from daxa.crossmatch import match_observations
    from daxa.filters._examples import observation_table

    table = observation_table("xmm_pointed", [10.0, 10.1], [0.0, 0.0])
    cat = pl.DataFrame({"ra": [10.05, 200.0], "dec": [0.0, 0.0]})
    out = match_observations(
        cat, ["xmm_pointed"], tables={"xmm_pointed": table}, output=tmp_path / "m.parquet",
        progress=False,
    )  # fmt: skip
    schema = pq.read_schema(out)
    assert schema.field("separation_deg").metadata[b"unit"] == b"deg"
    assert schema.field("pos_ra").metadata[b"ucd"] == b"pos.eq.ra"
    assert pl.read_parquet(out)["obs_id"].n_unique() == 2


def test_a_selection_is_written_in_its_missions_frame(tmp_path: Path) -> None:
    from daxa.filters._examples import observation_table
    from daxa.selection import Selection

    swift = Selection("swift", table=observation_table("swift", [1.0, 2.0], [3.0, 4.0]))
    assert swift.spec.frame == "fk5"
    header = fits.getheader(swift.write(tmp_path / "s.fits"), 1)
    assert (header["RADESYS"], header["EQUINOX"]) == ("FK5", 2000.0)
    (coosys,) = votable.parse(swift.write(tmp_path / "s.xml")).resources[0].coordinate_systems
    assert (coosys.system, coosys.equinox) == ("eq_FK5", "J2000")
    table = swift.to_astropy()
    assert table["coord"].frame.name == "fk5" and len(table) == 2


@pytest.mark.parametrize("with_nulls", [True, False])
def test_votable_keeps_missing_integers_and_booleans(tmp_path: Path, with_nulls: bool) -> None:
    middle = (None, None) if with_nulls else (2, False)
    frame = pl.DataFrame({"n_obs": [1, middle[0], 3], "public": [True, middle[1], False]})
    path = write_table(frame, tmp_path / "n.vot")
    table = QTable.read(path)
    expected = [False, with_nulls, False]
    assert list(np.ma.getmaskarray(table["n_obs"])) == expected
    assert list(np.ma.getmaskarray(table["public"])) == expected
    # the faster BINARY serialisation is used only when it loses nothing
    assert ("<BINARY2>" in path.read_text()) is with_nulls


def test_an_astropy_table_from_to_astropy_writes_back_the_same(tmp_path: Path) -> None:
    table = to_astropy(_observations())
    path = write_table(table, tmp_path / "again.parquet")
    back = pl.read_parquet(path)
    original = _observations()
    for column in ("obs_id", "start", "end", "exposure", "target_name", "_healpix_29"):
        assert back[column].to_list() == original[column].to_list(), column
    assert "coord" not in back.columns
