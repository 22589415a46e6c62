"""Suzaku ``suzamaster``: 9-digit ObsIDs led by the category digit, four XIS exposures.

XIS2 was lost on 2006-11-09, so its exposure is 0 afterwards; the mission ran from July 2005
to May 2015.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from daxa.testing.tables import _common as C

_XIS2_LOST = C.mjd(2006, 11, 9)
#: category_code → probability (codes 2, 3 and 6 have no taxonomy mapping and become MISC).
_CODES = {0: 0.02, 1: 0.05, 2: 0.02, 3: 0.08, 4: 0.12, 5: 0.14, 6: 0.1, 7: 0.27, 8: 0.16, 9: 0.04}


def suzamaster(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """HEASARC ``suzamaster`` as its TAP service returns it."""
    n_targets = max(1, n // 2)
    t_ra, t_dec, t_names = C.target_positions(rng, n_targets, plane_fraction=0.35)
    t_code = rng.choice(list(_CODES), n_targets, p=list(_CODES.values()))
    tgt = C.popular_targets(rng, n, n_targets, tail=1.2)
    ra, dec = C.jitter(rng, t_ra[tgt], t_dec[tgt], 2.0)
    code = t_code[tgt]
    time = rng.uniform(C.mjd(2005, 7, 15), C.mjd(2015, 5, 31), n)
    number = C.unique_ints(rng, n, 0, 100_000)
    seq = rng.integers(1, 4, n) * 10
    obsid = pl.Series(code * 10**8 + number * 1000 + seq).cast(pl.String).str.zfill(9)
    xis0 = np.round(C.lognormal(rng, n, 40_000.0, 0.7, 1_000.0, 300_000.0), 1)
    xis = [np.round(xis0 * rng.uniform(0.995, 1.0, n), 1) for _ in range(4)]
    xis[2] = np.where(time > _XIS2_LOST, 0.0, xis[2])
    stop = time + xis0 / 86_400.0 / rng.uniform(0.35, 0.6, n)
    df = pl.DataFrame(
        {
            "ra": pl.Series(np.round(ra, 4)),
            "dec": pl.Series(np.round(dec, 4)),
            "obsid": obsid,
            "time": pl.Series(time),
            "stop_time": pl.Series(stop),
            "category_code": pl.Series(code).cast(pl.Int32),
            **{f"xis{i}_expo": pl.Series(xis[i]) for i in range(4)},
            "name": pl.Series(np.asarray(t_names, dtype=object)[tgt], dtype=pl.String),
        }
    )
    zero = {f"xis{i}_expo": 0.0 for i in range(4)}
    edges: list[dict[str, Any]] = [
        zero,
        {**zero, "category_code": 1},
        {"xis0_expo": 0.0, "xis2_expo": 0.0},
        *({"category_code": c} for c in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)),
        {"category_code": 12},
    ]
    return C.inject(df, edges, rng)
