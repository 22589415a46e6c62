"""ASCA ``ascamaster``: integer 8-digit sequence numbers, SIS and GIS exposures (1993–2000)."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from daxa.testing.tables import _common as C

CATEGORIES = {
    "AGN": 0.25,
    "SUPERNOVA REMNANTS AND GALACTIC DIFFUSE EMISSION": 0.1,
    "CLUSTERS OF GALAXIES AND SUPERCLUSTERS": 0.15,
    "STARS": 0.08,
    "NORMAL STARS": 0.02,
    "X RAY BINARIES": 0.17,
    "COSMIC X-RAY BACKGROUND AND DEEP SURVEYS AND OTHER": 0.08,
    "NORMAL GALAXIES": 0.08,
    "CATACLYSMIC VARIABLES": 0.07,
}


def ascamaster(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """HEASARC ``ascamaster`` as its TAP service returns it."""
    n_targets = max(1, n // 2)
    t_ra, t_dec, t_names = C.target_positions(rng, n_targets, plane_fraction=0.35)
    names = list(CATEGORIES)
    t_cat = rng.choice(len(names), n_targets, p=list(CATEGORIES.values()))
    tgt = C.popular_targets(rng, n, n_targets, tail=1.2)
    ra, dec = C.jitter(rng, t_ra[tgt], t_dec[tgt], 2.0)
    time = rng.uniform(C.mjd(1993, 3, 1), C.mjd(2000, 7, 14), n)
    lead = rng.integers(1, 10, n)
    seq = lead * 10_000_000 + C.unique_ints(rng, n, 0, 10_000) * 1000 + rng.integers(0, 10, n) * 10
    sis = np.round(C.lognormal(rng, n, 25_000.0, 0.9, 300.0, 460_000.0))
    gis = np.round(sis * rng.uniform(1.0, 1.25, n))
    sis = np.where(rng.random(n) < 0.04, 0.0, sis)
    gis = np.where(rng.random(n) < 0.04, 0.0, gis)
    end = time + np.maximum(sis, gis) / 86_400.0 / rng.uniform(0.3, 0.5, n)
    df = pl.DataFrame(
        {
            "ra": pl.Series(np.round(ra, 4)),
            "dec": pl.Series(np.round(dec, 4)),
            "sequence_number": pl.Series(seq).cast(pl.Int32),
            "time": pl.Series(time),
            "end_time": pl.Series(end),
            "subject_category": pl.Series(np.asarray(names, dtype=object)[t_cat[tgt]], dtype=pl.String),
            "status": pl.Series(np.full(n, "archived")),
            "gis_exposure": pl.Series(gis),
            "sis_exposure": pl.Series(sis),
            "name": pl.Series(np.asarray(t_names, dtype=object)[tgt], dtype=pl.String),
        }
    )  # fmt: skip
    edges: list[dict[str, Any]] = [
        {"gis_exposure": 0.0, "sis_exposure": 0.0},
        {"gis_exposure": 0.0, "sis_exposure": 0.0, "name": None},
        {"gis_exposure": 0.0},
        {"sis_exposure": 0.0},
        {"subject_category": "GAMMA RAY BURSTS"},
        {"subject_category": None},
    ]
    return C.inject(df, edges, rng)
