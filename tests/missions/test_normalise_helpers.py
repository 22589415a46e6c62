"""The shared normaliser building blocks: names, times, categories, ObsIDs, row cuts."""

from __future__ import annotations

import logging
import warnings
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest
from astropy.time import Time
from hypothesis import given
from hypothesis import strategies as st

from daxa.errors import SchemaError
from daxa.missions import _normalise as N


def test_prepare_lowercases_strips_and_checks_required():
    raw = pl.DataFrame({" ObsID ": ["  0123 "], "RA": [1.0]})
    df = N.prepare(raw, "m", ["obsid", "ra"])
    assert df.columns == ["obsid", "ra"]
    assert df["obsid"][0] == "0123"
    with pytest.raises(SchemaError, match=r"lacks column\(s\) 'dec'"):
        N.prepare(raw, "m", ["obsid", "dec"])


def test_prepare_decodes_fits_bytes():
    raw = pl.DataFrame({"NAME": pl.Series([b"CRAB  ", None], dtype=pl.Binary)})
    assert N.prepare(raw, "m", ["name"])["name"].to_list() == ["CRAB", None]


def test_prepare_refuses_columns_differing_only_in_case():
    with pytest.raises(SchemaError, match="differ only in case: ra"):
        N.prepare(pl.DataFrame({"ra": [1], "RA": [2]}), "m", [])


def test_mjd_to_utc_known_epochs_and_sentinels():
    mjd = pl.Series([51544.5, 40587.0, 0.0, 416422.0, float("nan"), None, 58849.25])
    out = pl.select(N.mjd_to_utc(pl.lit(mjd), (0.0, 416422.0))).to_series().to_list()
    assert out[0] == datetime(2000, 1, 1, 12, tzinfo=UTC)  # J2000 epoch, MJD 51544.5
    assert out[1] == datetime(1970, 1, 1, tzinfo=UTC)
    assert out[2:6] == [None, None, None, None]
    assert out[6] == datetime(2020, 1, 1, 6, tzinfo=UTC)


def test_mjd_to_utc_rounds_float_noise_to_the_millisecond():
    # chanmaster's MJD for ObsID 6616 reads as 04:33:41.000003 without rounding
    out = pl.select(N.mjd_to_utc(pl.lit(53790.19005787))).item()
    assert out == datetime(2006, 2, 24, 4, 33, 41, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)))
def test_mjd_round_trip_within_a_millisecond(when):
    # the MJD astropy gives on the UTC scale (days with a leap second are 86,401 s long)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ERFA calls dates past its leap-second table dubious
        mjd = Time(when, scale="utc").mjd
    back = pl.select(N.mjd_to_utc(pl.lit(mjd))).item()
    assert abs((back - when.replace(tzinfo=UTC)).total_seconds()) <= 0.0011


@pytest.mark.parametrize("day", N.LEAP_SECOND_DAYS[-12:])
def test_mjd_on_leap_second_days_agrees_with_astropy(day):
    mjd = day + np.array([0.0, 0.25, 0.5, 0.999, 0.99998, 0.999995])
    ours = pl.select(N.mjd_to_utc(pl.lit(pl.Series(mjd)))).to_series()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy warns about times inside the leap second
        theirs = Time(mjd, format="mjd", scale="utc").to_datetime(leap_second_strict="silent")
    expected = pl.Series(theirs.astype("datetime64[us]")).dt.replace_time_zone("UTC")
    assert ((ours - expected).dt.total_microseconds().abs() <= 500).all()


def test_iso_to_utc_variants_and_seconds_sixty():
    s = [
        "2020-03-25T16:40:60",
        "2020-03-25 16:40:59.5Z",
        "2002-09-29",
        "2019-11-03T02:42:50",
        "2001-08-19T07:05:23.123456789",
        "2020-12-31T23:59:60",
        "not a date",
        None,
    ]
    df = pl.DataFrame({"t": s})
    out = df.select(N.iso_to_utc("t", df)).to_series().to_list()
    assert out == [
        datetime(2020, 3, 25, 16, 41, 0, tzinfo=UTC),
        datetime(2020, 3, 25, 16, 40, 59, 500000, tzinfo=UTC),
        datetime(2002, 9, 29, tzinfo=UTC),
        datetime(2019, 11, 3, 2, 42, 50, tzinfo=UTC),
        datetime(2001, 8, 19, 7, 5, 23, 123456, tzinfo=UTC),
        datetime(2021, 1, 1, 0, 0, 0, tzinfo=UTC),
        None,
        None,
    ]


def test_iso_to_utc_passes_datetime_and_date_columns():
    naive = pl.DataFrame({"t": [datetime(2020, 1, 1, 12)]})
    aware = pl.DataFrame({"t": [datetime(2020, 1, 1, 12)]}).with_columns(
        pl.col("t").dt.replace_time_zone("Europe/Berlin")
    )
    dates = pl.DataFrame({"t": [datetime(2020, 1, 1).date()]})
    assert naive.select(N.iso_to_utc("t", naive)).item() == datetime(2020, 1, 1, 12, tzinfo=UTC)
    assert aware.select(N.iso_to_utc("t", aware)).item() == datetime(2020, 1, 1, 11, tzinfo=UTC)
    assert dates.select(N.iso_to_utc("t", dates)).item() == datetime(2020, 1, 1, tzinfo=UTC)


def test_map_category_unknown_and_null_become_misc():
    df = pl.DataFrame({"c": ["AGN", " cv ", "SOMETHING NEW", None]})
    out = df.select(N.map_category(pl.col("c"), {"AGN": "AGN", "CV": "GS"})).to_series()
    assert out.to_list() == ["AGN", "GS", "MISC", "MISC"]


def test_obs_id_pads_integers_and_inferred_floats():
    df = pl.DataFrame({"i": [1180, 300007], "f": [1180.0, 5.0], "s": [" 001180", "5"]})
    assert df.select(N.obs_id("i", df, width=6)).to_series().to_list() == ["001180", "300007"]
    assert df.select(N.obs_id("f", df, width=6)).to_series().to_list() == ["001180", "000005"]
    assert df.select(N.obs_id("s", df, width=6)).to_series().to_list() == ["001180", "000005"]
    assert df.select(N.obs_id("i", df)).to_series().to_list() == ["1180", "300007"]


def test_flag_reads_every_spelling():
    df = pl.DataFrame(
        {"s": ["Y", "n", "True", "false", "1", "maybe", None], "i": [1, 0, 2, 0, 1, 0, 0]}
    )
    assert df.select(N.flag("s", df)).to_series().to_list() == [
        True, False, True, False, True, None, None,
    ]  # fmt: skip
    assert df.select(N.flag("i", df)).to_series().to_list()[:2] == [True, False]


def test_keep_values_drops_other_values_and_nulls_and_logs(caplog):
    df = pl.DataFrame({"status": ["archived", "PROCESSED", "observed", None]})
    with caplog.at_level(logging.INFO, logger="daxa.missions"):
        out = N.keep_values(df, "status", ["processed", "archived"], "m")
    assert out["status"].to_list() == ["archived", "PROCESSED"]
    assert "m: dropped 2 of 4 rows (status not processed/archived: observed, null)" in caplog.text


def test_public_by_compares_with_now_and_unknown_is_not_public():
    now = datetime(2020, 1, 1, tzinfo=UTC)
    df = pl.DataFrame(
        {"t": [datetime(2019, 1, 1), datetime(2020, 1, 1), datetime(2021, 1, 1), None]}
    ).with_columns(pl.col("t").dt.replace_time_zone("UTC"))
    assert df.select(N.public_by(pl.col("t"), now)).to_series().to_list() == [
        True, True, False, False,
    ]  # fmt: skip


def test_resolve_now_treats_naive_as_utc():
    assert N.resolve_now(datetime(2020, 1, 1)) == datetime(2020, 1, 1, tzinfo=UTC)
    assert N.resolve_now(None).tzinfo is not None
