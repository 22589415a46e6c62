"""match_observations(coverage="footprint") gives the positions filter's footprint pairs, on
generated mission tables (with a roll angle added here where the generator has none)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from daxa.crossmatch import match_observations
from daxa.filters.positions import Positions
from daxa.missions import get_mission
from daxa.testing.tables import generate_table

RAW = {
    "chandra": "chanmaster",
    "swift": "swiftmastr",
    "xmm_pointed": "v_all_observations",
    "integral_pointed": "intscwpub",
    "rosat_pointed": "rosmaster",
    "erosita_all_sky_de_dr1": "erass_de_dr1_info.csv",
}


def _table(mission: str) -> pl.DataFrame:
    out = get_mission(mission).normalise(generate_table(RAW[mission]))
    if mission in ("chandra", "rosat_pointed"):  # half the rows with a roll, half without
        roll = np.where(np.arange(out.height) % 2 == 0, np.arange(out.height) * 7.0 % 360, np.nan)
        out = out.with_columns(roll_angle=pl.Series(roll).fill_nan(None))
    return out


def _positions(table: pl.DataFrame, n: int = 400) -> pl.DataFrame:
    """Positions scattered around the pointings (within ~1°), so every outcome occurs."""
    rng = np.random.default_rng(7)
    pick = rng.integers(0, table.height, n)
    dec = np.clip(table["dec"].to_numpy()[pick] + rng.normal(0, 0.3, n), -90, 90)
    ra = (table["ra"].to_numpy()[pick] + rng.normal(0, 0.3, n)) % 360
    return pl.DataFrame({"ra": ra, "dec": dec})


@pytest.mark.parametrize("mission", list(RAW))
def test_match_equals_filter_with_footprints(mission):
    table = _table(mission)
    pos = _positions(table)
    want = Positions(pos, coverage="footprint").associate(table, mission=mission)
    got = match_observations(pos, tables={mission: table}, coverage="footprint", progress=False)
    key = ["pos_index", "obs_id"]
    assert got.sort(key).select(want.columns).equals(want.sort(key))
    circle = match_observations(pos, tables={mission: table}, progress=False)
    assert got.height > 0
    # the footprint rule decides the circle's candidates: where the candidate radius is the
    # default circle's or smaller, it only ever removes pairs
    if mission in ("chandra", "xmm_pointed", "erosita_all_sky_de_dr1"):
        pairs = set(zip(circle["pos_index"], circle["obs_id"], strict=True))
        assert set(zip(got["pos_index"], got["obs_id"], strict=True)) <= pairs
        assert got.height <= circle.height
    assert set(got["covered"]) <= {"yes", "maybe"}


def test_coverage_summary_counts_the_footprint_pairs():
    from daxa.crossmatch import coverage_summary

    swift = get_mission("swift").normalise(generate_table("swiftmastr"))
    pos = _positions(swift, 300)
    inst = {"swift": ["XRT", "UVOT"]}
    kw = dict(tables={"swift": swift}, instruments=inst, progress=False, coverage="footprint")
    pairs = match_observations(pos, **kw)
    summary = coverage_summary(pos, **kw)
    assert pairs.height > 0
    total = summary.filter(pl.col("instrument").is_null())
    want = pairs.group_by("pos_index").agg(n=pl.len()).sort("pos_index")
    assert total.select("pos_index", n="n_obs").sort("pos_index").rows() == want.rows()
    for name in ("XRT", "UVOT"):
        got = summary.filter(pl.col("instrument") == name).select("pos_index", "n_obs")
        per = (
            pairs.filter(pl.col("instruments").list.contains(name))
            .group_by("pos_index")
            .agg(n_obs=pl.len())
        )
        assert got.sort("pos_index").rows() == per.sort("pos_index").rows()
    circle = coverage_summary(pos, tables={"swift": swift}, instruments=inst, progress=False)
    assert circle["n_obs"].sum() != summary["n_obs"].sum()
