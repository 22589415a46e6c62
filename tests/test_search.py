"""Multi-mission search: one call, one tidy typed table; cache, tables, names, windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

import daxa
from daxa import cache
from daxa.errors import InputError
from daxa.filters._examples import observation_table
from daxa.search import search
from daxa.testing import emulated_archives

T0 = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def tables() -> dict[str, pl.DataFrame]:
    return {
        "xmm_pointed": observation_table("xmm_pointed", [187.70, 83.63], [12.39, 22.01]),
        "chandra": observation_table(
            "chandra",
            [187.71, 83.63, 187.70],
            [12.39, 22.02, 12.40],
            instrument=["ACIS", "HRC", "HRC"],
        ),
        "swift": observation_table(
            "swift",
            [187.0, 10.0],
            [12.0, 10.0],
            exposure_xrt=[100.0, 100.0],
            exposure_bat=[100.0, 0.0],
            exposure_uvot=[0.0, 0.0],
        ),
    }


def test_one_call_over_several_missions(tables):
    found = daxa.search([[187.7059, 12.3911], [83.633, 22.0145]], tables=tables)
    assert found.select("pos_index", "mission", "obs_id").rows() == [
        (0, "xmm_pointed", "0000000000"),
        (0, "chandra", "1"),
        (0, "chandra", "3"),
        (0, "swift", "00000000000"),  # only through BAT (60 deg); XRT's 0.236 deg is too small
        (1, "xmm_pointed", "0000000001"),
        (1, "chandra", "2"),
    ]
    swift_row = found.filter(mission="swift")
    assert swift_row["instruments"].to_list() == [["BAT"]]
    assert found.schema["separation_deg"] == pl.Float64 and found.schema["start"] == pl.Datetime(
        "us", "UTC"
    )
    assert found.schema["instruments"] == pl.List(pl.String)
    assert found.filter(mission="chandra", obs_id="2")["instrument"].item() == "HRC"


def test_instrument_choice_per_mission(tables):
    found = search(
        [187.7059, 12.3911],
        tables=tables,
        instruments={"chandra": ["HRC"], "swift": ["XRT"]},
    )
    assert found.select("mission", "obs_id").rows() == [
        ("xmm_pointed", "0000000000"),
        ("chandra", "3"),
    ]


def test_time_window_alone_and_with_positions(tables):
    window = {"start": T0 + timedelta(hours=12), "end": T0 + timedelta(days=1, minutes=30)}
    only_time = search(tables=tables, **window)
    assert sorted(only_time.select("mission", "obs_id").rows()) == [
        ("chandra", "2"),
        ("swift", "00000000001"),
        ("xmm_pointed", "0000000001"),
    ]
    assert only_time["pos_index"].null_count() == only_time.height
    both = search([83.633, 22.0145], radius=0.1, tables=tables, **window)
    assert both.select("mission", "obs_id").rows() == [
        ("xmm_pointed", "0000000001"),
        ("chandra", "2"),
    ]


def test_one_window_per_position(tables):
    found = search(
        [[187.7059, 12.3911], [83.633, 22.0145]],
        radius=0.1,
        start=[T0 + timedelta(days=2), T0 + timedelta(days=1)],
        end=[T0 + timedelta(days=2, hours=2), T0 + timedelta(days=1, hours=1)],
        tables=tables,
    )
    # M87 was observed by Chandra on day 2 (obs 3) and by XMM on day 0 (outside its window)
    assert found.select("pos_index", "mission", "obs_id").rows() == [
        (0, "chandra", "3"),
        (1, "xmm_pointed", "0000000001"),
        (1, "chandra", "2"),
    ]


def test_names_through_the_emulator_and_cached_tables(tmp_path, monkeypatch, tables):
    monkeypatch.setenv("DAXA_CACHE_DIR", str(tmp_path))
    for name, table in tables.items():
        cache.write(table, name, source_url="test", cache_dir=tmp_path)
    with emulated_archives():
        found = daxa.search(names=["M87", "Crab"], radius=0.1)
        only = daxa.search(names=["M87"], radius=0.1, missions=["chandra"])
    assert found.select("name", "mission", "obs_id").rows() == [
        ("M87", "xmm_pointed", "0000000000"),
        ("M87", "chandra", "1"),
        ("M87", "chandra", "3"),
        ("Crab", "xmm_pointed", "0000000001"),
        ("Crab", "chandra", "2"),
    ]
    # missions=None uses the cached missions only; a list restricts them
    assert only["mission"].unique().to_list() == ["chandra"]


def test_bad_search_input(tmp_path, tables):
    with pytest.raises(InputError, match="nothing to search for"):
        search(tables=tables)
    with pytest.raises(InputError, match="positions or names, not both"):
        search([1.0, 2.0], names=["M87"], tables=tables)
    with pytest.raises(InputError, match="no mission tables are cached"):
        search([1.0, 2.0], cache_dir=tmp_path)
    with pytest.raises(InputError, match="no positions"):
        search([], tables=tables)
    with pytest.raises(InputError, match="is after end"):
        search([1.0, 2.0], start="2021-01-01", end="2020-01-01", tables=tables)


def test_no_match_gives_an_empty_typed_table(tables):
    found = search([0.0, -89.0], radius=0.01, tables=tables)
    assert found.height == 0
    assert found.schema["pos_index"] == pl.Int64 and found.schema["instruments"] == pl.List(
        pl.String
    )
