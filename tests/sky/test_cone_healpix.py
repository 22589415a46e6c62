"""HEALPix indices, cone ranges, cone and box masks against brute force and astropy-healpix."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import polars as pl
import pytest
from astropy_healpix import core as ahp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from daxa.errors import InputError
from daxa.sky import (
    angular_separation,
    box_mask,
    coarsen,
    cone_mask,
    healpix_index,
    healpix_ranges_for_cone,
)
from daxa.sky.cone import NPIX_29, _cells_own, _merge
from daxa.sky.geometry import loosen
from tests.sky._brute import dec_values, ra_values


def random_sky(n, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))


def points_in_cone(ra, dec, radius, n, seed):
    """n points uniformly inside the cone, plus points exactly on its edge."""
    rng = np.random.default_rng(seed)
    # offsets in the tangent frame, then rotate to (ra, dec) with astropy
    from astropy.coordinates import SkyCoord

    centre = SkyCoord(ra * u.deg, dec * u.deg)
    pa = rng.uniform(0, 360, n) * u.deg
    r = np.degrees(np.arccos(1 - rng.uniform(0, 1, n) * (1 - np.cos(np.radians(radius)))))
    r[: n // 4] = radius  # on the edge
    pts = centre.directional_offset_by(pa, r * u.deg)
    return pts.ra.deg, pts.dec.deg


# ---------------------------------------------------------------------------------------------
# HEALPix indices


def test_healpix_index_agrees_with_astropy_healpix():
    ra, dec = random_sky(20_000, 1)
    for order in (0, 5, 12, 29):
        ours = healpix_index(ra, dec, order)
        ref = ahp.lonlat_to_healpix(ra * u.deg, dec * u.deg, 1 << order, order="nested")
        agree = np.mean(ours == np.asarray(ref))
        assert agree == 1.0 if order < 29 else agree > 0.9999


def test_healpix_index_is_cdshealpix_own_answer_across_blocks(monkeypatch):
    """The compiled function called a block at a time gives what cdshealpix's wrapper gives,
    bit for bit: any longitude (wrapped), the poles, and rows on both sides of a block edge."""
    cds = pytest.importorskip("cdshealpix.nested")
    from astropy.coordinates import Latitude, Longitude

    from daxa.sky import healpix

    monkeypatch.setattr(healpix, "BLOCK", 1000)
    rng = np.random.default_rng(7)
    ra = np.concatenate([rng.uniform(-720.0, 720.0, 4321), [0.0, 360.0, -0.0, 180.0, 1e-300]])
    dec = np.concatenate([random_sky(4321, 8)[1], [90.0, -90.0, 0.0, 41.8103148957786, -1e-300]])
    for order in (0, 7, 29):
        ref = cds.lonlat_to_healpix(Longitude(ra, u.deg), Latitude(dec, u.deg), order)
        assert healpix_index(ra, dec, order).tolist() == np.asarray(ref).astype(np.int64).tolist()


def test_coarsen_is_the_index_at_the_coarser_order():
    ra, dec = random_sky(20_000, 2)
    hpx29 = healpix_index(ra, dec)
    assert hpx29.dtype == np.int64 and hpx29.min() >= 0 and hpx29.max() < NPIX_29
    for order in (0, 3, 10, 20):
        assert np.mean(coarsen(hpx29, order) == healpix_index(ra, dec, order)) > 0.9999


def test_healpix_index_edges():
    assert (
        healpix_index([0.0, 360.0], [0.0, 0.0], 10).tolist()
        == healpix_index([0.0, 0.0], [0.0, 0.0], 10).tolist()
    )
    assert healpix_index([1.0, np.nan], [np.nan, 1.0], 29).tolist() == [-1, -1]
    with pytest.raises(InputError, match=r"dec\[1\] = 90.5"):
        healpix_index([0.0, 0.0], [0.0, 90.5])
    with pytest.raises(InputError, match="order"):
        healpix_index([0.0], [0.0], 30)
    with pytest.raises(InputError, match="order"):
        coarsen([0], -1)


# ---------------------------------------------------------------------------------------------
# cone ranges


def in_ranges(hpx29, ranges):
    i = np.searchsorted(ranges[:, 0], hpx29, side="right") - 1
    return (i >= 0) & (hpx29 < ranges[np.maximum(i, 0), 1])


@settings(max_examples=60, deadline=None)
@given(
    ra_values,
    dec_values,
    st.floats(np.log10(1 / 3600), np.log10(60.0)).map(lambda e: 10.0**e),
    st.integers(0, 29),
)
@example(ra=0.0, dec=26.75, radius=3.3321595500575376, order=3)  # cdshealpix left out a cell
def test_cone_ranges_never_miss_a_point(ra, dec, radius, order):
    ranges = healpix_ranges_for_cone(ra, dec, radius, order)
    assert np.all(ranges[:, 0] < ranges[:, 1])
    assert np.all(ranges[1:, 0] > ranges[:-1, 1])  # sorted and merged
    pts = points_in_cone(ra, dec, radius, 200, seed=int(radius * 1e6) % 1000)
    assert in_ranges(healpix_index(*pts), ranges).all()


def test_cone_ranges_keep_a_cell_only_its_corner_reaches():
    """Order-3 cell 319's corner (RA 0, Dec 30) is 3.25 deg from (0, 26.75): a 3.33 deg cone
    reaches it, though cdshealpix's cone search leaves the cell out."""
    ranges = healpix_ranges_for_cone(0.0, 26.75, 3.3321595500575376, 3)
    corner = healpix_index(np.array([359.99592494]), np.array([30.08215762]))
    assert corner[0] >> 52 == 319
    assert in_ranges(corner, ranges).all()


@pytest.mark.parametrize(
    ("ra", "dec", "radius", "order"),
    [(10.0, 20.0, 1.0, 8), (0.0, 90.0, 2.0, 7), (359.9, -89.5, 0.7, 9), (45.0, 0.0, 0.01, 14)],
)
def test_own_cone_cover_is_conservative_too(ra, dec, radius, order):
    cells, depths = _cells_own(ra, dec, radius, order)
    shift = 2 * (29 - depths)
    ranges = _merge(cells << shift, (cells + 1) << shift)
    pts = points_in_cone(ra, dec, radius, 2000, seed=order)
    assert in_ranges(healpix_index(*pts), ranges).all()
    # and it is not the whole sky
    covered = (ranges[:, 1] - ranges[:, 0]).sum() / NPIX_29
    cap = (1 - np.cos(np.radians(radius))) / 2
    assert covered < 20 * cap + 1e-6


def test_cone_ranges_whole_sky_and_errors():
    assert healpix_ranges_for_cone(0, 0, 180, 5).tolist() == [[0, NPIX_29]]
    with pytest.raises(InputError, match="radius"):
        healpix_ranges_for_cone(0, 0, -1, 5)
    with pytest.raises(InputError, match="dec = 91"):
        healpix_ranges_for_cone(0, 91, 1, 5)


# ---------------------------------------------------------------------------------------------
# cone and box masks


@pytest.fixture(scope="module")
def table():
    ra, dec = random_sky(50_000, 9)
    ra[:5], dec[:5] = [0.0, 359.99, 10.0, 10.0, 200.0], [90.0, -90.0, 0.0, 0.5, -30.0]
    df = pl.DataFrame({"ra": ra, "dec": dec, "_healpix_29": healpix_index(ra, dec)})
    return df.with_columns(pl.Series("ra", [None] + df["ra"].to_list()[1:]))


@pytest.mark.parametrize(
    ("ra", "dec", "radius"),
    [(10.0, 0.0, 0.5), (0.0, 90.0, 3.0), (359.0, -89.0, 2.0), (123.4, 45.6, 10.0), (1, 2, 0)],
)
def test_cone_mask_matches_brute_force_sorted_or_not(table, ra, dec, radius):
    sep = angular_separation(table["ra"].to_numpy(), table["dec"].to_numpy(), ra, dec)
    expected = np.nan_to_num(sep, nan=999.0) <= loosen(radius)
    plain = cone_mask(table, ra, dec, radius)
    ordered = table.sort("_healpix_29")
    assert ordered["_healpix_29"].flags["SORTED_ASC"]
    by_ranges = cone_mask(ordered, ra, dec, radius)
    assert plain.dtype == pl.Boolean and plain.len() == table.height
    np.testing.assert_array_equal(plain.to_numpy(), expected)
    order = np.argsort(table["_healpix_29"].to_numpy(), kind="stable")
    np.testing.assert_array_equal(by_ranges.to_numpy(), expected[order])


def test_cone_mask_is_inclusive_and_skips_nulls(table):
    # row 3 is exactly 0.5 degrees from (10, 0); row 0 has a null RA
    mask = cone_mask(table, 10.0, 0.0, 0.5).to_list()
    assert mask[2] and mask[3] and not mask[0]


def test_box_mask_rules(table):
    t = pl.DataFrame({"ra": [355.0, 5.0, 10.0, 180.0, 350.0], "dec": [0.0, 0.0, 0.0, 0.0, 1.0]})
    assert box_mask(t, 350, 10, -1, 1).to_list() == [True, True, True, False, True]
    assert box_mask(t, 10, 350, -1, 1).to_list() == [False, False, True, True, True]
    assert box_mask(t, -10, 10, -1, 1).to_list() == [True, True, True, False, True]
    assert box_mask(t, 0, 360, -1, 0.5).to_list() == [True, True, True, True, False]
    assert box_mask(t, 10, 10, -1, 1).to_list() == [False, False, True, False, False]
    with pytest.raises(InputError, match="dec range"):
        box_mask(t, 0, 10, 5, 1)
    with pytest.raises(InputError, match="finite"):
        box_mask(t, 0, np.nan, 0, 1)
    with pytest.raises(InputError, match="no 'dec' column"):
        box_mask(t.drop("dec"), 0, 1, 0, 1)


def test_box_mask_matches_brute_force(table):
    ra, dec = table["ra"].to_numpy(), table["dec"].to_numpy()
    got = box_mask(table, 300.0, 20.0, -10.0, 35.0).to_numpy()
    with np.errstate(invalid="ignore"):
        expected = ((ra >= 300) | (ra <= 20)) & (dec >= -10) & (dec <= 35)
    np.testing.assert_array_equal(got, expected)
    assert got.sum() > 1000
