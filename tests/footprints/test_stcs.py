"""``s_region`` strings: parsed back, the pointing is inside every polygon with the DALI
orientation (counter-clockwise seen from inside the sphere), and each position a footprint
covers lies in its observation's region (checked with the 3-D winding test, not the code that
made the region)."""

from __future__ import annotations

import numpy as np
import polars as pl

from daxa.filters.positions import Positions
from daxa.footprints.stcs import box_strings, observation_regions
from daxa.missions import get_mission
from daxa.sky.geometry import angular_separation, unit_vectors
from daxa.testing.tables import generate_table

from .test_geometry import _winding_inside

KNOWN = ("ACIS-I", "ACIS-S", "HRC-I", "HRC-S")


def _parse(region: str) -> tuple[str, np.ndarray]:
    kind, _frame, *numbers = region.split()
    return kind, np.array(numbers, dtype=float)


def test_chandra_regions_hold_their_positions():
    chandra = get_mission("chandra").normalise(generate_table("chanmaster"))
    n = chandra.height
    chandra = chandra.with_columns(
        roll_angle=pl.Series(
            np.where(np.arange(n) % 3 == 0, np.nan, np.arange(n) * 11.0 % 360)
        ).fill_nan(None)
    )
    rng = np.random.default_rng(11)
    pick = rng.integers(0, n, 500)
    pos = pl.DataFrame(
        {
            "ra": (chandra["ra"].to_numpy()[pick] + rng.normal(0, 0.1, 500)) % 360,
            "dec": np.clip(chandra["dec"].to_numpy()[pick] + rng.normal(0, 0.1, 500), -90, 90),
        }
    )
    pairs = Positions(pos, coverage="footprint").associate(chandra, mission="chandra")
    assert pairs.height > 20
    obs = chandra.select(
        "obs_id", "detector", "roll_angle", obs_ra="ra", obs_dec="dec"
    ).with_columns(s_region=observation_regions(chandra, "chandra"))
    seen = set()
    joined = pairs.join(obs, on="obs_id", how="left")
    step = max(1, joined.height // 400)  # every pair kind, a few hundred pairs checked
    for row in joined.gather_every(step).iter_rows(named=True):
        kind, numbers = _parse(row["s_region"])
        seen.add(kind)
        if kind == "CIRCLE":
            assert row["roll_angle"] is None or row["detector"] not in KNOWN
            sep = float(angular_separation(row["pos_ra"], row["pos_dec"], numbers[0], numbers[1]))
            assert sep <= numbers[2] + 1e-6
            continue
        verts = unit_vectors(numbers[0::2], numbers[1::2])
        centre = unit_vectors([row["obs_ra"]], [row["obs_dec"]])[0]
        edges = np.cross(verts, np.roll(verts, -1, axis=0))
        assert np.all(edges @ centre < 0)  # inside on the left, seen from inside the sphere
        if row["covered"] == "yes":
            inside, nearest = _winding_inside(
                unit_vectors([row["pos_ra"]], [row["pos_dec"]])[0], verts
            )
            assert inside or nearest < 1e-7
    assert seen == {"CIRCLE", "POLYGON"}


def test_box_strings_wrap_through_zero():
    (region,) = box_strings([358.0], [2.0], [-1.0], [1.0], "fk5")
    kind, numbers = _parse(region)
    assert kind == "POLYGON"
    ra = numbers[0::2]
    assert ra.tolist()[:5] == [2.0, 1.0, 0.0, 359.0, 358.0]
