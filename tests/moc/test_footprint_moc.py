"""Footprint MOCs against the footprint rule of the positions filter: every position it calls
covered lies in the MOC, positions a cell beyond every circumscribed circle do not, and the
MOC is no larger than the circle MOC."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mocpy import MOC

from daxa.errors import InputError
from daxa.filters._examples import observation_table
from daxa.filters.positions import Positions
from daxa.footprints.shapes import footprint
from daxa.missions import get_mission
from daxa.moc import coverage_moc
from daxa.sky.geometry import angular_separation
from daxa.testing import shared_data_dir
from daxa.testing.tables import generate_table

DEPTH = 9
CELL_DEG = 2.0 * MOC.order_to_spatial_resolution(DEPTH).to_value(u.deg)
CHANDRA = get_mission("chandra").normalise(generate_table("chanmaster")).head(120)


def _chandra(rng: np.random.Generator) -> pl.DataFrame:
    """The generated Chandra rows with random rolls, some unknown, and some unknown detectors."""
    n = CHANDRA.height
    roll = np.where(rng.random(n) < 0.2, np.nan, rng.uniform(0.0, 360.0, n))
    lost = rng.random(n) < 0.1
    return CHANDRA.with_columns(
        roll_angle=pl.Series(roll).fill_nan(None),
        detector=pl.when(pl.Series(lost)).then(None).otherwise(pl.col("detector")),
    )


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_footprint_moc_holds_every_covered_position(seed: int):
    rng = np.random.default_rng(seed)
    table = _chandra(rng)
    pick = rng.integers(0, table.height, 2000)
    spread = np.where(np.arange(pick.size) % 2 == 0, 0.2, 1.5)  # near the fields and beyond
    ra = (table["ra"].to_numpy()[pick] + rng.normal(0.0, spread)) % 360.0
    dec = np.clip(table["dec"].to_numpy()[pick] + rng.normal(0.0, spread), -89.9, 89.9)

    moc = coverage_moc("chandra", table=table, coverage="footprint", max_depth=DEPTH)
    circles = coverage_moc("chandra", table=table, max_depth=DEPTH)
    inside = moc.contains_lonlat(ra * u.deg, dec * u.deg)

    pairs = Positions(pl.DataFrame({"ra": ra, "dec": dec}), coverage="footprint").associate(
        table, mission="chandra"
    )
    covered = np.unique(pairs.filter(pl.col("covered") == "yes")["pos_index"].to_numpy())
    assert covered.size > 0
    assert inside[covered].all()

    # beyond every row's circumscribed circle (the widest Chandra detector), by a cell
    detectors = ("ACIS-I", "ACIS-S", "HRC-I", "HRC-S")
    widest = max(footprint("chandra", d).outer_arcmin for d in detectors) / 60.0
    sep = angular_separation(
        ra[:, None], dec[:, None], table["ra"].to_numpy()[None, :], table["dec"].to_numpy()[None, :]
    )
    far = sep.min(axis=1) > widest + CELL_DEG
    assert far.any() and not inside[far].any()
    assert moc.sky_fraction <= circles.sky_fraction
    # Chandra's circumscribed circles (≤ 49.6′) lie inside its 1.2 × FoV circles (≥ 33.4′
    # ACIS, 59.4′ HRC, each wider than its detectors), so every footprint cell is a circle cell
    assert moc.difference(circles).empty()


def test_footprint_moc_of_a_known_square_roll():
    # Swift XRT: a 23.6′ square; at roll 0 its corner (16.7′ off axis) is in, beyond it is not
    t = observation_table(
        "swift", [0.0], [0.0], exposure_xrt=[1.0], exposure_bat=[0.0], roll_angle=[0.0]
    )
    moc = coverage_moc("swift", ["XRT"], table=t, coverage="footprint", max_depth=12)
    diag = 11.0 / 60.0  # inside the corner; 15.6′ off axis, outside XRT's inscribed circle
    side = 13.0 / 60.0  # beyond the side (11.8′) along an axis, inside the corner's radius
    got = moc.contains_lonlat([diag, 0.0, 360.0 - diag] * u.deg, [diag, side, -diag] * u.deg)
    assert got.tolist() == [True, False, True]


def test_footprint_moc_errors():
    t = observation_table("xmm_pointed", [0.0], [0.0])
    with pytest.raises(InputError, match="coverage='square'"):
        coverage_moc("xmm_pointed", table=t, coverage="square")
    with pytest.raises(InputError, match="radius=0.5"):
        coverage_moc("xmm_pointed", table=t, coverage="footprint", radius=0.5)


def test_erass1_boxes_near_the_pole_hold_their_positions():
    """The real eRASS1 tiles about the south pole: wide boxes and the polar cap (a box all
    round the pole, written as a circle about it), against the footprint rule's in-box test."""
    from daxa.missions.erosita import normalise_erass1_de

    folder = shared_data_dir()
    path = folder / "erosita" / "erass_de_dr1_info.csv" if folder else None
    if path is None or not path.is_file():
        pytest.skip("../shared/data is not present")
    tiles = normalise_erass1_de(pl.read_csv(path, infer_schema=False))
    south = tiles.filter(pl.col("dec_max") < -75.0)
    assert (south["ra_max"] - south["ra_min"]).max() >= 360.0  # the cap is among them
    rng = np.random.default_rng(3)
    ra, dec = rng.uniform(0.0, 360.0, 4000), rng.uniform(-90.0, -74.0, 4000)
    # depth 12 (0.86′ cells): finer than the 1.7′ a polygon through the cap's edge strays
    moc = coverage_moc("erosita_all_sky_de_dr1", table=south, coverage="footprint", max_depth=12)
    pairs = Positions(pl.DataFrame({"ra": ra, "dec": dec}), coverage="footprint").associate(
        south, mission="erosita_all_sky_de_dr1"
    )
    covered = np.unique(pairs.filter(pl.col("covered") == "yes")["pos_index"].to_numpy())
    assert covered.size > 1000
    assert moc.contains_lonlat(ra[covered] * u.deg, dec[covered] * u.deg).all()
    far = dec > south["dec_max"].max() + CELL_DEG  # north of every tile, by a cell
    assert far.any() and not moc.contains_lonlat(ra[far] * u.deg, dec[far] * u.deg).any()
    # the cap alone (its neighbours' edges no longer help): just inside its rim, all round
    cap = south.filter(pl.col("dec_min") <= -90.0)
    rim_ra, rim_dec = np.arange(0.0, 360.0, 360.0 / 64), np.full(64, cap["dec_max"].item() - 0.005)
    assert (
        Positions(pl.DataFrame({"ra": rim_ra, "dec": rim_dec}), coverage="footprint")
        .associate(cap, mission="erosita_all_sky_de_dr1")["covered"]
        .to_list()
        == ["yes"] * 64
    )
    cap_moc = coverage_moc("erosita_all_sky_de_dr1", table=cap, coverage="footprint", max_depth=12)
    assert cap_moc.contains_lonlat(rim_ra * u.deg, rim_dec * u.deg).all()
