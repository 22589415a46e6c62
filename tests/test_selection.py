"""Selection: lineage, counts, explain, locking, save/load with every parameter type, replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import astropy.units as u
import numpy as np
import pandas as pd
import polars as pl
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import Table
from astropy.time import Time

import daxa
from daxa import cache
from daxa.errors import InputError, SelectionError
from daxa.filters import TimeWindow, Usable
from daxa.filters._examples import observation_table
from daxa.selection import FORMAT_VERSION, Selection
from daxa.testing import shared_data_dir
from tests._swift_rows import swift_table


@pytest.fixture(scope="module")
def calpv() -> pl.DataFrame:
    folder = shared_data_dir()
    path = folder / "erosita" / "erosita_calpv_info.csv" if folder else None
    if path is None or not path.is_file():
        pytest.skip("../shared/data/erosita is not present")
    from daxa.missions.erosita import normalise_calpv

    return normalise_calpv(pl.read_csv(path, infer_schema=False))


@pytest.fixture
def swift() -> pl.DataFrame:
    return swift_table()


def test_real_calpv_selection_lineage(calpv):
    sel = (
        daxa.Selection("erosita_calpv", calpv)
        .filter_on_fields("SURVEY")
        .filter_on_positions([129.55, 1.50])
        .filter_on_time("2019-11-03T02:42:50.227", "2019-11-04T03:36:37.671")
    )
    assert sel.obs_ids == ["300007"]
    assert [(s["name"], s["rows_kept"], s["rows_removed"]) for s in sel.lineage] == [
        ("fields", 5, 165),
        ("positions", 2, 3),
        ("time", 1, 1),
    ]
    counts = sel.counts()
    assert counts["rows_passing"].to_list() == [
        170,
        5,
        2,
        calpv.filter(
            TimeWindow("2019-11-03T02:42:50.227", "2019-11-04T03:36:37.671").mask(
                calpv, mission="erosita_calpv"
            )
        ).height,
    ]
    why = sel.explain("300008")
    assert why.found and not why.kept and len(why.removed_by) == 1 and "time" in why.removed_by[0]
    crab = calpv.filter(field_name="CRAB_1")["obs_id"][0]  # wrong field, far away, other time
    why = sel.explain(crab)
    assert [r.split()[2] for r in why.removed_by] == ["fields", "positions", "time"]
    assert str(sel.explain("300007")) == "300007 is selected"
    assert not sel.explain("999999").found
    sky = sel.skycoord
    assert sky.frame.name == "fk5" and sky.ra.deg.tolist() == [129.55]
    assert sel.associations.select("pos_index", "obs_id", "step").rows() == [(0, "300007", 2)]
    assert len(sel) == 1 and sel.table.height == 1 and sel.mask.sum() == 1


def test_order_of_steps_does_not_change_the_result(swift):
    a = Selection("swift", swift).filter_on_usable().filter_on_positions([10.0, 0.0], radius=1.0)
    b = Selection("swift", swift).filter_on_positions([10.0, 0.0], radius=1.0).filter_on_usable()
    assert a.obs_ids == b.obs_ids == ["00000000000", "00000000001"]


def test_where_returns_new_selections_and_lock_refuses_changes(swift):
    base = Selection("swift", swift)
    narrowed = base.where(Usable())
    assert len(base) == 6 and len(narrowed) == 5 and base.lineage == []
    locked = narrowed.lock()
    assert locked.locked and not narrowed.locked
    for change in (
        lambda s: s.where(Usable()),
        lambda s: s.filter_on_positions([1.0, 1.0]),
        lambda s: s.filter_on_name("M87"),
        lambda s: s.with_instruments(["XRT"]),
    ):
        with pytest.raises(SelectionError, match="locked"):
            change(locked)
    with pytest.raises(InputError, match="not a daxa filter"):
        base.where("usable")  # type: ignore[arg-type]


def test_instruments_change_the_default_radius(swift):
    near = [[10.0, 0.2], [120.0, -30.2]]
    both = Selection("swift", swift).filter_on_positions(near)
    xrt = both.with_instruments("xrt")
    # BAT's 60 deg reaches every row where BAT observed (0, 1, 2, 5); row 3 is XRT-only and
    # 0.2 deg away, inside XRT's 0.236 deg; row 4 observed with nothing
    assert both.obs_ids == [
        "00000000000",
        "00000000001",
        "00000000002",
        "00000000003",
        "00000000005",
    ]
    assert xrt.obs_ids == ["00000000000", "00000000003"] and xrt.instruments == ("XRT",)
    assert xrt.associations["instruments"].to_list() == [["XRT"], ["XRT"]]


def test_one_instrument_missions_record_the_choice_as_a_step():
    table = observation_table(
        "chandra", [1.0, 2.0, 3.0], [0.0] * 3, instrument=["ACIS", "HRC", "ACIS"]
    )
    sel = Selection("chandra", table, instruments=["HRC"])
    assert sel.obs_ids == ["2"] and sel.lineage[0]["name"] == "instruments"
    assert sel.with_instruments(["ACIS"]).obs_ids == ["1", "3"]
    assert len(sel.with_instruments(["ACIS"]).lineage) == 1


def test_table_of_another_mission_is_refused(swift):
    with pytest.raises(SelectionError, match="'swift'"):
        Selection("xmm_pointed", swift)


def every_parameter_type_selection(swift: pl.DataFrame) -> Selection:
    when = np.array(["2015-01-01T00:00", "2015-01-11T00:00"], dtype="datetime64[s]")
    return (
        Selection("swift", swift)
        .filter_on_positions(
            SkyCoord(l=[96.34], b=[-62.31], unit="deg", frame="galactic"), 3 * u.deg
        )
        .filter_on_positions(pd.DataFrame({"ra": [10.0, 50.0], "dec": [0.0, 20.0]}), [1.0, 2.0])
        .filter_on_positions(Table({"ra": [10.0] * u.deg, "dec": [0.0] * u.deg}), {"BAT": 2.0})
        .filter_on_positions(pl.DataFrame({"ra": [10.0], "dec": [0.0]}), np.array([120.0]))
        .filter_on_time(Time("2014-12-31T00:00:00"), datetime(2015, 6, 1, tzinfo=UTC))
        .filter_on_time(np.datetime64("2014-01-01"), "2016-01-01T00:00:00Z", over_run=False)
        .filter_on_positions_at_time(
            [[10.0, 0.0], [10.05, 0.0]], when, when + np.timedelta64(1, "D")
        )
        .filter_on_obs_ids(["00000000000", "00000000001", "00000000002"])
        .filter_on_target_type(["MISC"])
        .filter_on_usable()
        .filter_on_public()
    )


def test_save_and_load_round_trip_every_parameter_type(tmp_path, swift):
    swift = swift.with_columns(target_category=pl.lit("MISC"))
    sel = every_parameter_type_selection(swift)
    path = sel.save(tmp_path / "sel.json")
    data = json.loads(path.read_text())
    assert data["format_version"] == FORMAT_VERSION and data["mission"] == "swift"
    assert data["snapshot"] == {"rows": 6, "fetched_at": None, "source_url": None}
    back = Selection.load(path, swift)
    assert back.filters == sel.filters
    assert back.obs_ids == sel.obs_ids and back.lineage == sel.lineage
    assert back.changes().unchanged
    sky = back.filters[0].positions
    assert isinstance(sky, SkyCoord) and sky.frame.name == "galactic"
    assert isinstance(back.filters[1].positions, pd.DataFrame)
    assert isinstance(back.filters[4].start, Time)


def test_replay_reports_new_removed_and_changed(tmp_path, swift):
    sel = Selection("swift", swift).filter_on_positions([10.0, 0.0], radius=11.0).filter_on_usable()
    assert sel.obs_ids == ["00000000000", "00000000001", "00000000005"]
    sel.save(tmp_path / "s.json")
    refreshed = pl.concat(
        [
            swift.filter(pl.col("obs_id") != "00000000005"),
            observation_table(
                "swift",
                [10.5],
                [0.5],
                obs_id=["00000000099"],
                exposure_xrt=[1.0],
                exposure_bat=[1.0],
                exposure_uvot=[0.0],
            ),
        ]
    ).with_columns(
        science_usable=pl.when(pl.col("obs_id") == "00000000001")
        .then(False)
        .otherwise("science_usable"),
        exposure=pl.when(pl.col("obs_id") == "00000000000").then(10.0).otherwise("exposure"),
    )
    new, report = sel.replay(refreshed)
    assert new.obs_ids == ["00000000000", "00000000099"]
    assert report.new == ["00000000099"]
    assert sorted(report.removed) == ["00000000001", "00000000005"]
    assert report.changed.rows() == [("00000000000", "exposure", "3600.0", "10.0")]
    # 00000000001 left because it became unusable: it is removed, not "changed"
    loaded = Selection.load(tmp_path / "s.json", refreshed)
    assert loaded.changes().new == report.new and loaded.changes().removed == report.removed
    assert str(report).startswith("1 new, 2 removed, 1 changed")


def test_usability_changes_of_kept_observations_are_reported(swift):
    sel = Selection("swift", swift).filter_on_obs_ids(["00000000004", "00000000003"])
    flipped = swift.with_columns(
        science_usable=pl.lit(True), public=pl.col("obs_id") != "00000000003"
    )
    _, report = sel.replay(flipped)
    assert report.usability_changed == ["00000000003", "00000000004"]
    assert set(report.changed["column"]) == {"science_usable", "public"}


def test_selection_from_the_cache_records_the_snapshot(tmp_path, swift):
    fetched = datetime(2025, 2, 3, 12, 0, tzinfo=UTC)
    cache.write(
        swift,
        "swift",
        source_url="https://user:secret@mirror.example/tap?x=1",
        fetched_at=fetched,
        cache_dir=tmp_path,
    )
    sel = Selection("swift", cache_dir=tmp_path).filter_on_usable()
    assert sel.snapshot.rows == 6 and sel.snapshot.fetched_at == fetched.isoformat()
    text = sel.save(tmp_path / "sel.json").read_text()
    assert "secret" not in text and "user" not in text
    assert json.loads(text)["snapshot"]["source_url"] == "https://mirror.example/tap"
    again = Selection.load(tmp_path / "sel.json", cache_dir=tmp_path)
    assert again.obs_ids == sel.obs_ids


def test_bad_saved_files(tmp_path, swift):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(SelectionError, match="cannot read"):
        Selection.load(path, swift)
    path.write_text(
        json.dumps({"format_version": FORMAT_VERSION + 1, "mission": "swift", "steps": []})
    )
    with pytest.raises(SelectionError, match="format_version"):
        Selection.load(path, swift)
    path.write_text(
        json.dumps(
            {"format_version": 1, "mission": "swift", "steps": [{"name": "magic", "params": {}}]}
        )
    )
    with pytest.raises(SelectionError, match="'magic'"):
        Selection.load(path, swift)


def test_locked_state_is_saved(tmp_path, swift):
    sel = Selection("swift", swift).filter_on_usable().lock()
    back = Selection.load(sel.save(tmp_path / "l.json"), swift)
    assert back.locked
    with pytest.raises(SelectionError):
        back.filter_on_public()


def test_replay_on_a_refreshed_cache_through_the_emulator(tmp_path):
    from daxa.testing import emulated_archives

    with emulated_archives():
        sel = Selection("erosita_calpv", cache_dir=tmp_path).filter_on_fields("SURVEY")
        first = cache.info("erosita_calpv", tmp_path).fetched_at
        new, report = sel.replay(cache_dir=tmp_path, refresh=True)
    assert cache.info("erosita_calpv", tmp_path).fetched_at > first
    assert new.snapshot.fetched_at != sel.snapshot.fetched_at
    assert report.unchanged and new.obs_ids == sel.obs_ids and len(sel) >= 1
