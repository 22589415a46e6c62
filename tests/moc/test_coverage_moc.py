"""Coverage MOCs against the positions engine: every matched point is in the MOC, points
more than a cell away from every field are not."""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mocpy import MOC

from daxa.errors import InputError
from daxa.filters._examples import observation_table
from daxa.missions.coverage import default_row_radius
from daxa.moc import coverage_moc, write_moc
from daxa.search import search
from daxa.sky.geometry import angular_separation

DEPTH = 9  # cells of about 6.9 arcmin
#: The largest distance from a cell's centre to its corner at DEPTH, with margin.
CELL_DEG = 2.0 * MOC.order_to_spatial_resolution(DEPTH).to_value(u.deg)


def _sky(rng: np.random.Generator, n: int, centre: tuple[float, float], size: float):
    ra = (centre[0] + rng.uniform(-size, size, n)) % 360.0
    dec = np.clip(centre[1] + rng.uniform(-size, size, n), -89.9, 89.9)
    return ra, dec


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    centre=st.tuples(st.floats(0, 360), st.floats(-85, 85)),
    mission=st.sampled_from(["xmm_pointed", "nustar_pointed", "swift"]),
)
def test_moc_agrees_with_the_positions_filter(seed: int, centre: tuple[float, float], mission: str):
    rng = np.random.default_rng(seed)
    o_ra, o_dec = _sky(rng, 40, centre, 3.0)
    extra = {}
    if mission == "swift":  # XRT in some rows only: the others cover nothing with XRT chosen
        extra = {"exposure_xrt": rng.choice([0.0, 500.0], 40), "exposure_bat": np.zeros(40)}
    table = observation_table(mission, o_ra, o_dec, **extra)
    instruments = ["XRT"] if mission == "swift" else None
    p_ra, p_dec = _sky(rng, 3000, centre, 4.0)
    points = pl.DataFrame({"ra": p_ra, "dec": p_dec})

    moc = coverage_moc(mission, instruments, table=table, max_depth=DEPTH)
    inside = moc.contains_lonlat(p_ra * u.deg, p_dec * u.deg)

    found = search(
        positions=points,
        missions=[mission],
        tables={mission: table},
        instruments={mission: instruments} if instruments else None,
    )
    matched = np.unique(found["pos_index"].to_numpy())
    assert inside[matched].all()  # every match of the positions engine lies in the MOC

    # distance outside the nearest circle, computed here independently
    radii = default_row_radius(table, mission, instruments)
    ok = np.isfinite(radii)
    sep = angular_separation(p_ra[:, None], p_dec[:, None], o_ra[None, ok], o_dec[None, ok])
    outside_by = (sep - radii[None, ok]).min(axis=1, initial=np.inf)
    far = outside_by > CELL_DEG
    assert not inside[far].any()
    assert matched.size > 0 and far.any()  # both checks have something to check


def test_selection_moc_and_intersection_of_two_missions(tmp_path: Path):
    xmm = observation_table("xmm_pointed", [10.0, 100.0], [0.0, 20.0])
    chandra = observation_table("chandra", [10.2, 250.0], [0.0, -40.0], instrument=["ACIS"] * 2)
    both = coverage_moc("xmm_pointed", table=xmm, max_depth=DEPTH).intersection(
        coverage_moc("chandra", table=chandra, max_depth=DEPTH)
    )
    probe_ra, probe_dec = np.array([10.1, 100.0, 250.0]), np.array([0.0, 20.0, -40.0])
    assert both.contains_lonlat(probe_ra * u.deg, probe_dec * u.deg).tolist() == [
        True,
        False,
        False,
    ]
    from daxa.selection import Selection

    sel = Selection("xmm_pointed", table=xmm).filter_on_rect_region(0.0, 50.0, -10.0, 10.0)
    only_first = coverage_moc(selection=sel, max_depth=DEPTH)
    assert only_first.contains_lonlat(probe_ra * u.deg, probe_dec * u.deg).tolist() == [
        True,
        False,
        False,
    ]
    path = write_moc(only_first, tmp_path / "sel.fits")
    assert MOC.from_fits(path) == only_first


def test_bad_arguments_are_our_errors(tmp_path: Path):
    with pytest.raises(InputError, match="max_depth=40"):
        coverage_moc(
            "xmm_pointed", table=observation_table("xmm_pointed", [1.0], [1.0]), max_depth=40
        )
    with pytest.raises(InputError, match="needs a mission"):
        coverage_moc()
    with pytest.raises(InputError, match=r"\.png"):
        write_moc(MOC.new_empty(3), tmp_path / "x.png")
