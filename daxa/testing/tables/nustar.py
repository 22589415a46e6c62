"""NuSTAR ``numaster``: 11-digit string ObsIDs, MJD times, per-module exposures and on-times.

Besides science pointings the real table holds slews, STELLAR-mode (star-tracker) data,
accepted-but-unobserved targets (negative planned exposures) and proprietary rows with a
blank public date; all of these are generated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from daxa.testing.tables import _common as C

CATEGORIES = {
    # subject_category: (probability, leading ObsID digit)
    "Active galaxies and Quasars": (0.26, 6),
    "Galactic Compact Sources": (0.24, 3),
    "Non-ToO Supernovae, Supernova Remnants, and Galactic diffuse": (0.08, 4),
    "Normal galaxies": (0.07, 5),
    "Galaxy clusters and extragalactic diffuse objects": (0.06, 7),
    "Proposed ToOs and Directors Discretionary Time": (0.12, 9),
    "Non-Proposal ToOs": (0.04, 8),
    "Calibration Observations": (0.06, 1),
    "Solar System Objects": (0.03, 2),
    "Non-Pointing data": (0.04, 0),
}


def numaster(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """HEASARC ``numaster`` as its TAP service returns it."""
    n_targets = max(1, n // 2)
    t_ra, t_dec, t_names = C.target_positions(rng, n_targets, plane_fraction=0.35)
    names = list(CATEGORIES)
    t_cat = rng.choice(len(names), n_targets, p=[CATEGORIES[c][0] for c in names])
    tgt = C.popular_targets(rng, n, n_targets, tail=1.2)
    ra, dec = C.jitter(rng, t_ra[tgt], t_dec[tgt], 1.5)
    cat = t_cat[tgt]
    time = rng.uniform(C.mjd(2012, 7, 1), C.TABLE_MJD + 30.0, n)
    future = time > C.TABLE_MJD

    lead = np.array([CATEGORIES[c][1] for c in names])[cat]
    program = C.unique_ints(rng, n, 0, 10_000_000)
    segment = rng.integers(1, 4, n)
    obsid = pl.Series(lead * 10**10 + program * 1000 + segment).cast(pl.String).str.zfill(11)

    exposure_a = np.round(C.lognormal(rng, n, 30_000.0, 0.8, 1_000.0, 450_000.0))
    exposure_b = np.round(exposure_a * rng.normal(1.0, 0.005, n))
    ontime_a = np.round(exposure_a * rng.uniform(1.05, 1.1, n))
    ontime_b = np.round(exposure_b * rng.uniform(1.05, 1.1, n))
    end = time + ontime_a / 86_400.0 / rng.uniform(0.45, 0.6, n)

    status = np.where(
        future,
        C.choice(rng, n, ["accepted", "scheduled"], [0.6, 0.4]),
        C.choice(rng, n, ["archived", "processed"], [0.95, 0.05]),
    )
    # Accepted targets carry their planned exposure as a negative number.
    planned = status == "accepted"
    exposure_a = np.where(planned, -exposure_a, np.where(future, 0.0, exposure_a))
    exposure_b = np.where(planned, -exposure_b, np.where(future, 0.0, exposure_b))
    ontime_a = np.where(future, 0.0, ontime_a)
    ontime_b = np.where(future, 0.0, ontime_b)

    slew = rng.random(n) < 0.05
    obs_mode = np.where(slew, "SLEW", "SCIENCE")
    sc_mode = np.where(slew, "SLEW", C.choice(rng, n, ["INERTIAL", "STELLAR"], [0.96, 0.04]))
    public_date = np.where(
        future | (rng.random(n) < 0.03), np.nan, np.floor(end + rng.uniform(10.0, 400.0, n))
    )
    issue = (rng.random(n) < 0.3).astype(np.int32)
    nupsdout = np.where(rng.random(n) < 0.05, rng.integers(1, 3000, n), 0)
    df = pl.DataFrame(
        {
            "ra": pl.Series(ra),
            "dec": pl.Series(dec),
            "time": pl.Series(time),
            "end_time": pl.Series(end),
            "obsid": obsid,
            "status": pl.Series(status.astype(str)),
            "exposure_a": pl.Series(exposure_a),
            "exposure_b": pl.Series(exposure_b),
            "ontime_a": pl.Series(ontime_a),
            "ontime_b": pl.Series(ontime_b),
            "observation_mode": pl.Series(obs_mode.astype(str)),
            "spacecraft_mode": pl.Series(sc_mode.astype(str)),
            "instrument_mode": pl.Series(np.full(n, "NORMAL")),
            "subject_category": pl.Series(np.asarray(names, dtype=object)[cat], dtype=pl.String),
            "obs_type": pl.Series(
                C.choice(rng, n, ["GO", "LEGACY", "TOO", "CAL"], [6, 2, 1.5, 0.5]), dtype=pl.String
            ),
            "public_date": pl.Series(public_date).fill_nan(None),
            "issue_flag": pl.Series(issue),
            "nupsdout": pl.Series(nupsdout).cast(pl.Int32),
            "name": pl.Series(
                np.asarray(t_names, dtype=object)[tgt], dtype=pl.String
            ).str.replace_all(" ", "_"),
        }
    )
    science = {"status": "archived", "observation_mode": "SCIENCE", "spacecraft_mode": "INERTIAL"}
    edges: list[dict[str, Any]] = [
        {**science, "ontime_a": 0.0, "ontime_b": 0.0, "exposure_a": 0.0, "exposure_b": 0.0},
        {**science, "ontime_a": 0.0, "exposure_a": 0.0},
        {**science, "spacecraft_mode": "STELLAR"},
        {**science, "spacecraft_mode": "SLEW"},
        {**science, "observation_mode": "SLEW", "spacecraft_mode": "SLEW"},
        {**science, "observation_mode": "CALIBRATION"},
        {**science, "status": "accepted", "exposure_a": -20_000.0, "exposure_b": -20_000.0,
         "ontime_a": 0.0, "ontime_b": 0.0},
        {**science, "status": "scheduled"},
        {**science, "status": "processed"},
        {**science, "public_date": None},
        {**science, "subject_category": "Gravitational Wave Counterparts"},
        {**science, "issue_flag": 1, "nupsdout": 2119},
        # approved, not yet observed: HEASARC gives time = 0 (MJD 0 is 1858-11-17)
        {**science, "status": "accepted", "time": 0.0, "end_time": 0.0, "exposure_a": 0.0,
         "exposure_b": 0.0, "ontime_a": 0.0, "ontime_b": 0.0, "public_date": None},
    ]  # fmt: skip
    return C.inject(df, edges, rng)
