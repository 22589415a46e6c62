"""One MJD ↔ UTC conversion for the normalisers, the input layer and the writers, checked
against astropy on ordinary and leap-second days."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from astropy.time import Time

from daxa.inputs.times import utc_series
from daxa.utc import LEAP_SECOND_DAYS, mjd_to_utc, utc_to_mjd

#: 2016-12-31 (ends with a leap second), 2017-01-01, 2000-01-01, 1998-12-31 (leap)
DAYS = [57753.0, 57754.0, 51544.0, 51178.0]
FRACTIONS = [0.0, 0.25, 0.5, 0.999]


def test_leap_second_days_come_from_erfa():
    assert 57753.0 in LEAP_SECOND_DAYS and 51178.0 in LEAP_SECOND_DAYS
    assert 57754.0 not in LEAP_SECOND_DAYS and len(LEAP_SECOND_DAYS) >= 27


@pytest.mark.parametrize("resolution", ["ms", "us"])
def test_mjd_to_utc_agrees_with_astropy(resolution):
    mjd = np.array([d + f for d in DAYS for f in FRACTIONS])
    ours = pl.select(mjd_to_utc(pl.lit(mjd), resolution=resolution)).to_series()
    theirs = Time(mjd, format="mjd", scale="utc").to_datetime(leap_second_strict="silent")
    for got, want in zip(ours.to_list(), theirs, strict=True):
        assert abs((got.replace(tzinfo=None) - want).total_seconds()) < 1e-3


def test_utc_to_mjd_is_the_inverse_and_what_astropy_expects():
    mjd = np.array([d + f for d in DAYS for f in FRACTIONS])
    us = pl.select(mjd_to_utc(pl.lit(mjd), resolution="us")).to_series().dt.epoch("us")
    day, frac = utc_to_mjd(us.to_numpy())
    np.testing.assert_allclose(day + frac, mjd, rtol=0, atol=1e-9)
    back = Time(day, frac, format="mjd", scale="utc")
    np.testing.assert_allclose(back.mjd, mjd, rtol=0, atol=1e-9)


def test_the_input_layer_reads_mjd_columns_through_the_same_conversion():
    mjd = pl.Series("t_mjd", [57753.75, 51544.5])
    got = utc_series(mjd, what="epoch")
    want = pl.select(mjd_to_utc(pl.lit(mjd.to_numpy()), resolution="us")).to_series()
    assert got.to_list() == want.to_list()
