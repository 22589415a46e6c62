"""The association tables of the positions filters: one typed row per (position, observation)
pair found, for the circle search and for ``coverage="footprint"`` (with the footprint columns),
plus the candidate radius plan of the footprint search."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.filters import radius as _radius
from daxa.filters._base import ASSOCIATION_SCHEMA, empty_association
from daxa.filters._positions_input import ParsedPositions
from daxa.missions import Mission


def footprint_plan(
    table: pl.DataFrame, mission: Mission, instruments: tuple[str, ...]
) -> _radius.RadiusPlan:
    """The candidate search of ``coverage="footprint"``: each row's circumscribed radius of
    the footprints that observed (rows where none observed cannot match)."""
    from daxa.footprints.assess import row_candidate_radius
    from daxa.missions.coverage import observed_active

    observed = observed_active(table, mission, instruments)
    radius = row_candidate_radius(table, mission, instruments, observed)
    finite = np.isfinite(radius)
    if finite.all():
        return _radius.RadiusPlan(radius, "right", None, observed, None)
    rows = np.flatnonzero(finite).astype(np.int64)
    return _radius.RadiusPlan(radius[rows], "right", rows, observed, None)


def association_frame(
    mission: Mission,
    table: pl.DataFrame,
    pos_index: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    separation: npt.NDArray[np.float64],
    plan: _radius.RadiusPlan,
    instruments: tuple[str, ...],
    pos_ra: npt.NDArray[np.float64],
    pos_dec: npt.NDArray[np.float64],
) -> pl.DataFrame:
    """The typed association table of found pairs (see :meth:`Positions.associate`)."""
    if len(rows) == 0:
        return empty_association()
    frame = pl.DataFrame(
        {
            "pos_index": pos_index,
            "mission": pl.repeat(mission.name, len(rows), eager=True, dtype=pl.String),
            "obs_id": table["obs_id"].gather(rows),
            "separation_deg": separation,
            "instruments": _radius.covering(plan, rows, separation, instruments),
            "pos_ra": pos_ra[pos_index],
            "pos_dec": pos_dec[pos_index],
        },
        schema=ASSOCIATION_SCHEMA,
    )
    return frame.sort("pos_index", "separation_deg", "obs_id")


def with_row_id(found: pl.DataFrame, parsed: ParsedPositions) -> pl.DataFrame:
    """``found`` with the positions' id column as ``row_id`` (when the positions have one)."""
    ids = parsed.read.ids()
    if ids is None or found.height == 0:
        return found
    return found.with_columns(row_id=ids.gather(found["pos_index"]))


def footprint_association(
    mission: Mission,
    table: pl.DataFrame,
    pairs: Any,
    rows: npt.NDArray[np.int64],
    cov: Any,
    instruments: tuple[str, ...],
    pos_ra: npt.NDArray[np.float64],
    pos_dec: npt.NDArray[np.float64],
) -> pl.DataFrame:
    """The association table of ``coverage="footprint"``: pairs covered yes or maybe, with the
    footprint columns (see :data:`daxa.footprints.assess.FOOTPRINT_SCHEMA`)."""
    from daxa.footprints.assess import FOOTPRINT_SCHEMA
    from daxa.missions.coverage import instrument_lists

    keep = np.flatnonzero(cov.status > 0)
    schema = {**ASSOCIATION_SCHEMA, **FOOTPRINT_SCHEMA}
    if keep.size == 0:
        return pl.DataFrame(schema=schema)
    pos_index = np.asarray(pairs.left, dtype=np.int64)[keep]
    frame = pl.DataFrame(
        {
            "pos_index": pos_index,
            "mission": pl.repeat(mission.name, keep.size, eager=True, dtype=pl.String),
            "obs_id": table["obs_id"].gather(rows[keep]),
            "separation_deg": np.asarray(pairs.separation, dtype=np.float64)[keep],
            "instruments": instrument_lists(cov.covers[keep], instruments),
            "pos_ra": pos_ra[pos_index],
            "pos_dec": pos_dec[pos_index],
            **cov.columns(keep),
        },
        schema=schema,
    )
    return frame.sort("pos_index", "separation_deg", "obs_id")
