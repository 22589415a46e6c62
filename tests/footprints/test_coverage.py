"""coverage="footprint" on the positions filter; eRASS1 owner tiles on the real tile list."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from daxa.errors import InputError
from daxa.filters._examples import observation_table
from daxa.filters.positions import Positions
from daxa.footprints.assess import owner_tiles
from daxa.footprints.contain import in_box
from daxa.testing import shared_data_dir

ERASS1 = "erosita_all_sky_de_dr1"


def _shared(*parts: str):
    folder = shared_data_dir()
    path = folder.joinpath(*parts) if folder else None
    if path is None or not path.is_file():
        pytest.skip("../shared/data is not present")
    return path


@pytest.fixture(scope="module")
def erass1() -> pl.DataFrame:
    from daxa.missions.erosita import normalise_erass1_de

    path = _shared("erosita", "erass_de_dr1_info.csv")
    return normalise_erass1_de(pl.read_csv(path, infer_schema=False))


@pytest.fixture(scope="module")
def efeds() -> pl.DataFrame:
    return pl.read_csv(_shared("samples", "efeds_xray_cluster_candidates.csv"))


def _box_counts(ra, dec, tiles: pl.DataFrame) -> np.ndarray:
    """Brute force: how many tiles' boxes hold each position (every position × every tile)."""
    cols = [tiles[c].to_numpy()[None, :] for c in ("ra_min", "ra_max", "dec_min", "dec_max")]
    hit = in_box(np.asarray(ra)[:, None], np.asarray(dec)[:, None], *cols)
    return hit.sum(axis=1)


def test_every_real_tile_owns_its_own_centre(erass1):
    owner = owner_tiles(erass1["ra"], erass1["dec"], erass1)
    assert owner.to_list() == erass1["obs_id"].to_list()
    assert _box_counts(erass1["ra"], erass1["dec"], erass1).tolist() == [1] * erass1.height


def test_each_efeds_cluster_has_exactly_one_owner(erass1, efeds):
    assert efeds.height == 542
    counts = _box_counts(efeds["RA"], efeds["DEC"], erass1)
    assert counts.tolist() == [1] * 542
    owner = owner_tiles(efeds["RA"], efeds["DEC"], erass1)
    assert owner.null_count() == 0
    # the owner is the box that holds the cluster, checked against the box columns directly
    boxes = erass1.join(pl.DataFrame({"obs_id": owner}), on="obs_id", how="right")
    assert in_box(
        efeds["RA"].to_numpy(),
        efeds["DEC"].to_numpy(),
        *(boxes[c].to_numpy() for c in ("ra_min", "ra_max", "dec_min", "dec_max")),
    ).all()


def test_footprint_association_keeps_only_the_owner(erass1, efeds):
    circle = Positions(efeds.select("RA", "DEC")).associate(erass1, mission=ERASS1)
    foot = Positions(efeds.select("RA", "DEC"), coverage="footprint").associate(
        erass1, mission=ERASS1
    )
    assert foot["pos_index"].to_list() == list(range(542))
    assert (foot["owner_tile"] == foot["obs_id"]).all()
    assert foot["owner_tile"].to_list() == owner_tiles(efeds["RA"], efeds["DEC"], erass1).to_list()
    assert set(foot["covered"]) == {"yes"}
    assert circle.height > foot.height  # circles put clusters in several tiles
    pairs = set(zip(circle["pos_index"], circle["obs_id"], strict=True))
    assert set(zip(foot["pos_index"], foot["obs_id"], strict=True)) <= pairs


def _swift(roll):
    return observation_table(
        "swift",
        ra=[0.0],
        dec=[0.0],
        exposure_xrt=[1000.0],
        exposure_bat=[0.0],
        exposure_uvot=[0.0],
        roll_angle=[roll],
    )


def test_swift_xrt_square_turned_by_roll():
    """XRT 23.6′ square at (0, 0): a position 11′ north and 11′ east (15.6′ off axis) is
    inside at roll 0 and outside at roll 45 (the diagonal then points north)."""
    pos = [[11 / 60, 11 / 60]]
    at0 = Positions(pos, coverage="footprint").associate(_swift(0.0), mission="swift")
    at45 = Positions(pos, coverage="footprint").associate(_swift(45.0), mission="swift")
    assert at0["covered"].to_list() == ["yes"]
    assert at0["footprint_instrument"].to_list() == ["XRT"]
    assert at0["offaxis_arcmin"][0] == pytest.approx(15.556, abs=1e-3)
    assert at0["instruments"].to_list() == [["XRT"]]
    assert at45.height == 0
    unknown = Positions(pos, coverage="footprint").associate(_swift(None), mission="swift")
    assert unknown["covered"].to_list() == ["maybe"]
    mask = Positions(pos, coverage="footprint").mask(_swift(45.0), mission="swift")
    assert mask.to_list() == [False]


def test_chandra_detector_picks_the_shape():
    t = observation_table(
        "chandra",
        ra=[0.0, 0.0],
        dec=[0.0, 0.0],
        instrument=["ACIS", "ACIS"],
        detector=["ACIS-I", "ACIS-S"],
    )
    # 20′ along x (east at roll 0): outside ACIS-I (8.45′ half side), inside the ACIS-S row
    # (from -29.05′ to +20.75′ about the aim point)
    t = t.with_columns(roll_angle=pl.lit(0.0))
    got = Positions([[20 / 60, 0.0]], coverage="footprint").associate(t, mission="chandra")
    assert got["obs_id"].to_list() == ["2"]
    circle = Positions([[20 / 60, 0.0]]).associate(t, mission="chandra")
    assert circle["obs_id"].to_list() == ["1", "2"]


def test_circle_is_the_default_and_saved_as_before():
    f = Positions([[1.0, 2.0]])
    assert f.coverage == "circle" and "coverage" not in f.params()
    g = Positions([[1.0, 2.0]], coverage="FOOTPRINT")
    assert g.params()["coverage"] == "footprint"
    assert Positions.from_params(g.params()) == g
    with pytest.raises(InputError, match="coverage='square'"):
        Positions([[1.0, 2.0]], coverage="square")


def test_search_with_footprints_adds_the_columns():
    from daxa.search import search

    tables = {"swift": _swift(0.0), "xmm_pointed": observation_table("xmm_pointed", [0.0], [0.0])}
    # 15.56′ off axis: outside XMM's 15′ EPIC circle (the 18′ search circle takes it), inside
    # the corner of XRT's 23.6′ square at roll 0 (the 14.2′ XRT circle misses it)
    circles = search([11 / 60, 11 / 60], tables=tables)
    assert circles["mission"].to_list() == ["xmm_pointed"]
    found = search([11 / 60, 11 / 60], tables=tables, coverage="footprint")
    assert found.select("mission", "covered", "footprint_instrument").rows() == [
        ("swift", "yes", "XRT")
    ]
    assert found["s_region"][0].startswith("POLYGON FK5 ")
    xmm = search([5 / 60, 0.0], tables=tables, coverage="footprint")
    assert xmm.filter(pl.col("mission") == "xmm_pointed")["s_region"].to_list() == [
        "CIRCLE FK5 0.000000 0.000000 0.250000"
    ]
    with pytest.raises(InputError, match="needs positions"):
        search(names=["M87"], tables=tables, coverage="footprint")
