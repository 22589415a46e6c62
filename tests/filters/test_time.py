"""Time inputs, the time-window filter (real CalPV window, over_run, brute force)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import polars as pl
import pytest
from astropy.time import Time
from hypothesis import given, settings
from hypothesis import strategies as st

from daxa.errors import InputError
from daxa.filters import TimeWindow
from daxa.filters._examples import observation_table
from daxa.filters.time import to_us, to_us_array, us_to_iso

T0 = datetime(2019, 11, 3, 2, 42, 50, 227000, tzinfo=UTC)
T0_US = 1572748970227000  # independently: (T0 - 1970-01-01) in microseconds


def test_every_time_form_means_the_same_instant():
    forms = [
        T0,
        T0.replace(tzinfo=None),  # naive = UTC
        T0.astimezone(timezone(timedelta(hours=-5))),
        "2019-11-03T02:42:50.227",
        "2019-11-03T02:42:50.227Z",
        "2019-11-03 02:42:50.227+00:00",
        "2019-11-03T03:42:50.227+01:00",
        np.datetime64("2019-11-03T02:42:50.227"),
        Time("2019-11-03T02:42:50.227", scale="utc"),
        Time("2019-11-03T02:43:59.411", scale="tt"),  # TT = UTC + 69.184 s in 2019
        pd.Timestamp("2019-11-03T02:42:50.227", tz="UTC"),
    ]
    assert [to_us(f) for f in forms] == [T0_US] * len(forms)
    assert us_to_iso(T0_US) == "2019-11-03T02:42:50.227Z"


def test_arrays_of_times():
    expected = np.array([T0_US, T0_US + 1_000_000])
    texts = ["2019-11-03T02:42:50.227", "2019-11-03T02:42:51.227"]
    assert (to_us_array(texts) == expected).all()
    assert (to_us_array([t + "Z" for t in texts]) == expected).all()
    assert (to_us_array(np.array(texts, dtype="datetime64[ms]")) == expected).all()
    assert (to_us_array(Time(texts, scale="utc")) == expected).all()
    assert (to_us_array(pl.Series(texts).str.to_datetime(time_zone="UTC")) == expected).all()
    assert (to_us_array(pd.Series(pd.to_datetime(texts))) == expected).all()
    assert (to_us_array([T0, T0 + timedelta(seconds=1)]) == expected).all()


@pytest.mark.parametrize("bad", [58790.1, "yesterday-ish", None, np.datetime64("NaT")])
def test_bad_times_raise_input_error(bad):
    with pytest.raises(InputError):
        to_us(bad, what="start")


def test_real_calpv_window_selects_300007_only(calpv):
    window = TimeWindow("2019-11-03T02:42:50.227", "2019-11-04T03:36:37.671")
    assert calpv.filter(window.mask(calpv, mission="erosita_calpv"))["obs_id"].to_list() == [
        "300007"
    ]
    inside = TimeWindow("2019-11-03T02:42:50", "2019-11-04T03:36:37", over_run=False)
    assert calpv.filter(inside.mask(calpv, mission="erosita_calpv"))["obs_id"].to_list() == [
        "300007"
    ]


def test_over_run_semantics_and_inclusive_bounds():
    starts = [datetime(2020, 1, d, tzinfo=UTC) for d in (1, 3, 5, 9)]
    ends = [s + timedelta(days=2) for s in starts]  # 1-3, 3-5, 5-7, 9-11
    table = observation_table("xmm_pointed", [1.0] * 4, [1.0] * 4, start=starts, end=ends)
    win = ("2020-01-03", "2020-01-07")
    overlap = TimeWindow(*win).mask(table, mission="xmm_pointed").to_list()
    inside = TimeWindow(*win, over_run=False).mask(table, mission="xmm_pointed").to_list()
    assert overlap == [True, True, True, False]  # 1-3 touches the start: inclusive
    assert inside == [False, True, True, False]


def test_rows_without_times_never_pass():
    table = observation_table("xmm_pointed", [1.0, 2.0], [1.0, 2.0])
    table = table.with_columns(
        pl.when(pl.col("ra") > 1.5).then(None).otherwise(pl.col("end")).alias("end")
    )
    assert TimeWindow("2000-01-01", "2100-01-01").mask(table, mission="xmm_pointed").to_list() == [
        True,
        False,
    ]


def test_start_after_end_is_an_input_error_naming_both():
    with pytest.raises(InputError, match=r"start 2020-01-02T00:00:00Z is after end 2020-01-01"):
        TimeWindow("2020-01-02", "2020-01-01")


def test_params_keep_the_given_types_and_round_trip():
    import json

    from daxa.filters import filter_from_step

    window = TimeWindow(Time("2019-11-03T02:42:50.227"), T0 + timedelta(days=1), over_run=False)
    back = filter_from_step("time", json.loads(json.dumps(window.params())))
    assert back == window and isinstance(back.start, Time) and back.end == window.end
    assert back.start_us == T0_US


times = st.integers(0, 10_000)


@settings(max_examples=80, deadline=None)
@given(
    obs=st.lists(st.tuples(times, st.integers(0, 500)), min_size=1, max_size=30),
    win=st.tuples(times, st.integers(0, 2_000)),
    over_run=st.booleans(),
)
def test_time_window_equals_brute_force(obs, win, over_run):
    base = datetime(2010, 1, 1, tzinfo=UTC)
    starts = [base + timedelta(minutes=s) for s, _ in obs]
    ends = [base + timedelta(minutes=s + d) for s, d in obs]
    table = observation_table(
        "xmm_pointed", [1.0] * len(obs), [1.0] * len(obs), start=starts, end=ends
    )
    w0, w1 = base + timedelta(minutes=win[0]), base + timedelta(minutes=win[0] + win[1])
    got = TimeWindow(w0, w1, over_run=over_run).mask(table, mission="xmm_pointed").to_list()
    if over_run:  # DAXA's three cases: starts inside, ends inside, or spans the window
        want = [
            (w0 <= s <= w1) or (w0 <= e <= w1) or (s <= w0 and e >= w1)
            for s, e in zip(starts, ends, strict=True)
        ]
    else:
        want = [w0 <= s and e <= w1 for s, e in zip(starts, ends, strict=True)]
    assert got == want
