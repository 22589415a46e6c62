"""Coverage summary by the pairs: each (position, observation) pair within the radius is added.

The way for narrow fields (and for ``coverage="footprint"``, where the real fields decide):
pairs are found a bounded batch of positions at a time and summed into each line's totals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.coverage_totals import MAX_PAIRS, CoverClass, Totals, starts_ends
from daxa.crossmatch.mission_tables import MissionTable, expected_pairs_per_position
from daxa.missions import get_mission
from daxa.sky.geometry import loosen

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def sum_pairs(
    positions: pl.DataFrame,
    table: MissionTable,
    classes: list[CoverClass],
    rows: IntArray,
    totals: list[Totals],
) -> None:
    """Sum over the pairs themselves, a bounded batch of positions at a time."""
    from daxa.sky.pairs import pair_search

    ra, dec = positions["ra"].to_numpy(), positions["dec"].to_numpy()
    start, end = starts_ends(table)
    per_pos = max(1.0, expected_pairs_per_position([table], pos_radius(positions)))
    step = max(1, int(MAX_PAIRS / per_pos))
    r_pos = positions["_radius"].to_numpy() if table.radius is None else None
    for a in range(0, ra.size, step):
        b = min(ra.size, a + step)
        if table.radius is None:
            assert r_pos is not None
            p = pair_search(ra[a:b], dec[a:b], table.ra[rows], table.dec[rows], r_pos[a:b])
        elif isinstance(table.radius, float):
            p = pair_search(ra[a:b], dec[a:b], table.ra[rows], table.dec[rows], table.radius)
        else:
            p = pair_search(
                ra[a:b],
                dec[a:b],
                table.ra[rows],
                table.dec[rows],
                table.radius[rows],
                radius_of="right",
            )
        left = p.left + a
        obs = rows[p.right]
        covers = None
        if table.footprint is not None:  # coverage="footprint": the real fields decide
            covers = _footprint_covers(table, obs, ra, dec, p.separation, left)
        for cls, tot in zip(classes, totals, strict=True):
            keep: Any
            if covers is not None:
                k = None if cls.instrument is None else table.instruments.index(cls.instrument)
                keep = covers.any(axis=1) if k is None else covers[:, k]
            elif cls.instrument is None:
                keep = slice(None)
            else:
                ok = cls.applies[obs] if cls.applies is not None else np.ones(obs.size, bool)
                if cls.radius is not None:
                    ok = ok & (p.separation <= loosen(cls.radius[obs]))  # the radius-0 rule
                keep = ok  # type: ignore[assignment]
            o = obs[keep]
            tot.add(left[keep], cls.exposure[o], start[o], end[o])


def _footprint_covers(
    table: MissionTable,
    obs: IntArray,
    ra: FloatArray,
    dec: FloatArray,
    separation: FloatArray,
    left: IntArray,
) -> BoolArray:
    """(pairs × instruments): does the instrument's footprint hold the position (yes/maybe)?"""
    from daxa.footprints.assess import assess_pairs

    assert table.footprint is not None
    spec = get_mission(table.name)
    cov = assess_pairs(
        table.footprint, spec, table.instruments, table.plan.observed, obs, ra, dec,
        separation, left,
    )  # fmt: skip
    return cov.covers


def pos_radius(positions: pl.DataFrame) -> float:
    if "_radius" not in positions.columns:
        return 0.0
    value = positions["_radius"].max()
    return float(value) if value is not None else 0.0  # type: ignore[arg-type]
