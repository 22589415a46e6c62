"""Unit vectors, separations and coordinate validation against astropy and known values."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import polars as pl
import pytest
from astropy.coordinates import SkyCoord
from hypothesis import given, settings
from hypothesis import strategies as st

from daxa.errors import InputError
from daxa.sky import angular_separation, check_coordinates, unit_vectors
from daxa.sky.geometry import _cos_sin_deg, check_radius
from tests.sky._brute import dec_values, ra_values


def test_unit_vectors_of_known_directions():
    v = unit_vectors([0.0, 90.0, 180.0, 0.0, 123.0], [0.0, 0.0, 0.0, 90.0, -90.0])
    expected = [[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, 0, 1], [0, 0, -1]]
    np.testing.assert_allclose(v, expected, atol=1e-15)
    assert v.shape == (5, 3) and v.dtype == np.float64


def test_unit_vectors_match_astropy_and_have_unit_length():
    rng = np.random.default_rng(3)
    ra, dec = rng.uniform(0, 360, 2000), rng.uniform(-90, 90, 2000)
    v = unit_vectors(ra, dec)
    ref = SkyCoord(ra * u.deg, dec * u.deg).cartesian.xyz.value.T
    np.testing.assert_allclose(v, ref, rtol=0, atol=2e-16 * 8)
    np.testing.assert_allclose(np.einsum("ij,ij->i", v, v), 1.0, atol=1e-15)


def test_fast_cos_sin_is_within_a_few_ulp_of_numpy():
    x = np.concatenate([np.linspace(-90, 90, 10001), np.linspace(0, 360, 10001)])
    cos, sin = _cos_sin_deg(x)
    np.testing.assert_allclose(cos, np.cos(np.radians(x)), rtol=0, atol=8e-16)
    np.testing.assert_allclose(sin, np.sin(np.radians(x)), rtol=0, atol=8e-16)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0.0, 0.0), (180.0, 0.0), 180.0),  # antipodal on the equator
        ((0.0, 90.0), (0.0, -90.0), 180.0),  # pole to pole
        ((10.0, 89.0), (190.0, 89.0), 2.0),  # across the north pole
        ((359.5, 0.0), (0.5, 0.0), 1.0),  # across RA = 0
        ((0.0, 90.0), (123.0, 90.0), 0.0),  # the pole whatever the RA
        ((45.0, 30.0), (45.0, 30.0), 0.0),
        ((0.0, 0.0), (90.0, 0.0), 90.0),
    ],
)
def test_separation_of_known_pairs(a, b, expected):
    assert float(angular_separation(*a, *b)) == pytest.approx(expected, abs=1e-12)


def test_separation_is_accurate_at_tiny_and_near_antipodal_angles():
    # 1 micro-arcsecond apart, and 1 micro-arcsecond short of antipodal
    tiny = 1e-6 / 3600
    assert float(angular_separation(0.0, 0.0, 0.0, tiny)) == pytest.approx(tiny, rel=1e-9)
    assert float(angular_separation(10.0, 20.0, 10.0, 20.0 + tiny)) == pytest.approx(tiny, rel=1e-6)
    near = angular_separation(0.0, 0.0, 180.0, tiny)
    assert 180.0 - float(near) == pytest.approx(tiny, rel=1e-6)
    # arccos of the dot product would give 0 here (1 - 1e-24 rounds to 1)
    assert float(angular_separation(0.0, 0.0, tiny / 1000, 0.0)) > 0


def test_separation_matches_astropy_on_random_pairs():
    rng = np.random.default_rng(7)
    ra1, ra2 = rng.uniform(0, 360, (2, 5000))
    dec1, dec2 = np.degrees(np.arcsin(rng.uniform(-1, 1, (2, 5000))))
    ours = angular_separation(ra1, dec1, ra2, dec2)
    ref = SkyCoord(ra1, dec1, unit="deg").separation(SkyCoord(ra2, dec2, unit="deg")).deg
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


@settings(max_examples=150, deadline=None)
@given(ra_values, dec_values, ra_values, dec_values)
def test_separation_properties(ra1, dec1, ra2, dec2):
    s = float(angular_separation(ra1, dec1, ra2, dec2))
    assert 0.0 <= s <= 180.0
    assert s == float(angular_separation(ra2, dec2, ra1, dec1))  # symmetric, bit for bit
    assert abs(dec1 - dec2) <= s + 1e-12  # never less than the declination difference
    ref = SkyCoord(ra1, dec1, unit="deg").separation(SkyCoord(ra2, dec2, unit="deg")).deg
    assert s == pytest.approx(ref, abs=1e-11)


def test_separation_broadcasts():
    s = angular_separation(np.zeros((3, 1)), np.zeros((3, 1)), np.array([0.0, 1.0]), 0.0)
    assert s.shape == (3, 2)
    np.testing.assert_allclose(s, [[0, 1]] * 3, atol=1e-13)


def test_check_coordinates_wraps_ra_and_accepts_series():
    ra, dec = check_coordinates(pl.Series([-30.0, 720.5, 10.0]), (0.0, 1.0, -90.0))
    assert ra.tolist() == [330.0, 0.5, 10.0]
    assert dec.tolist() == [0.0, 1.0, -90.0]
    assert check_coordinates([], [])[0].size == 0


@pytest.mark.parametrize(
    ("ra", "dec", "message"),
    [
        ([0.0, np.nan], [0.0, 0.0], r"targets: ra\[1\] = nan"),
        ([0.0, 1.0], [0.0, np.inf], r"targets: dec\[1\] = inf"),
        ([0.0, 1.0, 2.0], [0.0, -90.5, 91.0], r"targets: dec\[1\] = -90.5 is outside"),
        ([0.0, 1.0], [0.0], "ra has 2 values but dec has 1"),
        (pl.Series([1.0, None]), [0.0, 0.0], r"ra\[1\] = nan"),
        (["a"], [0.0], "must be numbers"),
    ],
)
def test_check_coordinates_names_the_bad_value(ra, dec, message):
    with pytest.raises(InputError, match=message):
        check_coordinates(ra, dec, what="targets")


def test_check_radius():
    assert check_radius(2, 5).tolist() == [2.0]
    assert check_radius([1, 2], 2).tolist() == [1.0, 2.0]
    with pytest.raises(InputError, match="3 values but there are 2 rows"):
        check_radius([1, 2, 3], 2)
    with pytest.raises(InputError, match=r"radius_deg\[0\] = -0.1"):
        check_radius(-0.1, 2)
    with pytest.raises(InputError, match=r"radius_deg\[1\] = nan"):
        check_radius([1.0, np.nan], 2)


@given(st.floats(-1e6, 1e6, allow_nan=False))
@settings(max_examples=50, deadline=None)
def test_wrapped_ra_is_in_range(ra):
    wrapped = check_coordinates([ra], [0.0])[0][0]
    assert 0.0 <= wrapped < 360.0
    assert float(angular_separation(ra, 0.0, wrapped, 0.0)) < 1e-9
