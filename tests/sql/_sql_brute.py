"""Independent brute-force answers for the SQL tests (plain numpy, no daxa.sky)."""

from __future__ import annotations

import numpy as np
import polars as pl

from daxa import cache
from daxa.missions import coverage, get_mission


def vincenty_deg(ra1, dec1, ra2, dec2):  # type: ignore[no-untyped-def]
    """Angular separation in degrees (Vincenty), broadcasting."""
    ra1, dec1, ra2, dec2 = (
        np.radians(np.asarray(a, dtype=np.float64)) for a in (ra1, dec1, ra2, dec2)
    )
    d = ra2 - ra1
    num = np.hypot(
        np.cos(dec2) * np.sin(d),
        np.cos(dec1) * np.sin(dec2) - np.sin(dec1) * np.cos(dec2) * np.cos(d),
    )
    den = np.sin(dec1) * np.sin(dec2) + np.cos(dec1) * np.cos(dec2) * np.cos(d)
    return np.degrees(np.arctan2(num, den))


def brute_pairs(
    cache_dir, missions, pos_ra, pos_dec, *, radius=None, instruments=None, per_position=None
) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    """Every (position, observation) pair within the radius, by comparing all of them."""
    frames = []
    for mission in missions:
        table = cache.read(mission, cache_dir)
        chosen = (instruments or {}).get(mission)
        mission_radius = radius
        if isinstance(radius, dict):  # a multi-mission mapping: this mission's instruments only
            names = {
                n.upper() for i in get_mission(mission).instruments for n in (i.name, *i.aliases)
            }
            mission_radius = {k: v for k, v in radius.items() if k.upper() in names}
        row_radius = coverage.default_row_radius(
            table, mission, chosen, None if per_position is not None else mission_radius
        )
        sep = vincenty_deg(
            pos_ra[:, None],
            pos_dec[:, None],
            table["ra"].to_numpy()[None, :],
            table["dec"].to_numpy()[None, :],
        )
        if per_position is not None:
            reach = np.where(np.isfinite(row_radius)[None, :], per_position[:, None], np.nan)
        else:
            reach = np.broadcast_to(row_radius[None, :], sep.shape)
        p, r = np.nonzero(sep <= reach)
        if per_position is not None:
            # within the position's own radius, every chosen instrument that observed covers it
            names = coverage.chosen_instruments(mission, chosen)
            observed = coverage.observed_matrix(table, mission, chosen)[r]
            inst = [[n for n, o in zip(names, row, strict=True) if o] for row in observed]
        else:
            inst = coverage.covering_instruments(
                sep[p, r], r, table, mission, chosen, mission_radius
            ).to_list()
        frames.append(
            pl.DataFrame(
                {
                    "pos_index": p.astype(np.int64),
                    "mission": [mission] * len(p),
                    "obs_id": table["obs_id"].to_numpy()[r],
                    "separation_deg": sep[p, r],
                    "instruments": inst,
                },
                schema={
                    "pos_index": pl.Int64,
                    "mission": pl.String,
                    "obs_id": pl.String,
                    "separation_deg": pl.Float64,
                    "instruments": pl.List(pl.String),
                },
            )
        )
    return pl.concat(frames).sort("pos_index", "mission", "obs_id")
