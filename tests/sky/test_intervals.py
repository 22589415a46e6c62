"""Interval joins and the combined sky + time pair search against brute force."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daxa.errors import InputError
from daxa.sky import interval_pairs, sky_time_pairs
from daxa.sky.intervals import count_interval_pairs
from tests.sky._brute import brute_pairs, radius_values, skies

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def brute_intervals(os_, oe, ws, we, mode):
    os_, oe, ws, we = (np.asarray(a) for a in (os_, oe, ws, we))
    if mode == "overlap":
        hit = (os_[None, :] <= we[:, None]) & (oe[None, :] >= ws[:, None])
    else:
        hit = (ws[:, None] <= os_[None, :]) & (oe[None, :] <= we[:, None])
    win, obs = np.nonzero(hit)  # row-major: sorted by (window, obs)
    return obs, win


@st.composite
def intervals(draw, max_size=30, integer=True):
    n = draw(st.integers(0, max_size))
    if integer:
        start = draw(st.lists(st.integers(-50, 50), min_size=n, max_size=n))
        # durations from zero to very long, so duration classes mix
        length = draw(st.lists(st.sampled_from([0, 1, 2, 3, 7, 20, 100]), min_size=n, max_size=n))
    else:
        start = draw(st.lists(st.floats(5e4, 6e4), min_size=n, max_size=n))
        length = draw(st.lists(st.floats(0, 300), min_size=n, max_size=n))
    start = np.array(start, dtype=np.int64 if integer else float)
    return start, start + np.array(length, dtype=start.dtype)


@SETTINGS
@given(intervals(), intervals(), st.sampled_from(["overlap", "inside"]))
def test_interval_pairs_match_brute_force(obs, win, mode):
    found = interval_pairs(*obs, *win, mode=mode)
    expected = brute_intervals(*obs, *win, mode)
    np.testing.assert_array_equal(found[0], expected[0])
    np.testing.assert_array_equal(found[1], expected[1])
    if mode == "overlap":
        assert count_interval_pairs(*obs, *win, mode) == len(found[0])
    else:
        assert count_interval_pairs(*obs, *win, mode) >= len(found[0])


@SETTINGS
@given(intervals(integer=False), intervals(integer=False), st.sampled_from(["overlap", "inside"]))
def test_float_times_match_brute_force(obs, win, mode):
    found = interval_pairs(*obs, *win, mode=mode)
    expected = brute_intervals(*obs, *win, mode)
    np.testing.assert_array_equal(found[0], expected[0])
    np.testing.assert_array_equal(found[1], expected[1])


def test_touching_ends_overlap_inclusively():
    obs, win = interval_pairs([0, 10], [10, 20], [10], [10])
    assert obs.tolist() == [0, 1] and win.tolist() == [0, 0]
    obs, win = interval_pairs([0, 10], [10, 20], [0], [10], mode="inside")
    assert obs.tolist() == [0] and win.tolist() == [0]


def test_datetimes_and_polars_microseconds_agree():
    t0 = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    hours = [t0 + dt.timedelta(hours=h) for h in range(6)]
    obs = pl.DataFrame({"start": hours[:3], "end": hours[1:4]})
    windows = pl.DataFrame({"start": [hours[2]], "end": [hours[5]]})
    a = interval_pairs(obs["start"], obs["end"], windows["start"], windows["end"])
    us = obs.select(pl.all().dt.epoch("us"))
    w_us = windows.select(pl.all().dt.epoch("us"))
    b = interval_pairs(us["start"], us["end"], w_us["start"], w_us["end"])
    assert a[0].tolist() == b[0].tolist() == [1, 2]
    naive = np.array(["2020-01-01T01:30"], dtype="datetime64[m]")
    c = interval_pairs(obs["start"], obs["end"], naive, naive)
    assert c[0].tolist() == [1]


def test_many_windows_without_a_loop_are_fast_and_right():
    rng = np.random.default_rng(4)
    start = rng.integers(0, 10**12, 200_000)
    end = start + rng.integers(0, 10**8, 200_000)
    ws = rng.integers(0, 10**12, 20_000)
    we = ws + rng.integers(0, 10**9, 20_000)
    obs, win = interval_pairs(start, end, ws, we)
    assert len(obs) == count_interval_pairs(start, end, ws, we, "overlap") > 1000
    assert np.all(start[obs] <= we[win]) and np.all(end[obs] >= ws[win])
    key = win * start.size + obs
    assert np.all(np.diff(key) > 0)  # sorted by (window, obs), no duplicates


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 5], [1, 4], [0], [1]), r"observations: interval 1 ends \(4\) before it starts"),
        (([0.0, np.nan], [1.0, 2.0], [0], [1]), r"observations start\[1\] = nan"),
        (([0], [1, 2], [0], [1]), "1 starts but 2 ends"),
        (([0], [1], [0], [np.datetime64("NaT")]), r"windows end\[0\] is missing"),
        (([0], [1], ["x"], [1]), "times or numbers"),
    ],
)
def test_bad_intervals_raise_input_error(args, message):
    with pytest.raises(InputError, match=message):
        interval_pairs(*args)
    with pytest.raises(InputError, match="mode"):
        interval_pairs([0], [1], [0], [1], mode="touching")


# ---------------------------------------------------------------------------------------------
# sky + time


def brute_sky_time(left, lt, right, rt, radius, radius_of, mode):
    l_idx, r_idx, sep = brute_pairs(*left, *right, radius, radius_of)
    ls, le = (np.asarray(a)[l_idx] for a in lt)
    rs, re_ = (np.asarray(a)[r_idx] for a in rt)
    keep = (ls <= re_) & (le >= rs) if mode == "overlap" else (rs <= ls) & (le <= re_)
    return l_idx[keep], r_idx[keep], sep[keep]


@SETTINGS
@given(skies(), skies(), radius_values, st.data())
def test_sky_time_pairs_match_brute_force(left, right, radius, data):
    mode = data.draw(st.sampled_from(["overlap", "inside"]))
    n_l, n_r = left[0].size, right[0].size
    ls = np.array(data.draw(st.lists(st.integers(0, 100), min_size=n_l, max_size=n_l)), int)
    rs = np.array(data.draw(st.lists(st.integers(0, 100), min_size=n_r, max_size=n_r)), int)
    lt = (ls, ls + data.draw(st.sampled_from([0, 5, 50])))
    rt = (rs, rs + data.draw(st.sampled_from([0, 5, 50])))
    found = sky_time_pairs(*left, *lt, *right, *rt, radius, mode=mode)
    expected = brute_sky_time(left, lt, right, rt, radius, "left", mode)
    np.testing.assert_array_equal(found.left, expected[0])
    np.testing.assert_array_equal(found.right, expected[1])
    np.testing.assert_array_equal(found.separation, expected[2])


@pytest.mark.parametrize(("radius", "window", "first"), [(50.0, 3000, "time"), (0.5, 10**6, "sky")])
def test_the_cheaper_join_order_runs_and_gives_the_same_pairs(radius, window, first, monkeypatch):
    # 50 degrees with narrow windows: join on time first; 0.5 degree with windows covering
    # everything: join on the sky first
    import daxa.sky.intervals as mod

    calls = []
    for name in ("_interval_join", "_search"):
        real = getattr(mod, name)
        monkeypatch.setattr(
            mod, name, lambda *a, _f=real, _n=name, **k: calls.append(_n) or _f(*a, **k)
        )
    rng = np.random.default_rng(8)
    n, m = 3000, 500
    left = rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    right = rng.uniform(0, 360, m), np.degrees(np.arcsin(rng.uniform(-1, 1, m)))
    ls = rng.integers(0, 10**6, n)
    rs = rng.integers(0, 10**6, m)
    lt, rt = (ls, ls + window), (rs, rs + window)
    radii = rng.uniform(radius / 2, radius, n)
    found = sky_time_pairs(*left, *lt, *right, *rt, radii)
    assert calls == (["_interval_join"] if first == "time" else ["_search"])
    expected = brute_sky_time(left, lt, right, rt, radii, "left", "overlap")
    np.testing.assert_array_equal(found.left, expected[0])
    np.testing.assert_array_equal(found.right, expected[1])
    np.testing.assert_array_equal(found.separation, expected[2])
    assert len(found) > 5


def test_sky_time_bad_input():
    with pytest.raises(InputError, match="2 positions but 1 time intervals"):
        sky_time_pairs([0, 1], [0, 0], [0], [1], [0], [0], [0], [1], 1.0)
    with pytest.raises(InputError, match=r"left: interval 0 ends"):
        sky_time_pairs([0], [0], [5], [1], [0], [0], [0], [1], 1.0)
    with pytest.raises(InputError, match="radius"):
        sky_time_pairs([0], [0], [0], [1], [0], [0], [0], [1], -1.0)


@SETTINGS
@given(intervals(), intervals(), st.sampled_from(["overlap", "inside"]), st.booleans())
def test_the_total_count_equals_the_count_window_by_window(obs, win, mode, flip):
    """The total taken observation by observation (windows sorted, not observations) equals
    the per-window sum, clipped windows included (an interval that ends before it starts)."""
    from daxa.sky.intervals import _count_per_window

    if flip and obs[0].size:  # one reversed interval: the per-window form is used
        obs = (obs[0].copy(), obs[1].copy())
        obs[1][0] = obs[0][0] - 5
    assert count_interval_pairs(*obs, *win, mode) == _count_per_window(*obs, *win, mode)


@SETTINGS
@given(
    st.lists(st.integers(-5, 5), max_size=40),
    st.lists(st.integers(-7, 7), max_size=40),
    st.booleans(),
)
def test_the_compiled_rank_sum_equals_searchsorted(values, x, strict):
    """Bucketed ranks (many equal values, values outside the range, one distinct value) sum
    to what np.searchsorted gives."""
    from daxa.sky.intervals import _rank_sum

    pytest.importorskip("numba")
    values = np.sort(np.array(values, dtype=np.int64))
    x = np.array(x, dtype=np.int64)
    side = "left" if strict else "right"
    want = int(np.searchsorted(values, x, side=side).sum()) if values.size else 0
    assert _rank_sum(values, x, strict=strict) == want
    floats = values.astype(float) / 3
    want = int(np.searchsorted(floats, x / 3, side=side).sum()) if values.size else 0
    assert _rank_sum(floats, x / 3, strict=strict) == want
