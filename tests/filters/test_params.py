"""Every parameter type a filter accepts survives encode → JSON → decode with its type."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import astropy.units as u
import numpy as np
import pandas as pd
import polars as pl
import pytest
from astropy.coordinates import FK5, SkyCoord
from astropy.table import Table
from astropy.time import Time

from daxa.errors import InputError, SelectionError
from daxa.filters._params import decode, encode


def trip(value):
    return decode(json.loads(json.dumps(encode(value))))


@pytest.mark.parametrize(
    "value",
    [None, True, 3, 2.5, "M87", [1, "a", None], {"a": [1, 2]}, ("x", 1), {1: "int key"}],
)
def test_plain_values(value):
    back = trip(value)
    assert back == value
    assert type(back) is type(value)


def test_datetimes_keep_their_zone():
    aware = datetime(2019, 11, 3, 2, 42, 50, 227000, tzinfo=timezone(timedelta(hours=2)))
    naive = datetime(2019, 11, 3, 2, 42, 50, 227000)
    assert trip(aware) == aware and trip(aware).utcoffset() == timedelta(hours=2)
    assert trip(naive) == naive and trip(naive).tzinfo is None
    assert trip(date(2020, 1, 2)) == date(2020, 1, 2)
    assert encode(naive) == {"__type__": "datetime", "value": "2019-11-03T02:42:50.227000"}


def test_numpy_arrays_and_datetime64():
    floats = np.array([[1.5, 2.0], [3.0, -4.25]])
    back = trip(floats)
    assert back.dtype == floats.dtype and back.shape == (2, 2) and (back == floats).all()
    ints = np.arange(3, dtype=np.int32)
    assert trip(ints).dtype == np.int32
    stamps = np.array(["2019-11-03T02:42:50.227", "2020-01-01"], dtype="datetime64[ms]")
    assert (trip(stamps) == stamps).all() and trip(stamps).dtype == stamps.dtype
    one = np.datetime64("2019-11-03T02:42:50.227001", "us")
    assert trip(one) == one
    assert trip(np.float32(1.5)) == np.float32(1.5) and isinstance(
        trip(np.float32(1.5)), np.float32
    )


def test_quantity_scalar_and_array():
    assert trip(30 * u.arcmin) == 30 * u.arcmin
    radii = [5, 1, 0.5] * u.deg
    back = trip(radii)
    assert back.unit == u.deg and (back == radii).all()


def test_skycoord_in_any_frame_round_trips_exactly():
    gal = SkyCoord(l=[224.415, 10.0] * u.deg, b=[24.303, -5.0] * u.deg, frame="galactic")
    back = trip(gal)
    assert back.frame.name == "galactic"
    assert np.array_equal(back.l.deg, gal.l.deg) and np.array_equal(back.b.deg, gal.b.deg)
    fk5 = SkyCoord(10.0, 20.0, unit="deg", frame=FK5(equinox="J1975"))
    back = trip(fk5)
    assert back.frame.name == "fk5" and back.equinox == fk5.equinox and back.isscalar
    assert encode(gal)["components"] == ["l", "b"]


def test_astropy_time_formats():
    iso = Time(["2019-11-03T02:42:50.227", "2019-11-04T03:36:37.671"], scale="utc")
    back = trip(iso)
    assert (back == iso).all()
    mjd = Time(58790.11308, format="mjd", scale="tt")
    back = trip(mjd)
    assert back.format == "mjd" and back.scale == "tt" and back.value == mjd.value
    dt = Time(datetime(2020, 1, 1, 0, 0, 0, 123456))
    assert abs((trip(dt) - dt).to_value("us")) < 1e-3


def test_frames_of_positions():
    frame = pl.DataFrame(
        {
            "ra": [1.0, 2.0],
            "dec": [3.0, 4.0],
            "when": [datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC)],
        }
    )
    back = trip(frame)
    assert back.equals(frame) and back.schema == frame.schema
    pdf = pd.DataFrame({"ra": [1.0, 2.0], "declination": [3.0, 4.0]})
    back = trip(pdf)
    assert isinstance(back, pd.DataFrame)
    pd.testing.assert_frame_equal(back, pdf)
    table = Table({"ra": [1.0, 2.0] * u.deg, "dec": [3.0, 4.0] * u.deg})
    back = trip(table)
    assert isinstance(back, Table) and back["ra"].unit == u.deg
    assert list(back["dec"]) == list(table["dec"])


def test_series_of_times():
    naive = pd.Series(
        pd.to_datetime(["2019-11-03T02:42:50.227", "2020-01-01"], format="ISO8601"), name="start"
    )
    back = trip(naive)
    assert isinstance(back, pd.Series) and back.name == "start"
    pd.testing.assert_series_equal(back, naive, check_dtype=False)
    aware = pl.Series("end", [datetime(2020, 1, 1, 12, tzinfo=UTC)]).dt.convert_time_zone(
        "Europe/Berlin"
    )
    back = trip(aware)
    assert back.dtype == aware.dtype and back.to_list() == aware.to_list()


def test_unsupported_types_raise_input_error():
    with pytest.raises(InputError, match="cannot save"):
        encode(object())
    # decoding reads saved files: a bad one is a SelectionError
    with pytest.raises(SelectionError, match="unknown type"):
        decode({"__type__": "martian"})
