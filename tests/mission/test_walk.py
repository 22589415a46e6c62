"""Every name of DAXA's mission API, on every class, against the emulator's tables.

Answers come from DAXA's published facts (instruments, FoVs, frames, column names recorded from
its documentation) and from brute force over the same table (haversine separations, pandas time
comparisons), never from the code under test.
"""

from __future__ import annotations

import re
import warnings
from datetime import timedelta

import astropy.units as u
import numpy as np
import pandas as pd
import polars as pl
import pytest

import daxa.mission as M
from daxa import cache
from daxa.errors import InputError, InstrumentError, NoObsAfterFilterError, SelectionError
from daxa.mission._compat import DAXA_ID_REGEX
from daxa.missions import get_mission, mission_names
from daxa.testing import shared_data_dir

from ._truth import (
    ABSENT_COLUMNS,
    API_NAMES,
    CLASS_NAMES,
    FOV_ARCMIN,
    INSTRUMENTS,
    jname,
    reference_columns,
    separation_deg,
)

MISSIONS = mission_names()


def build(mission: str) -> M.BaseMission:
    return M.MISS_INDEX[mission]()


def test_every_class_is_exported_under_daxa_s_names() -> None:
    assert {m: cls.__name__ for m, cls in M.MISS_INDEX.items()} == CLASS_NAMES
    for name in CLASS_NAMES.values():
        assert getattr(M, name).__name__ == name
    modules = {
        "xmm": "XMMPointed", "erosita": "eRASS1DE", "chandra": "Chandra",
        "nustar": "NuSTARPointed", "rosat": "ROSATAllSky", "swift": "Swift", "suzaku": "Suzaku",
        "asca": "ASCA", "integral": "INTEGRALPointed", "xrism": "XRISMPointed",
        "base": "BaseMission",
    }  # fmt: skip
    import importlib

    for module, cls in modules.items():
        assert hasattr(importlib.import_module(f"daxa.mission.{module}"), cls)
    with pytest.raises(TypeError, match="abstract"):
        M.BaseMission()


@pytest.mark.parametrize("mission", MISSIONS)
def test_every_api_name_exists(mission: str) -> None:
    cls = M.MISS_INDEX[mission]
    missing = [n for n in API_NAMES if not hasattr(cls, n)]
    assert missing == []


@pytest.mark.parametrize("mission", MISSIONS)
def test_identity_properties(mission: str) -> None:
    m = build(mission)
    spec = get_mission(mission)
    assert m.name == mission
    assert m.pretty_name == spec.pretty_name
    assert m.coord_frame.name == ("icrs" if mission == "chandra" else "fk5")
    # DAXA's spelling of the pattern (ROSAT lists its lower-case prefixes; daxa uses a flag)
    assert m.id_regex == DAXA_ID_REGEX.get(mission, spec.obs_id_regex)
    assert re.fullmatch(m.id_regex, m.obs_ids[0])
    every, defaults = INSTRUMENTS[mission]
    assert m.all_mission_instruments == every
    assert m.chosen_instruments == defaults
    assert m.one_inst_per_obs is (mission in ("chandra", "rosat_pointed"))
    expected = FOV_ARCMIN[mission]
    if isinstance(expected, dict):
        assert set(m.fov) == set(expected)
        for inst, arcmin in expected.items():
            assert m.fov[inst].to_value(u.arcmin) == pytest.approx(arcmin)
    else:
        assert m.fov.to_value(u.arcmin) == pytest.approx(expected)
    assert len(m) == int(m.science_usable.sum())
    assert repr(m).startswith(f"<{CLASS_NAMES[mission]} {mission}: {len(m)} of ")


@pytest.mark.parametrize("mission", MISSIONS)
def test_tables_have_daxa_s_columns_and_the_cached_values(mission: str) -> None:
    m = build(mission)
    # DAXA keeps the archive's row order; the cache is HEALPix-sorted and records it
    table = cache.read(mission).sort("_archive_row")
    info = m.all_obs_info
    assert isinstance(info, pd.DataFrame)
    assert len(info) == table.height
    columns = reference_columns(shared_data_dir(), mission)
    if columns is not None:
        absent = ABSENT_COLUMNS.get(mission, set())
        assert list(info.columns) == [c for c in columns if c not in absent]
    assert info["ObsID"].tolist() == table["obs_id"].to_list()
    np.testing.assert_array_equal(info["ra"].to_numpy(), table["ra"].to_numpy())
    np.testing.assert_array_equal(m.science_usable, table["science_usable"].to_numpy())
    np.testing.assert_array_equal(m.obs_ids, table["obs_id"].to_numpy())
    # DAXA's conventions: naive UTC times, timedelta durations (float seconds for CalPV)
    first = table.row(0, named=True)
    assert info["start"].iloc[0] == pd.Timestamp(first["start"]).tz_localize(None)
    assert info["start"].dt.tz is None
    seconds = first["duration"].total_seconds()
    if mission == "erosita_calpv":
        assert info["duration"].iloc[0] == pytest.approx(seconds)
    else:
        assert info["duration"].iloc[0].total_seconds() == pytest.approx(seconds)
    if "proprietary_usable" in info.columns:
        assert info["proprietary_usable"].tolist() == table["public"].to_list()
    # the starting filter is DAXA's: the science-usable observations
    np.testing.assert_array_equal(m.filter_array, info["science_usable"].to_numpy())
    assert m.filtered_obs_info["ObsID"].tolist() == info["ObsID"][info["science_usable"]].tolist()
    assert list(m.filtered_obs_ids) == m.filtered_obs_info["ObsID"].tolist()
    assert len(m.ra_decs) == table.height and len(m.filtered_ra_decs) == len(m)
    assert m.ra_decs.frame.name == m.coord_frame.name
    assert m.filtered_ra_decs.ra.deg == pytest.approx(m.filtered_obs_info["ra"].to_numpy())
    assert all(m.check_obsid_pattern(o) for o in m.obs_ids)
    assert not m.check_obsid_pattern("not-an-obsid")


def observed_by_defaults(mission: str) -> np.ndarray:
    """Rows (archive order) where a default instrument observed: its exposure > 0, or the row's
    one instrument, and (eROSITA) listed among the row's active instruments."""
    table = cache.read(mission).sort("_archive_row")
    spec = get_mission(mission)
    seen = np.zeros(table.height, dtype=bool)
    for name in spec.default_instruments:
        column = spec.instrument(name).exposure_column
        if spec.one_instrument_per_obs:
            did = table["instrument"] == name
        elif column in table.columns:
            did = table[column] > 0
        else:
            did = pl.Series(np.ones(table.height, dtype=bool))
        if "active_insts" in table.columns:
            did = did & table["active_insts"].list.contains(name).fill_null(True)
        seen |= did.fill_null(False).to_numpy()
    return seen


@pytest.mark.parametrize("mission", MISSIONS)
def test_positions_match_brute_force(mission: str) -> None:
    m = build(mission)
    info = m.all_obs_info
    row = info[info["science_usable"]].iloc[len(m) // 2]
    position = [float(row["ra"]), float(row["dec"]) + 0.01]
    radius = 1.5
    sep = separation_deg(position[0], position[1], info["ra"], info["dec"])
    # daxa's rule: a row matches only if one of the chosen instruments observed in it
    expected = info["science_usable"].to_numpy() & (sep <= radius) & observed_by_defaults(mission)
    frame = m.filter_on_positions(position, radius * u.deg, return_pos_obs_info=True)
    np.testing.assert_array_equal(m.filter_array, expected)
    assert list(frame.columns) == ["pos_ind", "pos_ra", "pos_dec", "ObsIDs"]
    assert frame["pos_ind"].tolist() == [0]
    assert frame["pos_ind"].dtype.kind == "i" and frame["pos_ra"].dtype.kind == "f"
    assert frame["pos_ra"].iloc[0] == pytest.approx(position[0])
    assert frame["pos_dec"].iloc[0] == pytest.approx(position[1])
    order = np.argsort(sep[expected], kind="stable")
    found = frame["ObsIDs"].iloc[0].split(",")  # comma-joined, as in DAXA
    assert sorted(found) == sorted(info["ObsID"][expected])
    nearest = np.asarray(sep[expected])[order][0]
    assert np.asarray(sep[info["ObsID"] == found[0]]).min() == pytest.approx(nearest)  # ties: any
    op = m.filtering_operations[-1]
    assert op == {
        "name": "filter_on_positions",
        "arguments": {
            "positions": position,
            "search_distance": radius * u.deg,
            "return_pos_obs_info": True,
        },
    }


@pytest.mark.parametrize("mission", MISSIONS)
def test_time_region_ids_and_name_are_cumulative(mission: str) -> None:
    m = build(mission)
    info = m.all_obs_info
    usable = info["science_usable"].to_numpy()
    row = info[info["science_usable"]].iloc[0]
    # time: any overlap with a two-day window around the row's start (bounds inclusive)
    lo, hi = row["start"] - timedelta(days=1), row["start"] + timedelta(days=1)
    m.filter_on_time(lo.to_pydatetime(), hi.to_pydatetime())
    in_time = ((info["start"] <= hi) & (info["end"] >= lo)).to_numpy()
    np.testing.assert_array_equal(m.filter_array, usable & in_time)
    # region: a 10° box around the row (RA arithmetic wrapped, as the corners are)
    ra, dec = float(row["ra"]), float(row["dec"])
    lower = [(ra - 5) % 360, max(dec - 5, -90)]
    upper = [(ra + 5) % 360, min(dec + 5, 90)]
    m.filter_on_rect_region(lower, upper)
    d_ra = (info["ra"].to_numpy() - ra + 180) % 360 - 180
    in_box = (np.abs(d_ra) <= 5) & (info["dec"] >= lower[1]).to_numpy()
    in_box &= (info["dec"] <= upper[1]).to_numpy()
    np.testing.assert_array_equal(m.filter_array, usable & in_time & in_box)
    kept = list(m.filtered_obs_ids)
    assert row["ObsID"] in kept
    # ObsIDs: keep the row only, then a J-name of the row finds it offline
    m.filter_on_obs_ids([row["ObsID"]])
    assert list(m.filtered_obs_ids) == [row["ObsID"]]
    m.filter_on_name(jname(ra, dec), 0.01, parse_name=True)
    assert list(m.filtered_obs_ids) == [row["ObsID"]]
    assert [op["name"] for op in m.filtering_operations] == [
        "filter_on_time",
        "filter_on_rect_region",
        "filter_on_obs_ids",
        "filter_on_name",
    ]
    assert m.filtering_operations[2]["arguments"] == {
        "allowed_obs_ids": [row["ObsID"]],
        "invert": False,
    }
    # a filter that leaves nothing raises DAXA's error and keeps the step
    with pytest.raises(NoObsAfterFilterError, match="filter_on_obs_ids"):
        m.filter_on_obs_ids(row["ObsID"], invert=True)
    assert not m.filter_array.any()
    assert len(m.filtering_operations) == 5
    m.reset_filter()
    assert m.filtering_operations == []
    np.testing.assert_array_equal(m.filter_array, usable)


@pytest.mark.parametrize("mission", MISSIONS)
def test_positions_at_time_and_target_types(mission: str) -> None:
    m = build(mission)
    info = m.all_obs_info
    usable_rows = info[info["science_usable"]]
    a, b = usable_rows.iloc[0], usable_rows.iloc[len(usable_rows) - 1]
    positions = [[float(a["ra"]), float(a["dec"])], [float(b["ra"]), float(b["dec"])]]
    starts = [a["start"].to_pydatetime(), b["start"].to_pydatetime()]
    ends = [a["end"].to_pydatetime(), b["end"].to_pydatetime()]
    frame = m.filter_on_positions_at_time(positions, starts, ends, 0.05, return_obs_info=True)
    expected = np.zeros(len(info), dtype=bool)
    for (ra, dec), lo, hi in zip(positions, starts, ends, strict=True):
        near = separation_deg(ra, dec, info["ra"], info["dec"]) <= 0.05
        overlap = ((info["start"] <= hi) & (info["end"] >= lo)).to_numpy()
        expected |= near & overlap
    np.testing.assert_array_equal(m.filter_array, expected & info["science_usable"].to_numpy())
    assert a["ObsID"] in frame["ObsIDs"].iloc[0].split(",")
    assert frame["pos_ind"].tolist() == sorted(set(frame["pos_ind"]))
    m.reset_filter()
    if not get_mission(mission).has_target_types:
        with pytest.raises(InputError, match="no target type"):
            m.filter_on_target_type("AGN")
        assert m.filtering_operations == []
        return
    present = info.loc[info["science_usable"], "target_category"].dropna()
    code = present.value_counts().index[0]
    m.filter_on_target_type(code.lower())
    expected = (info["target_category"] == code).to_numpy() & info["science_usable"].to_numpy()
    np.testing.assert_array_equal(m.filter_array, expected)
    with pytest.raises(InputError, match="unknown target type"):
        m.filter_on_target_type("QUASARISH")


@pytest.mark.parametrize("mission", MISSIONS)
def test_instruments_filter_array_lock_and_processed(mission: str) -> None:
    m = build(mission)
    every, defaults = INSTRUMENTS[mission]
    assert m.check_inst_names([i.lower() for i in every]) == every
    assert m.check_inst_names([every[0], "NOPE"], error_on_bad_inst=False) == [every[0]]
    with pytest.raises(InstrumentError, match="NOPE"):
        m.check_inst_names("NOPE")
    m.chosen_instruments = [every[-1]]
    assert m.chosen_instruments == [every[-1]]
    info = m.all_obs_info
    if m.one_inst_per_obs:
        # one instrument per observation: choosing instruments is also a row filter
        expected = info["science_usable"] & (info["instrument"] == every[-1])
        np.testing.assert_array_equal(m.filter_array, expected.to_numpy())
    m.chosen_instruments = defaults
    # setting the filter array replaces the filter with the ObsID filter it amounts to
    wanted = np.zeros(len(info), dtype=bool)
    wanted[[0, 2]] = True
    m.filter_array = wanted
    np.testing.assert_array_equal(m.filter_array, wanted)
    assert m.filtering_operations == [
        {
            "name": "filter_on_obs_ids",
            "arguments": {"allowed_obs_ids": list(info["ObsID"][wanted]), "invert": False},
        }
    ]
    with pytest.raises(InputError, match="booleans"):
        m.filter_array = np.ones(3, dtype=bool)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m.filter_array = np.zeros(len(info), dtype=bool)
    assert len(m) == 0 and "False" in str(caught[0].message)
    m.reset_filter()
    assert not m.locked and not m.processed
    m.processed = True
    assert m.locked and m.processed
    with pytest.raises(SelectionError, match="locked"):
        m.filter_on_obs_ids(list(m.filtered_obs_ids[:1]))
    with pytest.raises(SelectionError, match="locked"):
        m.reset_filter()
    with pytest.raises(SelectionError, match="locked"):
        m.filter_array = np.ones(len(info), dtype=bool)
    with pytest.raises(SelectionError):
        m.locked = False
    with pytest.raises(SelectionError):
        m.processed = False


@pytest.mark.parametrize("mission", MISSIONS)
def test_fields(mission: str) -> None:
    m = build(mission)
    if mission != "erosita_calpv":
        assert m.all_mission_fields == [] and m.all_mission_field_types == []
        assert m.chosen_fields is None
        with pytest.raises(InputError, match="no fields"):
            m.filter_on_fields("SURVEY")
        return
    table = cache.read(mission).sort("_archive_row")
    assert m.all_mission_fields == sorted(table["field_name"].unique().to_list())
    assert m.all_mission_field_types == sorted(table["field_type"].unique().to_list())
    assert sorted(m.chosen_fields) == m.all_mission_fields  # DAXA's order is a set's
    m.chosen_fields = "Crab"
    assert sorted(m.chosen_fields) == ["CRAB_1", "CRAB_2", "CRAB_3", "CRAB_4"]
    crab = table["field_name"].is_in(["CRAB_1", "CRAB_2", "CRAB_3", "CRAB_4"])
    np.testing.assert_array_equal(m.filter_array, (crab & table["science_usable"]).to_numpy())
    survey = M.eROSITACalPV(fields=["survey"])
    expected = (table["field_type"] == "SURVEY") & table["science_usable"]
    np.testing.assert_array_equal(survey.filter_array, expected.to_numpy())
    assert survey.filtering_operations == [
        {"name": "filter_on_fields", "arguments": {"fields": ["survey"]}}
    ]


@pytest.mark.parametrize("mission", MISSIONS)
def test_save_and_restore(mission: str, tmp_path) -> None:
    m = build(mission)
    info = m.all_obs_info
    row = info[info["science_usable"]].iloc[0]
    m.filter_on_positions([float(row["ra"]), float(row["dec"])], 2.0)
    m.filter_on_time(row["start"] - timedelta(days=400), row["end"] + timedelta(days=400))
    path = m.save(tmp_path)
    assert path == tmp_path / f"{mission}_state.json"
    cls = M.MISS_INDEX[mission]
    again = cls(save_file_path=path)
    assert list(again.filtered_obs_ids) == list(m.filtered_obs_ids)
    assert again.chosen_instruments == m.chosen_instruments
    assert again.filtering_operations == m.filtering_operations
    assert again.selection.lineage == m.selection.lineage
    assert again.selection.changes().unchanged
    named = m.save(tmp_path, "other.json")
    assert named.name == "other.json"
    with pytest.raises(InputError, match=r"\.json"):
        m.save(tmp_path, "state.txt")
    other = next(c for n, c in M.MISS_INDEX.items() if n != mission)
    with pytest.raises(SelectionError, match=mission):
        other(save_file_path=path)


@pytest.mark.parametrize("mission", MISSIONS)
def test_info_target_types_assessment_and_ids(mission: str, capsys) -> None:
    m = build(mission)
    m.info()
    out = capsys.readouterr().out
    assert f"Number of Observations - {len(m.all_obs_info)}" in out
    assert f"Number of Filtered Observations - {len(m)}" in out
    total = cache.read(mission)["duration"].sum()
    assert f"Total Duration - {total}" in out
    M.BaseMission.show_allowed_target_types()
    table = capsys.readouterr().out
    assert "AGN" in table and "Galaxy clusters" in table
    obs_id = str(m.obs_ids[0])
    assert m.ident_to_obsid(obs_id + "XYZS001") == obs_id
    verdict = m.assess_process_obs({"A": {"active": False, "filter": "CLOSED"}})
    assert set(verdict) == {"A"}


@pytest.mark.parametrize("mission", MISSIONS)
def test_download_state_before_any_download(mission: str, tmp_path) -> None:
    m = build(mission)
    m.top_level_path = tmp_path
    assert m.top_level_path == str(tmp_path) + "/"
    assert m.raw_data_path == f"{tmp_path}/{mission}/"
    assert m.download_completed is False
    with pytest.raises(Exception, match="not all downloaded"):
        _ = m.downloaded_type
    with pytest.raises(InputError, match="does not exist"):
        m.top_level_path = tmp_path / "absent"
    assert m.delete_raw_data(force_del=True) == []


def test_multi_mission_filter_on_positions() -> None:
    swift = cache.read("swift")
    row = swift.filter(pl.col("science_usable")).row(0, named=True)
    position = [row["ra"], row["dec"]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = M.multi_mission_filter_on_positions(
            position,
            {"swift": 0.1, "chandra": 0.1},
            missions=["swift", "chandra", "suzaku"],
            insts={"swift": ["XRT"]},
        )
    names = [f.name for f in found]
    assert "swift" in names
    swift_m = found[names.index("swift")]
    assert swift_m.chosen_instruments == ["XRT"]
    assert row["obs_id"] in swift_m.filtered_obs_ids
    for mission in ("swift", "chandra", "suzaku"):
        table = cache.read(mission).filter(pl.col("science_usable"))
        sep = separation_deg(position[0], position[1], table["ra"], table["dec"])
        radius = 0.1 if mission != "suzaku" else 1.2 * 9.5 / 60
        hits = set(table["obs_id"].filter(pl.Series(sep <= radius)))
        if hits:
            assert set(found[names.index(mission)].filtered_obs_ids) == hits
        else:
            assert mission not in names
            assert any(mission in str(w.message) for w in caught)
    with pytest.raises(InputError, match="unknown mission"):
        M.multi_mission_filter_on_positions(position, missions=["hubble"])
    with pytest.raises(InputError, match="not searched"):
        M.multi_mission_filter_on_positions(position, missions=["swift"], insts={"asca": "SIS0"})
