"""Small valid normalised tables for the SQL tests (random skies with RA 0 and the poles)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

from daxa.missions import get_mission
from daxa.schema import UTC_DATETIME, validate
from daxa.sky.healpix import healpix_index

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def make_table(
    mission: str,
    ra: np.ndarray,
    dec: np.ndarray,
    *,
    seed: int = 0,
    start_us: np.ndarray | None = None,
    exposure_zero_fraction: float = 0.2,
) -> pl.DataFrame:
    """A valid normalised table of ``mission`` with the given pointings.

    Per-instrument exposures are zero for about ``exposure_zero_fraction`` of the rows (so the
    default radius differs row by row); one-instrument missions cycle through the instruments.
    """
    spec = get_mission(mission)
    rng = np.random.default_rng(seed)
    n = len(ra)
    if start_us is None:
        offset = rng.uniform(0, 20 * 365.25 * 86400, n) * 1e6
        start_us = int(EPOCH.timestamp() * 1e6) + offset.astype(np.int64)
    exposure = rng.uniform(1e3, 1e5, n)
    width = (
        int(spec.obs_id_regex.split("{")[1].split("}")[0].split(",")[-1])
        if "{" in spec.obs_id_regex
        else 6
    )
    obs_ids = [str(i + 1).zfill(width) for i in range(n)]
    if mission == "rosat_pointed":
        obs_ids = [f"RP{i + 1:06d}N00" for i in range(n)]
    elif mission == "rosat_all_sky":
        obs_ids = [f"RS{i + 1:06d}N00" for i in range(n)]
    start = pl.Series("start", start_us).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    end = pl.Series("end", start_us + (exposure * 1.1 * 1e6).astype(np.int64))
    end = end.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    frame = pl.DataFrame(
        {
            "mission": [spec.name] * n,
            "obs_id": obs_ids,
            "ra": np.asarray(ra, dtype=np.float64),
            "dec": np.asarray(dec, dtype=np.float64),
            "start": start,
            "end": end,
            "exposure": exposure,
            "science_usable": rng.uniform(size=n) > 0.05,
            "proprietary_end": pl.Series([None] * n, dtype=UTC_DATETIME),
            "public": np.ones(n, dtype=bool),
            "target_category": rng.choice(["AGN", "GCL", "STR", "MISC"], n),
            "target_name": [f"target {i}" for i in range(n)],
            "instrument": (
                rng.choice(spec.instrument_names, n).tolist()
                if spec.one_instrument_per_obs
                else [None] * n
            ),
            "_healpix_29": healpix_index(ra, dec),
        },
        schema_overrides={"instrument": pl.String},
    ).with_columns(duration=pl.col("end") - pl.col("start"))
    for column in dict.fromkeys(
        i.exposure_column for i in spec.instruments if i.exposure_column is not None
    ):
        values = np.where(rng.uniform(size=n) < exposure_zero_fraction, 0.0, exposure)
        frame = frame.with_columns(pl.Series(column, values, dtype=pl.Float64))
    return validate(frame, mission=spec.name)


def random_sky(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform positions on the sphere, plus some at RA ≈ 0/360 and near both poles."""
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    k = n // 8
    ra[:k] = rng.uniform(-1.5, 1.5, k) % 360  # across RA = 0
    dec[k : 2 * k] = rng.uniform(87.5, 90, k)  # north pole
    dec[2 * k : 3 * k] = rng.uniform(-90, -87.5, k)  # south pole
    return ra, dec


#: Missions in the small test cache, with their row counts.
SMALL_MISSIONS = {
    "chandra": 300,
    "swift": 400,
    "xmm_pointed": 250,
    "integral_pointed": 150,
    "asca": 120,
}

#: Missions fetched through the emulator for the end-to-end tests (small emulator sizes).
EMULATED_MISSIONS = ("xmm_pointed", "chandra", "swift", "erosita_calpv", "rosat_pointed", "asca")
