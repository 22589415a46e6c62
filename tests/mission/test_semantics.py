"""Where daxa's mission classes differ from DAXA on purpose (RA wrap, radii, history, saves),
on small hand-made tables whose answers are known."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from hypothesis import given, settings
from hypothesis import strategies as st

import daxa.mission as M
from daxa.errors import NoObsAfterFilterError
from daxa.filters import FilterWarning
from daxa.filters._examples import observation_table

from ._truth import in_ra_arc


def swift_table():
    """Three Swift pointings: XRT+BAT on the target, XRT-only 1° away, BAT-only 30° away."""
    return observation_table(
        "swift",
        ra=[150.0, 151.0, 180.0],
        dec=[0.0, 0.0, 0.0],
        exposure_xrt=[1000.0, 2000.0, 0.0],
        exposure_bat=[900.0, 0.0, 800.0],
        exposure_uvot=[0.0, 0.0, 0.0],
    )


def test_rect_region_across_ra_zero_keeps_the_strip_not_its_complement() -> None:
    table = observation_table("xmm_pointed", ra=[355.0, 5.0, 180.0, 20.0], dec=[0, 0, 0, 0])
    m = M.XMMPointed(table=table)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # unambiguous corners: no warning
        m.filter_on_rect_region([350, -5], [10, 5])
    assert list(m.filtered_obs_ids) == list(table["obs_id"][:2])  # DAXA: RA 180 and 20
    m.reset_filter()
    # DAXA's own XXL-North corners (lower-left RA larger): the 9° strip, with a warning
    table = observation_table("xmm_pointed", ra=[35.0, 200.0], dec=[-4.5, -4.5])
    m = M.XMMPointed(table=table)
    with pytest.warns(FilterWarning, match="ambiguous"):
        m.filter_on_rect_region(SkyCoord(39, -6, unit="deg"), SkyCoord(30, -3, unit="deg"))
    assert list(m.filtered_obs_ids) == [table["obs_id"][0]]


@settings(max_examples=40, deadline=None)
@given(
    ra_low=st.floats(0, 359.9),
    width=st.floats(0.5, 170),
    dec_low=st.floats(-80, 70),
    height=st.floats(0.5, 10),
)
def test_rect_region_matches_brute_force(
    ra_low: float, width: float, dec_low: float, height: float
) -> None:
    rng = np.random.default_rng(int(ra_low * 1000) % 2**32)
    ra = rng.uniform(0, 360, 400)
    dec = rng.uniform(-90, 90, 400)
    m = M.Swift(table=observation_table("swift", ra=ra, dec=dec))
    ra_high = (ra_low + width) % 360
    expected = in_ra_arc(ra, ra_low, ra_high) & (dec >= dec_low) & (dec <= dec_low + height)
    try:
        m.filter_on_rect_region([ra_low, dec_low], [ra_high, dec_low + height])
    except NoObsAfterFilterError:
        assert not expected.any()
        return
    np.testing.assert_array_equal(m.filter_array, expected)


def test_default_radius_is_per_observation_not_the_widest_fov() -> None:
    m = M.Swift(table=swift_table())
    frame = m.filter_on_positions([150.0, 0.0], return_pos_obs_info=True)
    ids = list(swift_table()["obs_id"])
    # XRT-only row 1° away: outside XRT's 1.2 × 11.8′; BAT-only row 30° away: inside BAT's 60°.
    # DAXA searches every row within 60° and keeps all three.
    assert list(m.filtered_obs_ids) == [ids[0], ids[2]]
    assert frame["ObsIDs"].tolist() == [f"{ids[0]},{ids[2]}"]  # comma-joined, as in DAXA
    m.reset_filter()
    m.chosen_instruments = ["XRT"]
    m.filter_on_positions([150.0, 0.0])
    assert list(m.filtered_obs_ids) == [ids[0]]
    covering = m.selection.associations.select("obs_id", "instruments").rows()
    assert covering == [(ids[0], ["XRT"])]


def test_history_records_what_was_passed_and_survives_an_empty_result() -> None:
    m = M.Swift(table=swift_table())
    m.filter_on_positions([150.0, 0.0], 0.5)  # DAXA records search_distance=None here
    assert m.filtering_operations[0]["arguments"]["search_distance"] == 0.5
    start = datetime(2030, 1, 1)
    with pytest.raises(NoObsAfterFilterError, match="filter_on_time"):
        m.filter_on_time(start, start + timedelta(days=1))
    names = [op["name"] for op in m.filtering_operations]
    assert names == ["filter_on_positions", "filter_on_time"]  # DAXA loses the failed one
    assert [s["name"] for s in m.selection.lineage] == ["usable", "positions", "time"]
    assert m.selection.lineage[-1]["rows_kept"] == 0


def test_filter_array_setter_becomes_an_obsid_filter_that_replays(tmp_path) -> None:
    table = observation_table("suzaku", ra=np.arange(10.0), dec=np.zeros(10))
    m = M.Suzaku(table=table)
    m.filter_on_positions([0.0, 0.0], 3.5)
    wanted = np.array([True] * 8 + [False] * 2)
    m.filter_array = wanted  # more than half kept: stored as the ObsIDs dropped
    assert m.filtering_operations == [
        {
            "name": "filter_on_obs_ids",
            "arguments": {"allowed_obs_ids": list(table["obs_id"][8:]), "invert": True},
        }
    ]
    again = M.Suzaku(save_file_path=m.save(tmp_path), table=table)
    np.testing.assert_array_equal(again.filter_array, wanted)
    m.filter_array = np.ones(10, dtype=bool)
    assert m.filtering_operations == [] and len(m) == 10


def test_filter_array_that_ids_cannot_express_is_refused() -> None:
    table = observation_table("chandra", ra=[1.0, 2.0], dec=[0.0, 0.0], instrument=["ACIS", "HRC"])
    m = M.Chandra(insts="ACIS", table=table)
    assert list(m.filtered_obs_ids) == [table["obs_id"][0]]
    with pytest.raises(Exception, match="not chosen"):
        m.filter_array = np.array([True, True])


def test_a_saved_mission_replays_on_a_newer_table(tmp_path) -> None:
    old = swift_table()
    m = M.Swift(table=old)
    m.filter_on_positions(SkyCoord(150 * u.deg, 0 * u.deg, frame="icrs"), 2 * u.deg)
    path = m.save(tmp_path, "swift.json")
    newer = observation_table(
        "swift",
        ra=[150.0, 151.0, 180.0, 150.5],
        dec=[0.0, 0.0, 0.0, 0.0],
        exposure_xrt=[1000.0, 2000.0, 0.0, 10.0],
        exposure_bat=[900.0, 0.0, 800.0, 0.0],
        exposure_uvot=[0.0, 0.0, 0.0, 0.0],
    )
    again = M.Swift(save_file_path=path, table=newer)
    assert list(again.filtered_obs_ids) == list(newer["obs_id"][[0, 1, 3]])
    assert again.selection.changes().new == [newer["obs_id"][3]]
    restored = again.filtering_operations[0]["arguments"]
    assert isinstance(restored["positions"], SkyCoord)
    assert restored["search_distance"] == 2 * u.deg


def test_calpv_aliases_and_an_unknown_field() -> None:
    from daxa.testing import shared_data_dir

    if shared_data_dir() is None:
        pytest.skip("the real CalPV list is in ../shared/data")
    m = M.eROSITACalPV(fields=["47 Tuc", "Crab II"])
    assert sorted(m.chosen_fields) == ["47_TUC__NGC_104_", "CRAB_2"]  # DAXA: 47_TUC__NGC_04_
    with pytest.raises(Exception, match="unknown eROSITA CalPV field"):
        m.filter_on_fields("ATLANTIS")
    puppis = M.eROSITACalPV()
    with pytest.warns(UserWarning, match="misprinted"):
        puppis.filter_on_obs_ids("700195")  # as printed on the EDR pages for Puppis A
    assert list(puppis.filtered_obs_ids) == ["700199", "700200"]
    assert puppis.filtering_operations[0]["arguments"]["allowed_obs_ids"] == "700195"


def test_assessment_rules() -> None:
    xmm = M.XMMPointed(table=observation_table("xmm_pointed", ra=[1.0], dec=[0.0]))
    info = {
        "PN": {
            "exposures": {
                "S001": {"type": "SCIENCE", "filter": "Medium", "mode": "PrimeFullWindow"},
                "S002": {"type": "SCIENCE", "filter": "CalClosed", "mode": "PrimeFullWindow"},
                "S003": {"type": "CAL", "filter": "Thin1", "mode": "PrimeFullWindow"},
                "U004": {"type": "SCIENCE", "filter": "Thin1", "mode": "FlatFieldLow"},
            }
        },
        "R1": {"exposures": {"S004": {"type": "SCIENCE", "filter": None, "mode": "Spectro"}}},
        "M1": {},
    }
    assert xmm.assess_process_obs(info) == {
        "PN": {"S001": True, "S002": False, "S003": False, "U004": False},
        "R1": {"S004": True},
        "M1": {},
    }
    assert xmm.ident_to_obsid("0201903501M1S001") == "0201903501"
    chandra = M.Chandra(table=observation_table("chandra", ra=[1.0], dec=[0.0]))
    verdict = chandra.assess_process_obs(
        {
            "ACIS": {"active": True, "alt_exp_mode": False, "sub_exp": False, "sub_ids": 0,
                     "sub_exp_ids": ["E1"]},
            "HRC": {"active": False, "alt_exp_mode": False, "sub_exp": False,
                    "sub_exp_ids": ["E1", "E2"]},
        }
    )  # fmt: skip
    assert verdict == {"ACIS": {"E1": True}, "HRC": {"E1": False, "E2": False}}
    assert chandra.ident_to_obsid("ACIS1234E001") == "1234"
    rosat = M.ROSATPointed(table=observation_table("rosat_pointed", ra=[1.0], dec=[0.0]))
    assert rosat.ident_to_obsid("rh701867a01HRI") == "RH701867A01"
    nustar = M.NuSTARPointed(table=observation_table("nustar_pointed", ra=[1.0], dec=[0.0]))
    assert nustar.assess_process_obs({"FPMA": {"active": True}, "FPMB": {"active": False}}) == {
        "FPMA": True,
        "FPMB": False,
    }
    with pytest.raises(Exception, match="holds no"):
        nustar.ident_to_obsid("abc")
    when = datetime(2020, 1, 1, tzinfo=UTC)
    assert nustar.filtered_obs_info["start"].iloc[0] == when.replace(tzinfo=None)
