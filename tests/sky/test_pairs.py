"""Pair search, nearest and symmetric best match against brute force, astropy and real data."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import polars as pl
import pytest
from astropy.coordinates import SkyCoord, search_around_sky
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daxa.errors import InputError
from daxa.sky import Pairs, best_match_symmetric, nearest, pair_search
from daxa.testing import shared_data_dir
from tests.sky._brute import brute_nearest, brute_pairs, radius_values, skies

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_same(pairs: Pairs, expected) -> None:
    left, right, sep = expected
    np.testing.assert_array_equal(pairs.left, left)
    np.testing.assert_array_equal(pairs.right, right)
    np.testing.assert_array_equal(pairs.separation, sep)  # same arithmetic: bit for bit
    assert pairs.left.dtype == pairs.right.dtype == np.int64


# ---------------------------------------------------------------------------------------------
# properties against brute force


@SETTINGS
@given(skies(), skies(), radius_values)
def test_scalar_radius_matches_brute_force(left, right, radius):
    assert_same(pair_search(*left, *right, radius), brute_pairs(*left, *right, radius))


@SETTINGS
@given(skies(), skies(), st.data())
def test_per_row_radii_match_brute_force(left, right, data):
    radius_of = data.draw(st.sampled_from(["left", "right"]))
    n = left[0].size if radius_of == "left" else right[0].size
    radii = np.array(data.draw(st.lists(radius_values, min_size=n, max_size=n)))
    found = pair_search(*left, *right, radii, radius_of=radius_of)
    assert_same(found, brute_pairs(*left, *right, radii, radius_of))


@SETTINGS
@given(skies(), skies(), radius_values)
def test_nearest_and_symmetric_match_brute_force(left, right, radius):
    expected = brute_pairs(*left, *right, radius)
    best = brute_nearest(*expected)
    found = nearest(*left, *right, radius)
    assert dict(zip(found.left.tolist(), found.right.tolist(), strict=True)) == best
    assert np.all(np.diff(found.left) > 0)

    back = brute_nearest(expected[1], expected[0], expected[2])  # per right row, its nearest left
    mutual = {(i, j) for i, j in best.items() if back.get(j) == i}
    sym = best_match_symmetric(*left, *right, radius)
    assert set(zip(sym.left.tolist(), sym.right.tolist(), strict=True)) == mutual
    assert len(set(sym.right.tolist())) == len(sym)  # each right row used at most once


# ---------------------------------------------------------------------------------------------
# specific cases


def test_pairs_across_ra_zero_and_over_the_pole():
    p = pair_search([359.9, 0.0], [0.0, 89.9], [0.1, 180.0], [0.0, 89.9], 0.25)
    assert p.left.tolist() == [0, 1]
    assert p.right.tolist() == [0, 1]
    np.testing.assert_allclose(p.separation, [0.2, 0.2], atol=1e-12)


def test_boundary_is_inclusive():
    # exactly 0.5 degrees apart on the equator and along a meridian
    p = pair_search([10.0, 30.0], [0.0, 20.0], [10.5, 30.0], [0.0, 20.5], 0.5)
    assert p.left.tolist() == [0, 1] and p.right.tolist() == [0, 1]
    assert len(pair_search([10.0], [0.0], [10.5], [0.0], 0.4999999)) == 0


def test_duplicates_and_zero_radius():
    p = pair_search([1.0, 1.0, 2.0], [5.0, 5.0, 5.0], [1.0, 1.0], [5.0, 5.0], 0.0)
    assert p.left.tolist() == [0, 0, 1, 1]
    assert p.right.tolist() == [0, 1, 0, 1]
    assert p.separation.tolist() == [0.0] * 4


def test_empty_inputs():
    assert len(pair_search([], [], [1.0], [1.0], 1.0)) == 0
    assert len(pair_search([1.0], [1.0], [], [], [], radius_of="right")) == 0
    assert len(nearest([], [], [], [], 1.0)) == 0
    assert len(best_match_symmetric([1.0], [1.0], [], [], 1.0)) == 0
    assert len(Pairs.empty()) == 0


def test_whole_sky_radius_returns_every_pair():
    rng = np.random.default_rng(5)
    left = rng.uniform(0, 360, 30), rng.uniform(-90, 90, 30)
    right = rng.uniform(0, 360, 40), rng.uniform(-90, 90, 40)
    assert len(pair_search(*left, *right, 180.0)) == 1200
    assert len(pair_search(*left, *right, 1e4)) == 1200


def test_mixed_radii_are_grouped_without_losing_pairs():
    # Swift-like: BAT 50 deg and XRT 0.2 deg fields in one call, plus arcsecond radii
    rng = np.random.default_rng(11)
    n = 400
    left = rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    right = rng.uniform(0, 360, 3000), np.degrees(np.arcsin(rng.uniform(-1, 1, 3000)))
    radii = rng.choice([50.0, 0.2, 1e-4, 3.0, 0.0], n)
    for radius_of, sides in (("left", (left, right)), ("right", (right, left))):
        found = pair_search(*sides[0], *sides[1], radii, radius_of=radius_of)
        assert_same(found, brute_pairs(*sides[0], *sides[1], radii, radius_of))
    assert len(found) > 10_000


def test_radius_of_right_uses_the_right_rows_radii():
    p = pair_search([0.0], [0.0], [0.3, 0.3], [0.0, 0.0], [0.2, 0.4], radius_of="right")
    assert p.right.tolist() == [1]


def test_matches_astropy_search_around_sky():
    rng = np.random.default_rng(2)
    n1, n2 = 20_000, 5_000
    ra1, dec1 = rng.uniform(0, 360, n1), np.degrees(np.arcsin(rng.uniform(-1, 1, n1)))
    ra2, dec2 = rng.uniform(0, 360, n2), np.degrees(np.arcsin(rng.uniform(-1, 1, n2)))
    p = pair_search(ra1, dec1, ra2, dec2, 1.0)
    c1, c2 = SkyCoord(ra1, dec1, unit="deg"), SkyCoord(ra2, dec2, unit="deg")
    i, j, sep, _ = search_around_sky(c1, c2, 1.0 * u.deg)
    order = np.lexsort((j, i))
    np.testing.assert_array_equal(p.left, i[order])
    np.testing.assert_array_equal(p.right, j[order])
    np.testing.assert_allclose(p.separation, sep.deg[order], atol=1e-11)
    assert 7200 < len(p) < 8000  # 1e8 pairs x (1 - cos 1 deg) / 2 = 7615 expected


def test_accepts_polars_series_and_precomputed_healpix():
    from daxa.sky import healpix_index

    ra, dec = pl.Series([10.0, 20.0]), pl.Series([0.0, 0.0])
    p = pair_search(ra, dec, [10.1], [0.0], 0.2, left_hpx29=healpix_index(ra, dec))
    assert p.left.tolist() == [0]
    with pytest.raises(InputError, match="left_hpx29 has shape"):
        pair_search(ra, dec, [10.1], [0.0], 0.2, left_hpx29=[1, 2, 3])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pair_search([np.nan], [0.0], [0.0], [0.0], 1.0), r"left positions: ra\[0\] = nan"),
        (lambda: pair_search([0.0], [0.0], [0.0, 1], [0.0, 95], 1.0), r"right.*dec\[1\] = 95"),
        (lambda: pair_search([0.0], [0.0], [0.0], [0.0], -1.0), r"radius_deg.*-1.0"),
        (lambda: pair_search([0.0], [0.0], [0.0], [0.0], np.nan), r"radius_deg.*nan"),
        (lambda: pair_search([0.0, 1.0], [0.0], [0.0], [0.0], 1.0), "2 values but dec has 1"),
        (lambda: pair_search([0.0, 1], [0.0, 1], [0.0], [0.0], [1.0, 2, 3]), "3 values"),
        (lambda: pair_search([0.0], [0.0], [0.0], [0.0], 1.0, radius_of="up"), "radius_of"),
        (lambda: nearest([0.0], [0.0], [0.0], [0.0], -2), "-2"),
    ],
)
def test_bad_input_raises_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_nearest_breaks_ties_by_lowest_index():
    p = nearest([0.0], [0.0], [0.0, 0.1, 359.9], [0.1, 0.0, 0.0], 1.0)
    assert p.right.tolist() == [0]  # all three are 0.1 degrees away


def test_symmetric_best_match_uses_each_row_once():
    # two left rows both nearest to right 0; only the closer one gets it
    p = best_match_symmetric([0.0, 0.0], [0.0, 0.2], [0.0, 0.0], [0.05, 0.6], 1.0)
    assert p.left.tolist() == [0]
    assert p.right.tolist() == [0]
    q = nearest([0.0, 0.0], [0.0, 0.2], [0.0, 0.0], [0.05, 0.6], 1.0)
    assert q.right.tolist() == [0, 0]


# ---------------------------------------------------------------------------------------------
# real data: eROSITA CalPV pointings against Type Ia supernovae from TNS


def test_real_calpv_pointings_against_supernovae():
    data = shared_data_dir()
    if data is None:
        pytest.skip("shared real data not available")
    obs = pl.read_csv(data / "erosita" / "erosita_calpv_info.csv")
    sne = pl.read_csv(data / "samples" / "sn1a_samp.csv")
    ra_col = next(c for c in sne.columns if c.lower() == "ra")
    dec_col = next(c for c in sne.columns if c.lower().startswith("dec"))
    o_ra, o_dec = obs["ra"].cast(pl.Float64), obs["dec"].cast(pl.Float64)
    s_ra, s_dec = sne[ra_col].cast(pl.Float64), sne[dec_col].cast(pl.Float64)
    p = pair_search(o_ra, o_dec, s_ra, s_dec, 1.8)  # eRASS field radius (sky tiles 3.6 deg)
    c1 = SkyCoord(o_ra.to_numpy(), o_dec.to_numpy(), unit="deg")
    c2 = SkyCoord(s_ra.to_numpy(), s_dec.to_numpy(), unit="deg")
    i, j, sep, _ = search_around_sky(c1, c2, 1.8 * u.deg)
    order = np.lexsort((j, i))
    assert p.left.tolist() == i[order].tolist()
    assert p.right.tolist() == j[order].tolist()
    np.testing.assert_allclose(p.separation, sep.deg[order], atol=1e-11)
    assert len(p) > 0


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    radius=st.floats(1e-4, 30.0),
    n_build=st.integers(1, 3000),
)
def test_compiled_probe_finds_the_numpy_probe_rows(seed, radius, n_build):
    """With numba, the probe of the cell join is one compiled pass; it must give the rows
    and cells of the numpy probe, poles and RA = 0/360 included."""
    from daxa.sky import _cell_table, _join

    if _join._compiled_probe() is None:
        pytest.skip("numba (the fast extra) is not installed")
    rng = np.random.default_rng(seed)
    b_ra, b_dec = rng.uniform(0, 360, n_build), np.degrees(np.arcsin(rng.uniform(-1, 1, n_build)))
    n = 5000
    p_ra, p_dec = rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    p_ra[:6] = [0.0, np.nextafter(360.0, 0.0), 180.0, 0.0, 359.9999999, 90.0]
    p_dec[:6] = [90.0, -90.0, 0.0, -90.0, 90.0, np.nextafter(90.0, 0.0)]
    p_ra[6], p_dec[6] = b_ra[0], b_dec[0]  # at least one hit
    cover = np.array([radius])
    size = _cell_table.cell_size(radius, n_build)
    table = _cell_table.build_table(b_ra, b_dec, cover, size, None)
    got = _join._occupied(table, p_ra, p_dec)
    expected = _join._occupied_numpy(table, p_ra, p_dec)
    assert got[0].size > 0
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == e.dtype
