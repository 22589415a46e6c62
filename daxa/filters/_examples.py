"""Small, valid normalised tables built by hand, for examples, doctests and tests.

>>> t = observation_table("swift", ra=[10.0, 20.0], dec=[0.0, 5.0],
...                       exposure_xrt=[1000.0, 0.0], exposure_bat=[1000.0, 500.0])
>>> t.height, t["obs_id"].to_list()
(2, ['00000000000', '00000000001'])
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from daxa.missions import get_mission
from daxa.schema import STANDARD_COLUMNS, UTC_DATETIME, validate
from daxa.sky.healpix import healpix_index

_START = datetime(2020, 1, 1, tzinfo=UTC)


def example_obs_ids(mission: str, n: int) -> list[str]:
    """``n`` ObsIDs that match ``mission``'s pattern (digits, zero padded, or ROSAT style)."""
    spec = get_mission(mission)
    if spec.name.startswith("rosat"):
        prefix = "RS" if spec.name == "rosat_all_sky" else "RP"
        suffix = "N00" if spec.name == "rosat_all_sky" else ""
        return [f"{prefix}{i:06d}{suffix}" for i in range(n)]
    width = re.search(r"\{(\d+)\}", spec.obs_id_regex)
    digits = int(width.group(1)) if width else 5
    if "{1," in spec.obs_id_regex:
        return [str(i + 1) for i in range(n)]
    return [f"{i:0{digits}d}" for i in range(n)]


def observation_table(
    mission: str,
    ra: Any,
    dec: Any,
    *,
    obs_id: Any = None,
    start: Any = None,
    end: Any = None,
    **columns: Any,
) -> pl.DataFrame:
    """A validated standard table for ``mission`` with the given pointings.

    ``start``/``end`` default to one-hour observations a day apart from 2020-01-01;
    other standard columns get plain defaults (usable, public, no target type) unless given;
    extra keyword columns (``exposure_xrt=...``, ``instrument=...``) are added as given.
    """
    spec = get_mission(mission)
    ra_arr = np.asarray(ra, dtype=np.float64) % 360.0
    dec_arr = np.asarray(dec, dtype=np.float64)
    n = ra_arr.size
    ids = list(obs_id) if obs_id is not None else example_obs_ids(spec.name, n)
    if start is None:
        start = [_START + timedelta(days=i) for i in range(n)]
    if end is None:
        end = [s + timedelta(hours=1) for s in start]
    base: dict[str, Any] = {
        "mission": [spec.name] * n,
        "obs_id": ids,
        "ra": ra_arr,
        "dec": dec_arr,
        "start": start,
        "end": end,
        "exposure": [3600.0] * n,
        "science_usable": [True] * n,
        "proprietary_end": [None] * n,
        "public": [True] * n,
        "target_category": [None] * n,
        "target_name": [None] * n,
        "instrument": [None] * n,
    }
    base.update({k: v for k, v in columns.items() if k in base})
    extras = {k: v for k, v in columns.items() if k not in base}
    frame = pl.DataFrame(
        {k: pl.Series(k, v, dtype=STANDARD_COLUMNS[k], strict=False) for k, v in base.items()}
    )
    frame = frame.with_columns(
        pl.col("start").cast(UTC_DATETIME),
        pl.col("end").cast(UTC_DATETIME),
    ).with_columns(
        duration=pl.col("end") - pl.col("start"),
        _healpix_29=pl.Series(healpix_index(ra_arr, dec_arr), dtype=pl.Int64),
    )
    for key, values in extras.items():
        dtype = pl.Float64 if key.startswith("exposure_") else None
        frame = frame.with_columns(pl.Series(key, values, dtype=dtype, strict=False))
    ordered = [*STANDARD_COLUMNS, *extras]
    return validate(
        frame.select(ordered), mission=spec.name, exposure_columns=spec.exposure_columns
    )
