"""Positions at time: one window per position, vectorised over pairs; against brute force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daxa.errors import InputError
from daxa.filters import PositionsAtTime
from daxa.filters._examples import observation_table
from daxa.sky.geometry import angular_separation

from .conftest import shared_data

BASE = datetime(2015, 1, 1, tzinfo=UTC)


def test_each_position_uses_its_own_window():
    starts = [BASE + timedelta(days=d) for d in (0, 10, 20)]
    table = observation_table(
        "xmm_pointed",
        [10.0, 10.0, 50.0],
        [0.0, 0.0, 0.0],
        start=starts,
        end=[s + timedelta(days=1) for s in starts],
    )
    flt = PositionsAtTime(
        [[10.0, 0.0], [50.0, 0.0]],
        start=[BASE + timedelta(days=9), BASE],
        end=[BASE + timedelta(days=12), BASE + timedelta(days=30)],
        radius=0.1,
    )
    assert flt.mask(table, mission="xmm_pointed").to_list() == [False, True, True]
    found = flt.associate(table, mission="xmm_pointed")
    assert found.select("pos_index", "obs_id").rows() == [(0, "0000000001"), (1, "0000000002")]
    inside = PositionsAtTime(
        [10.0, 0.0],
        start=BASE + timedelta(days=10, hours=1),
        end=BASE + timedelta(days=30),
        radius=0.1,
        over_run=False,
    )
    assert inside.mask(table, mission="xmm_pointed").to_list() == [False, False, False]


def test_one_window_broadcasts_to_every_position():
    table = observation_table("xmm_pointed", [10.0, 50.0], [0.0, 0.0])
    flt = PositionsAtTime([[10.0, 0.0], [50.0, 0.0]], "2019-12-31", "2020-01-01T00:30", radius=1.0)
    assert flt.mask(table, mission="xmm_pointed").to_list() == [True, False]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (["2020-01-02", "2020-01-01"], ["2020-01-01", "2020-01-03"], "window 0: start 2020-01-02"),
        (["2020-01-01"] * 3, ["2020-01-02"] * 3, "3 starts and 3 ends given for 2 positions"),
        ([1.0, 2.0], [3.0, 4.0], "bare number .*time_format=.mjd."),
    ],
)
def test_bad_windows(start, end, message):
    with pytest.raises(InputError, match=message):
        PositionsAtTime([[1.0, 1.0], [2.0, 2.0]], start, end)


def test_empty_positions():
    with pytest.raises(InputError, match="no positions"):
        PositionsAtTime([], [], [])


def test_real_supernovae_against_erass1_tiles(erass1):
    folder = shared_data()
    sn = pl.read_csv(folder / "samples" / "sn1a_samp.csv").drop_nulls(["ra", "declination"])
    disc = sn["discoverydate"].str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC")
    start, end = disc - timedelta(days=200), disc + timedelta(days=30)
    flt = PositionsAtTime(sn.select("ra", "declination"), start, end)
    mask = flt.mask(erass1, mission="erosita_all_sky_de_dr1").to_numpy()
    sep = angular_separation(
        sn["ra"].to_numpy()[:, None],
        sn["declination"].to_numpy()[:, None],
        erass1["ra"].to_numpy()[None, :],
        erass1["dec"].to_numpy()[None, :],
    )
    s_us = start.dt.epoch("us").to_numpy()[:, None]
    e_us = end.dt.epoch("us").to_numpy()[:, None]
    o_s = erass1["start"].dt.epoch("us").to_numpy()[None, :]
    o_e = erass1["end"].dt.epoch("us").to_numpy()[None, :]
    want = (sep <= 1.2 * 1.8) & (o_s <= e_us) & (o_e >= s_us)
    assert mask.tolist() == want.any(axis=0).tolist()
    assert want.any()  # the sample does have eRASS1 coverage in time and space
    found = flt.associate(erass1, mission="erosita_all_sky_de_dr1")
    assert found.height == int(want.sum())


minutes = st.integers(0, 5_000)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    obs=st.lists(
        st.tuples(st.floats(0, 20), st.floats(-10, 10), minutes, st.integers(0, 600)),
        min_size=1,
        max_size=30,
    ),
    pos=st.lists(
        st.tuples(st.floats(0, 20), st.floats(-10, 10), minutes, st.integers(0, 2_000)),
        min_size=1,
        max_size=12,
    ),
    radius=st.one_of(st.none(), st.floats(0.1, 15.0)),
    over_run=st.booleans(),
)
def test_positions_at_time_equal_brute_force(obs, pos, radius, over_run):
    o_start = [BASE + timedelta(minutes=o[2]) for o in obs]
    o_end = [BASE + timedelta(minutes=o[2] + o[3]) for o in obs]
    table = observation_table(
        "integral_pointed",
        [o[0] for o in obs],
        [o[1] for o in obs],
        start=o_start,
        end=o_end,
        exposure_jemx1=[1.0 if i % 3 else 0.0 for i in range(len(obs))],
        exposure_jemx2=[0.0] * len(obs),
        exposure_isgri=[1.0 if i % 2 else 0.0 for i in range(len(obs))],
    )
    w_start = [BASE + timedelta(minutes=p[2]) for p in pos]
    w_end = [BASE + timedelta(minutes=p[2] + p[3]) for p in pos]
    flt = PositionsAtTime([[p[0], p[1]] for p in pos], w_start, w_end, radius, over_run)
    got = flt.mask(table, mission="integral_pointed").to_numpy()
    sep = angular_separation(
        np.array([p[0] for p in pos])[:, None],
        np.array([p[1] for p in pos])[:, None],
        table["ra"].to_numpy()[None, :],
        table["dec"].to_numpy()[None, :],
    )
    isgri = table["exposure_isgri"].to_numpy() > 0
    jemx = table["exposure_jemx1"].to_numpy() > 0
    if radius is None:  # ISGRI 4.15 deg where it observed, else JEM-X 2.4 deg, else nothing
        limit = np.where(isgri, 1.2 * 4.15, np.where(jemx, 1.2 * 2.4, -1.0))[None, :]
    else:  # any radius: only rows where a chosen instrument observed
        limit = np.where(isgri | jemx, radius, -1.0)[None, :]
    we = np.array([w.replace(tzinfo=None) for w in w_end], dtype="datetime64[us]")[:, None]
    ws = np.array([w.replace(tzinfo=None) for w in w_start], dtype="datetime64[us]")[:, None]
    os_ = np.array([o.replace(tzinfo=None) for o in o_start], dtype="datetime64[us]")[None, :]
    oe = np.array([o.replace(tzinfo=None) for o in o_end], dtype="datetime64[us]")[None, :]
    timely = (os_ <= we) & (oe >= ws) if over_run else (os_ >= ws) & (oe <= we)
    want = (sep <= limit) & timely
    assert got.tolist() == want.any(axis=0).tolist()
    found = flt.associate(table, mission="integral_pointed")
    assert sorted(
        zip(found["pos_index"].to_list(), found["obs_id"].to_list(), strict=True)
    ) == sorted((int(p), table["obs_id"][int(i)]) for p, i in zip(*np.nonzero(want), strict=True))
