"""XRISM ``xrismmastr``: 9-digit ObsIDs, Resolve/Xtend exposures, placeholder public dates.

The real table also lists accepted targets not yet observed (exposure 0, public date 88068 —
the end of 2099 — or 0); those are generated too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from daxa.testing.tables import _common as C

CATEGORIES = {
    "Non-Jet-Dominated AGN": 0.14,
    "Blazars and Other Jet-Dominated AGN": 0.04,
    "Solar System": 0.01,
    "Supernova Remnants": 0.14,
    "Normal Galaxies: Integrated Emission": 0.05,
    "Groups and Clusters of Galaxies": 0.17,
    "Extragalactic Diffuse Emission and Surveys": 0.02,
    "BH and NS Binaries": 0.15,
    "Non-Accreting Neutron Stars": 0.03,
    "Galactic Diffuse Emission and Surveys": 0.06,
    "Extragalactic Transients: SNe, GRBs, GW Events, and TDEs": 0.02,
    "Astrophysical Processes": 0.03,
    "Stellar Coronae, Winds, and Young Stars": 0.08,
    "Accreting White Dwarfs and Novae": 0.06,
}


def xrismmastr(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """HEASARC ``xrismmastr`` as its TAP service returns it."""
    n_targets = max(1, int(n / 1.3))
    t_ra, t_dec, t_names = C.target_positions(rng, n_targets, plane_fraction=0.35)
    names = list(CATEGORIES)
    t_cat = rng.choice(len(names), n_targets, p=list(CATEGORIES.values()))
    tgt = C.popular_targets(rng, n, n_targets, tail=1.3)
    ra, dec = C.jitter(rng, t_ra[tgt], t_dec[tgt], 1.0)
    time = rng.uniform(C.mjd(2023, 10, 15), C.TABLE_MJD + 120.0, n)
    future = time > C.TABLE_MJD
    pv = time < C.mjd(2024, 9, 1)
    lead = np.where(pv, rng.choice([0, 1], n, p=[0.1, 0.9]), 3)
    obsid = (
        pl.Series(
            lead * 10**8 + C.unique_ints(rng, n, 0, 100_000) * 1000 + rng.integers(1, 4, n) * 10
        )
        .cast(pl.String)
        .str.zfill(9)
    )
    exposure = np.round(C.lognormal(rng, n, 60_000.0, 0.9, 5_000.0, 500_000.0), 5)
    xtend = np.round(exposure * rng.uniform(0.75, 0.95, n), 5)
    exposure = np.where(future, 0.0, exposure)
    xtend = np.where(future, 0.0, xtend)
    duration = np.round(np.maximum(exposure, 20_000.0) / rng.uniform(0.45, 0.6, n) / 60.0) * 60.0
    end = time + duration / 86_400.0
    public_date = np.where(
        future, 88068, np.floor(end + np.where(pv, 180.0, 365.0)).astype(np.int64)
    )
    df = pl.DataFrame(
        {
            "ra": pl.Series(np.round(ra, 5)),
            "dec": pl.Series(np.round(dec, 5)),
            "obsid": obsid,
            "time": pl.Series(time),
            "end_time": pl.Series(end),
            "duration": pl.Series(duration),
            "exposure": pl.Series(exposure),
            "xtd_expo": pl.Series(xtend),
            "subject_category": pl.Series(np.asarray(names, dtype=object)[t_cat[tgt]], dtype=pl.String),
            "rsl_datamode": pl.Series(np.where(rng.random(n) < 0.97, "PX_NORMAL", "PX_WFRB")),
            "public_date": pl.Series(public_date).cast(pl.Int32),
            "name": pl.Series(np.asarray(t_names, dtype=object)[tgt], dtype=pl.String)
            .str.replace_all(" ", "_"),
        }
    )  # fmt: skip
    edges: list[dict[str, Any]] = [
        {"exposure": 0.0, "xtd_expo": 0.0, "public_date": 88068},
        {"exposure": 0.0, "xtd_expo": 0.0, "public_date": 0},
        {"public_date": 0},
        {"public_date": 88068},
        {"xtd_expo": 0.0},
        {"rsl_datamode": None},
        {"subject_category": "Dark Matter Searches"},
    ]
    return C.inject(df, edges, rng)
