"""The SQL positions join returns exactly the pairs of a brute-force search and of the
Python engine, across RA = 0 and near the poles, for every radius form."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from daxa import cache
from daxa.errors import InputError
from daxa.sql import connect

from ._sql_brute import brute_pairs
from ._tables import SMALL_MISSIONS, make_table, random_sky

MISSIONS = list(SMALL_MISSIONS)


def _positions(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return random_sky(n, np.random.default_rng(seed))


def _same(got: pl.DataFrame, expected: pl.DataFrame) -> None:
    keys = ["pos_index", "mission", "obs_id"]
    assert got.select(keys).equals(expected.select(keys))
    np.testing.assert_allclose(got["separation_deg"], expected["separation_deg"], rtol=0, atol=1e-9)
    assert got["instruments"].to_list() == expected["instruments"].to_list()


def test_default_radius_pairs_equal_brute_force(small_cache: Path) -> None:
    ra, dec = _positions(60, 1)
    # Swift's BAT (60°) would pair every position with most of Swift: choose XRT there
    instruments = {"swift": ["XRT"]}
    with connect(small_cache) as db:
        got = db.match_positions((ra, dec), instruments=instruments)
    expected = brute_pairs(small_cache, MISSIONS, ra, dec, instruments=instruments)
    assert got.height > 50  # the test means something
    assert set(got["mission"]) >= {"chandra", "integral_pointed"}
    _same(got, expected)


def test_default_radius_with_wide_field_instruments(small_cache: Path) -> None:
    """BAT's 60° radius is beyond any HEALPix order: those rows meet every position."""
    ra, dec = _positions(12, 2)
    with connect(small_cache) as db:
        got = db.match_positions((ra, dec), missions=["swift", "asca"])
    expected = brute_pairs(small_cache, ["swift", "asca"], ra, dec)
    assert (got["instruments"].list.contains("BAT")).sum() > 100
    _same(got, expected)


@pytest.mark.parametrize("radius", [0.5, 3.0, 12.0])
def test_scalar_radius_pairs_equal_brute_force(small_cache: Path, radius: float) -> None:
    ra, dec = _positions(40, 3)
    with connect(small_cache) as db:
        got = db.match_positions(np.column_stack([ra, dec]), radius=radius)
    expected = brute_pairs(small_cache, MISSIONS, ra, dec, radius=radius)
    assert got.height > 0
    _same(got, expected)


def test_instrument_mapping_radius(small_cache: Path) -> None:
    ra, dec = _positions(40, 4)
    radius = {"ACIS": 2.0, "HRC": 6.0, "XRT": 4.0, "BAT": 1.0, "ISGRI": 0.5}
    with connect(small_cache) as db:
        got = db.match_positions(
            (ra, dec), radius=radius, missions=["chandra", "swift", "integral_pointed"]
        )
    expected = brute_pairs(
        small_cache, ["chandra", "swift", "integral_pointed"], ra, dec, radius=radius
    )
    assert got.height > 0
    _same(got, expected)


def test_per_position_radii(small_cache: Path) -> None:
    ra, dec = _positions(50, 5)
    radii = np.random.default_rng(5).choice([0.2, 1.0, 5.0, 35.0], ra.size)
    with connect(small_cache) as db:
        got = db.match_positions(pl.DataFrame({"RA": ra, "Dec": dec}), radius=radii)
    expected = brute_pairs(small_cache, MISSIONS, ra, dec, per_position=radii)
    assert got.height > 0
    _same(got, expected)


def test_chosen_instruments_restrict_one_instrument_missions(small_cache: Path) -> None:
    ra, dec = _positions(40, 6)
    with connect(small_cache) as db:
        got = db.match_positions(
            (ra, dec), missions="chandra", radius=8.0, instruments={"chandra": ["HRC-I"]}
        )
    table = cache.read("chandra", small_cache)
    hrc = set(table.filter(pl.col("instrument") == "HRC")["obs_id"])
    assert got.height > 0
    assert set(got["obs_id"]) <= hrc
    assert got["instruments"].to_list() == [["HRC"]] * got.height


def test_pairs_across_ra_zero_and_the_poles(small_cache: Path) -> None:
    ra = np.array([359.99, 0.01, 180.0, 0.0, 45.0])
    dec = np.array([0.5, -0.5, 89.99, -89.99, 89.0])
    with connect(small_cache) as db:
        got = db.match_positions((ra, dec), radius=4.0)
    expected = brute_pairs(small_cache, MISSIONS, ra, dec, radius=4.0)
    # the fixture puts 1/8 of each table within 1.5° of RA 0 and 1/8 near each pole
    assert set(got["pos_index"]) == {0, 1, 2, 3, 4}
    _same(got, expected)


def test_same_pairs_as_the_python_sky_engine(small_cache: Path) -> None:
    pairs = pytest.importorskip("daxa.sky.pairs")
    from daxa.missions import coverage

    ra, dec = _positions(80, 7)
    with connect(small_cache) as db:
        got = db.match_positions((ra, dec), missions=["chandra", "integral_pointed"])
    for mission in ("chandra", "integral_pointed"):
        table = cache.read(mission, small_cache)
        radius = coverage.default_row_radius(table, mission)
        usable = np.flatnonzero(np.isfinite(radius))
        found = pairs.pair_search(
            ra,
            dec,
            table["ra"].to_numpy()[usable],
            table["dec"].to_numpy()[usable],
            radius[usable],
            radius_of="right",
        )
        engine = sorted(
            zip(
                found.left.tolist(),
                table["obs_id"].to_numpy()[usable][found.right].tolist(),
                strict=True,
            )
        )
        mine = got.filter(pl.col("mission") == mission)
        assert (
            sorted(zip(mine["pos_index"].to_list(), mine["obs_id"].to_list(), strict=True))
            == engine
        )
        assert len(engine) > 10


def test_same_pairs_as_the_positions_filter(small_cache: Path) -> None:
    positions_mod = pytest.importorskip("daxa.filters.positions")
    ra, dec = _positions(80, 8)
    with connect(small_cache) as db:
        got = db.match_positions((ra, dec), missions=["chandra", "xmm_pointed", "asca"])
    for mission in ("chandra", "xmm_pointed", "asca"):
        table = cache.read(mission, small_cache)
        assoc = positions_mod.Positions(np.column_stack([ra, dec])).associate(
            table, mission=mission
        )
        mine = got.filter(pl.col("mission") == mission)
        expected = assoc.sort("pos_index", "obs_id")
        assert mine["pos_index"].to_list() == expected["pos_index"].cast(pl.Int64).to_list()
        assert mine["obs_id"].to_list() == expected["obs_id"].to_list()
        assert mine["instruments"].to_list() == expected["instruments"].to_list()


def test_skycoord_positions_in_another_frame(small_cache: Path) -> None:
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    ra, dec = _positions(30, 9)
    galactic = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs").galactic
    with connect(small_cache) as db:
        got = db.match_positions(galactic, radius=5.0)
        plain = db.match_positions((ra, dec), radius=5.0)
    # FK5 and ICRS differ by tens of milliarcseconds: same pairs unless one sits on the edge
    assert got.select("pos_index", "mission", "obs_id").equals(
        plain.select("pos_index", "mission", "obs_id")
    )
    np.testing.assert_allclose(got["separation_deg"], plain["separation_deg"], atol=1e-4)


def test_no_positions_and_no_missions(small_cache: Path) -> None:
    with connect(small_cache) as db:
        assert db.match_positions((np.array([]), np.array([]))).height == 0
        assert db.match_positions(([10.0], [20.0]), missions=["nustar_pointed"]).height == 0


@pytest.mark.parametrize(
    ("positions", "radius", "message"),
    [
        (([10.0, np.nan], [0.0, 1.0]), None, "position 1"),
        (([10.0], [91.0]), None, "position 0"),
        (([10.0, 11.0], [0.0, 1.0]), [1.0], "one radius per position"),
        (([10.0], [0.0]), -1.0, "radius"),
        (pl.DataFrame({"x": [1.0]}), None, "no RA column"),
    ],
)
def test_bad_input_raises_input_error(small_cache: Path, positions, radius, message: str) -> None:  # type: ignore[no-untyped-def]
    with connect(small_cache) as db, pytest.raises(InputError, match=message):
        db.match_positions(positions, radius=radius)


def test_points_exactly_on_the_circle_count(tmp_path: Path) -> None:
    """Inclusive radius with daxa.sky's tolerance: exactly r in, r + 1e-9 degrees out."""
    ra = np.array([10.0, 10.0, 10.0, 359.0, 0.0])
    dec = np.array([11.0, 11.000000001, 9.0, 0.0, 89.0])
    cache.write(
        make_table("xmm_pointed", ra, dec), "xmm_pointed", source_url="t", cache_dir=tmp_path
    )
    with connect(tmp_path) as db:
        got = db.match_positions(([10.0, 0.0, 180.0], [10.0, 0.0, 90.0]), radius=1.0)
        cone = db.query(
            "SELECT obs_id FROM xmm_pointed WHERE in_cone(ra, dec, _healpix_29, 10, 10, 1)"
        )
        plain = db.query("SELECT obs_id FROM xmm_pointed WHERE in_cone(ra, dec, 10, 10, 1)")
    ids = cache.read("xmm_pointed", tmp_path).sort("obs_id")["obs_id"].to_list()
    expected = [(0, ids[0]), (0, ids[2]), (1, ids[3]), (2, ids[4])]
    assert list(zip(got["pos_index"], got["obs_id"], strict=True)) == expected
    assert sorted(cone["obs_id"]) == sorted(plain["obs_id"]) == [ids[0], ids[2]]
    pairs = pytest.importorskip("daxa.sky.pairs")
    found = pairs.pair_search([10.0, 0.0, 180.0], [10.0, 0.0, 90.0], ra, dec, 1.0)
    assert list(zip(found.left.tolist(), found.right.tolist(), strict=True)) == [
        (0, 0),
        (0, 2),
        (1, 3),
        (2, 4),
    ]
