"""Cap totals (the compiled walk behind wide-field coverage summaries) against brute force."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daxa.sky import cap_cover
from daxa.sky.geometry import angular_separation, loosen
from tests.sky._brute import radius_values, skies

pytestmark = pytest.mark.skipif(not cap_cover.available(), reason="numba not installed")
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
BIG, SMALL = np.iinfo(np.int64).max, np.iinfo(np.int64).min


def brute_totals(ra, dec, f_ra, f_dec, radius, weight, start, end):
    """Per class and position: count, weight, first start, last end over every pair."""
    sep = angular_separation(ra[:, None], dec[:, None], f_ra[None, :], f_dec[None, :])
    out = []
    for r, w in zip(radius, weight, strict=True):
        inside = sep <= loosen(r)[None, :]  # NaN radius: never inside
        out.append(
            (
                inside.sum(1),
                (inside * w[None, :]).sum(1),
                np.where(inside, start[None, :], BIG).min(1, initial=BIG),
                np.where(inside, end[None, :], SMALL).max(1, initial=SMALL),
            )
        )
    return out


def check(ra, dec, f_ra, f_dec, radius, weight, start, end, **kw):
    tree = cap_cover.build_tree(ra, dec, leaf_size=kw.pop("leaf_size", 16))
    fields = cap_cover.prepare_fields(f_ra, f_dec, radius, weight, start, end)
    got = cap_cover.cap_totals(tree, fields, **kw)
    for c, (n, w, first, last) in enumerate(
        brute_totals(ra, dec, f_ra, f_dec, radius, weight, start, end)
    ):
        np.testing.assert_array_equal(got.count[c], n)
        np.testing.assert_array_equal(got.weight[c], w)
        np.testing.assert_array_equal(got.first[c], first)
        np.testing.assert_array_equal(got.last[c], last)
    return got


@st.composite
def field_sets(draw: st.DrawFn):
    f_ra, f_dec = draw(skies(max_size=30))
    m = f_ra.size
    n_classes = draw(st.integers(1, 3))
    radius = np.array(
        [draw(st.lists(radius_values, min_size=m, max_size=m)) for _ in range(n_classes)]
    ).reshape(n_classes, m)
    if n_classes > 1 and m and draw(st.booleans()):
        # an instrument whose radius is the total's to within a hair (walked together)
        radius[1] = radius[0] * (1 + draw(st.sampled_from([0.0, 1e-12, 1e-9, 1e-7])))
    drop = np.array(
        draw(st.lists(st.booleans(), min_size=radius.size, max_size=radius.size)), dtype=bool
    )
    radius[drop.reshape(radius.shape)] = np.nan  # rows a class does not count
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    weight = rng.integers(0, 10**9, (n_classes, m))
    start = rng.integers(-(10**15), 10**15, m)
    return f_ra, f_dec, radius, weight, start, start + rng.integers(0, 10**12, m)


@pytest.fixture(params=[1, 10**9], ids=["sorted-leaves", "windows-only"])
def sort_from(request, monkeypatch):
    """Both ways of deciding positions near a field leaf's edge: the field leaf sorted for
    every position leaf with one such position, or never (the window test alone)."""
    monkeypatch.setattr(cap_cover, "SORT_FROM", request.param)
    return request.param


@SETTINGS
@given(skies(max_size=60), field_sets(), st.sampled_from([1, 2, 16]))
def test_totals_match_brute_force(sort_from, positions, fields, leaf_size):
    check(*positions, *fields, leaf_size=leaf_size)


def test_edges_poles_ra_zero_and_dense_clusters(sort_from):
    rng = np.random.default_rng(5)
    # fields clustered like Swift targets (many pointings within arcminutes), wide and narrow
    t_ra, t_dec = rng.uniform(0, 360, 40), np.degrees(np.arcsin(rng.uniform(-1, 1, 40)))
    pick = rng.integers(0, 40, 600)
    f_ra = (t_ra[pick] + rng.normal(0, 0.03, 600)) % 360
    f_dec = np.clip(t_dec[pick] + rng.normal(0, 0.03, 600), -90, 90)
    f_ra[:20], f_dec[:20] = 0.0, 89.99  # at the pole and RA 0
    radius = np.stack([rng.choice([0.2, 4.98, 60.0], 600), np.full(600, 2.88)])
    # positions exactly on field edges, at the poles, across RA = 0 and in a dense clump
    edge = SkyCoord(f_ra[:200] * u.deg, f_dec[:200] * u.deg).directional_offset_by(
        rng.uniform(0, 360, 200) * u.deg, radius[0, :200] * u.deg
    )
    e_ra, e_dec = edge.ra.deg, edge.dec.deg
    ra = np.concatenate([rng.uniform(0, 360, 2000), e_ra, [0.0, 359.9999, 45.0, 0.0]])
    dec = np.concatenate(
        [np.degrees(np.arcsin(rng.uniform(-1, 1, 2000))), e_dec, [90.0, 0.0, -90.0, 0.0]]
    )
    ra = np.concatenate([ra, 10 + rng.normal(0, 0.01, 500)]) % 360  # > leaf size at one spot
    dec = np.concatenate([dec, np.full(500, -30.0)])
    weight = rng.integers(0, 10**6, (2, 600))
    start = rng.integers(0, 10**12, 600)
    got = check(ra, dec, f_ra, f_dec, radius, weight, start, start + 5, threads=2)
    assert got.count[0].max() > 50  # the 60-degree fields do cover a lot


def test_a_full_pair_buffer_is_worked_out_mid_block(monkeypatch):
    """With room for three leaf pairs, a block's pairs are worked out three at a time (a leaf
    met again after a flush adds to its totals): the totals still equal brute force."""
    monkeypatch.setattr(cap_cover, "PAIR_ROOM", 3)
    rng = np.random.default_rng(12)
    ra, dec = rng.uniform(0, 40, 800), rng.uniform(-20, 20, 800)
    f_ra, f_dec = rng.uniform(0, 40, 120), rng.uniform(-20, 20, 120)
    radius = np.stack([rng.choice([0.5, 3.0, 25.0], 120), rng.uniform(0.1, 1.0, 120)])
    weight, start = rng.integers(0, 10**6, (2, 120)), rng.integers(0, 10**9, 120)
    got = check(ra, dec, f_ra, f_dec, radius, weight, start, start + 7, threads=1)
    assert got.count[0].max() > 10


def test_pairs_near_edges_beyond_the_walks_room_walk_again(monkeypatch):
    """Positions on field edges make pairs left to the exact test; with room for one only,
    the walk runs again with room for all, and the totals equal brute force."""
    rng = np.random.default_rng(11)
    f_ra, f_dec = rng.uniform(0, 360, 50), rng.uniform(-60, 60, 50)
    radius = np.full((1, 50), 3.7)
    edge = SkyCoord(f_ra * u.deg, f_dec * u.deg).directional_offset_by(
        rng.uniform(0, 360, 50) * u.deg, radius[0] * u.deg
    )
    ra = np.concatenate([edge.ra.deg, rng.uniform(0, 360, 300)])
    dec = np.concatenate([edge.dec.deg, rng.uniform(-60, 60, 300)])
    walks = []
    real = cap_cover._walk
    monkeypatch.setattr(cap_cover, "AMB_ROOM", 1)
    monkeypatch.setattr(cap_cover, "_walk", lambda *a: walks.append(a[-1]) or real(*a))
    weight, start = rng.integers(0, 100, (1, 50)), rng.integers(0, 10**9, 50)
    check(ra, dec, f_ra, f_dec, radius, weight, start, start + 9, threads=1)
    assert len(walks) == 2 and walks[0] == 1 and walks[1] > 1


def test_threads_give_identical_totals():
    rng = np.random.default_rng(8)
    ra, dec = rng.uniform(0, 360, 5000), np.degrees(np.arcsin(rng.uniform(-1, 1, 5000)))
    f_ra, f_dec = rng.uniform(0, 360, 3000), np.degrees(np.arcsin(rng.uniform(-1, 1, 3000)))
    fields = cap_cover.prepare_fields(
        f_ra, f_dec, np.full((1, 3000), 30.0), np.ones((1, 3000), np.int64),
        np.arange(3000), np.arange(3000) + 1,
    )  # fmt: skip
    tree = cap_cover.build_tree(ra, dec)
    one = cap_cover.cap_totals(tree, fields, threads=1)
    two = cap_cover.cap_totals(tree, fields, threads=2)
    for name in ("count", "weight", "first", "last"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))


def test_fields_without_coordinates_cover_nothing():
    got = check(
        np.array([10.0, 200.0]),
        np.array([0.0, 0.0]),
        np.array([10.0, np.nan]),
        np.array([0.0, 0.0]),
        np.array([[1.0, 180.0]]),
        np.array([[5, 7]]),
        np.array([1, 2]),
        np.array([3, 4]),
    )
    assert got.count[0].tolist() == [1, 0]


def test_weights_must_be_integers():
    with pytest.raises(TypeError, match="weight must be integers"):
        cap_cover.prepare_fields([1.0], [2.0], [[1.0]], [[1.5]], [0], [1])
