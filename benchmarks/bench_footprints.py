"""Footprints against circles: what ``coverage="footprint"`` costs beside today's circle rule.

Run: ``python benchmarks/bench_footprints.py`` (``--quick`` for a tenth of the positions).

A Chandra-size table (24,786 rows from the emulator's generator, normalised by daxa) and 1e5
positions: 90% uniform on the sky, 10% within ~0.5° of random pointings (the generator crowds
pointings on popular targets as the real archive does, so these give millions of candidate
pairs to decide). Each case runs ``--repeat`` times (default 5) for both rules, in
alternation, and reports medians:

- A: ``Positions(...).associate`` as the generated table is (chanmaster has no roll column,
  so every pair is decided by the inscribed / circumscribed circles);
- B: the same with a ``roll_angle`` on every row (synthetic angles: the polygon path);
- C: ``match_observations`` (the survey-scale matcher), with the roll angles of B.

The goal (issue 19): footprint time ≤ 1.5 × the circle rule's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GOAL = 1.5


def positions(table: pl.DataFrame, n: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    half = n // 10
    ra = rng.uniform(0, 360, n - half)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n - half)))
    pick = rng.integers(0, table.height, half)
    near_ra = (table["ra"].to_numpy()[pick] + rng.normal(0, 0.3, half)) % 360
    near_dec = np.clip(table["dec"].to_numpy()[pick] + rng.normal(0, 0.3, half), -90, 90)
    return pl.DataFrame(
        {"ra": np.concatenate([ra, near_ra]), "dec": np.concatenate([dec, near_dec])}
    )


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def compare(
    name: str, circle: Callable[[], Any], foot: Callable[[], Any], repeat: int
) -> dict[str, Any]:
    circle(), foot()  # warm up (imports, compiled kernels)
    tc, tf = [], []
    for _ in range(repeat):
        t, a = timed(circle)
        tc.append(t)
        t, b = timed(foot)
        tf.append(t)
    mc, mf = statistics.median(tc), statistics.median(tf)
    row = {
        "case": name,
        "circle_s": round(mc, 3),
        "footprint_s": round(mf, 3),
        "ratio": round(mf / mc, 2),
        "circle_pairs": a.height,
        "footprint_pairs": b.height,
        "goal_met": mf / mc <= GOAL,
    }
    print(row, flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1e4 positions instead of 1e5")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from daxa.crossmatch import match_observations
    from daxa.filters.positions import Positions
    from daxa.missions import get_mission
    from daxa.testing.tables import TABLES, generate_table

    print("load average before:", os.getloadavg())
    table = get_mission("chandra").normalise(generate_table("chanmaster", TABLES["chanmaster"]))
    rolled = table.with_columns(
        roll_angle=pl.Series(np.random.default_rng(2).uniform(0, 360, table.height))
    )
    pos = positions(table, 10_000 if args.quick else 100_000)
    print(f"table: {table.height:,} rows; positions: {pos.height:,}")

    def assoc(t: pl.DataFrame, coverage: str) -> Callable[[], Any]:
        return lambda: Positions(pos, coverage=coverage).associate(t, mission="chandra")

    def match(t: pl.DataFrame, coverage: str) -> Callable[[], Any]:
        return lambda: match_observations(
            pos, tables={"chandra": t}, coverage=coverage, progress=False
        )

    rows = [
        compare(
            "A associate, no roll", assoc(table, "circle"), assoc(table, "footprint"), args.repeat
        ),
        compare(
            "B associate, roll", assoc(rolled, "circle"), assoc(rolled, "footprint"), args.repeat
        ),
        compare(
            "C match_observations, roll",
            match(rolled, "circle"),
            match(rolled, "footprint"),
            args.repeat,
        ),
    ]
    print("load average after:", os.getloadavg())
    print(pl.DataFrame(rows))


if __name__ == "__main__":
    main()
