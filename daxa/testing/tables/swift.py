"""Swift ``swiftmastr``: many short snapshots on GRBs, transients and monitored sources.

ObsIDs are an 8-digit target id plus a 3-digit segment; segments of a target are numbered
in time order, and a target that needs more than 999 segments continues under a new target
id, as the real archive does. Each target's segments cluster in time (a monitoring campaign
or a GRB follow-up) and on the sky (XRT pointings within a few arcminutes). BAT sees the sky
whenever the spacecraft points, so its exposure tracks the pointing; UVOT is sometimes off
and XRT sometimes misses (BAT-only rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from daxa.testing.tables import _common as C


def swiftmastr(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """HEASARC ``swiftmastr`` as its TAP service returns it."""
    n_targets = max(1, n // 8)
    t_ra, t_dec, t_names = C.target_positions(rng, n_targets, plane_fraction=0.4)
    tgt = C.popular_targets(rng, n, n_targets, tail=0.7)
    ra, dec = C.jitter(rng, t_ra[tgt], t_dec[tgt], 2.5)

    first, last = C.mjd(2005, 1, 1), C.TABLE_MJD - 0.1
    t0 = rng.uniform(first, last, n_targets)
    scale = C.lognormal(rng, n_targets, 30.0, 1.5, 0.5, 3000.0)
    span = np.maximum(last - t0, 1e-3)
    start = t0[tgt] + np.mod(rng.exponential(scale[tgt]), span[tgt])

    # Segment numbers in time order within each target; roll over to a new target id at 999.
    order = np.lexsort((start, tgt))
    tgt_sorted = tgt[order]
    first_of = np.r_[0, np.flatnonzero(np.diff(tgt_sorted)) + 1]
    counts = np.diff(np.r_[first_of, n])
    rank_sorted = np.arange(n) - np.repeat(first_of, counts)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = rank_sorted
    segment = rank % 999 + 1
    key = tgt * 10_000 + rank // 999
    _, group = np.unique(key, return_inverse=True)
    target_id = C.unique_ints(rng, int(group.max()) + 1, 30_000, 97_000_000)[group]
    obsid = pl.Series(target_id * 1000 + segment).cast(pl.String).str.zfill(11)

    xrt = np.round(C.lognormal(rng, n, 1_500.0, 0.9, 50.0, 100_000.0), 3)
    bat = np.round(xrt * rng.uniform(1.0, 1.1, n))
    uvot = np.round(xrt * rng.uniform(0.9, 1.0, n), 3)
    xrt = np.where(rng.random(n) < 0.05, 0.0, xrt)
    uvot = np.where(rng.random(n) < 0.15, 0.0, uvot)
    # Snapshots of one segment spread over at most a few days (the real maximum is ~3 days).
    stop = start + np.minimum(bat / C.lognormal(rng, n, 0.4, 0.8, 0.02, 1.0), 260_000.0) / 86_400.0
    df = pl.DataFrame(
        {
            "ra": pl.Series(np.round(ra, 5)),
            "dec": pl.Series(np.round(dec, 5)),
            "roll_angle": pl.Series(np.round(rng.uniform(0.0, 360.0, n), 5)),
            "obsid": obsid,
            "start_time": pl.Series(start),
            "stop_time": pl.Series(stop),
            "xrt_exposure": pl.Series(xrt),
            "uvot_exposure": pl.Series(uvot),
            "bat_exposure": pl.Series(bat),
            "name": pl.Series(np.asarray(t_names, dtype=object)[tgt], dtype=pl.String),
        }
    )
    zero = {"xrt_exposure": 0.0, "uvot_exposure": 0.0, "bat_exposure": 0.0}
    edges: list[dict[str, Any]] = [
        zero,
        {**zero, "name": None},
        {"xrt_exposure": 0.0, "uvot_exposure": 0.0, "bat_exposure": 155.0},
        {"xrt_exposure": 0.0, "uvot_exposure": 812.4, "bat_exposure": 0.0},
    ]
    return C.inject(df, edges, rng)
