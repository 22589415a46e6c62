"""Footprints on found pairs: the step after the circle search of ``coverage="footprint"``.

The circle search (today's engine, with each instrument's circumscribed radius) proposes
(position, observation) pairs; :func:`assess_pairs` decides each one with the instruments'
real shapes, placed at the pointing and turned by the table's ``roll_angle`` where it has one.
Loops run over instruments and detector shapes (a handful), never over rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.footprints.contain import MAYBE, NO, YES, decide, detector_axes, detector_xy, in_box
from daxa.footprints.shapes import (
    ROLL_COLUMN,
    ROLL_OFFSET_DEG,
    SHAPES,
    footprint,
)
from daxa.missions.spec import Mission

BOX_COLUMNS = ("ra_min", "ra_max", "dec_min", "dec_max")
#: Values accepted for ``coverage=``.
COVERAGE_RULES = ("circle", "footprint")
#: Columns the association and pair tables gain with ``coverage="footprint"``.
FOOTPRINT_SCHEMA: dict[str, pl.DataType] = {
    "covered": pl.String(),
    "offaxis_arcmin": pl.Float64(),
    "footprint_instrument": pl.String(),
    "owner_tile": pl.String(),
}


def check_coverage(coverage: Any) -> str:
    """``coverage`` as one of :data:`COVERAGE_RULES`, or an :class:`InputError` saying which."""
    if not isinstance(coverage, str) or coverage.lower() not in COVERAGE_RULES:
        raise InputError(
            f"coverage={coverage!r} is not a coverage rule; use 'circle' (1.2 × field of view, "
            "the default) or 'footprint' (the instruments' real fields)"
        )
    return coverage.lower()


def is_box_mission(mission: Mission) -> bool:
    """Does the mission's footprint come from per-row RA/Dec boxes (eRASS1)?"""
    return any(
        SHAPES.get((mission.name, n)) is not None and SHAPES[(mission.name, n)].kind == "box"
        for n in mission.instrument_names
    )


def box_radius_deg(table: pl.DataFrame) -> float:
    """Largest distance (degrees) from a row's pointing to a corner of its owned box."""
    from daxa.sky.geometry import angular_separation

    _require_boxes(table)
    if table.height == 0:
        return 0.0
    ra, dec = table["ra"].to_numpy(), table["dec"].to_numpy()
    far = max(
        float(np.nanmax(angular_separation(ra, dec, table[a].to_numpy(), table[b].to_numpy())))
        for a in ("ra_min", "ra_max")
        for b in ("dec_min", "dec_max")
    )
    return far * (1 + 1e-6) + 1e-6


def _require_boxes(table: pl.DataFrame) -> None:
    missing = [c for c in BOX_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"eRASS1 footprints need the owned box columns {', '.join(BOX_COLUMNS)}; the table "
            f"lacks {', '.join(missing)} (refresh the cached table, daxa fetch --refresh)"
        )


@dataclass(frozen=True)
class PairCoverage:
    """Per pair: best status over the chosen instruments, off-axis angle, the instrument of
    that status, which instruments cover it (pairs × instruments) and eRASS1's owner tile."""

    status: npt.NDArray[np.int8]
    offaxis_arcmin: npt.NDArray[np.float64]
    instrument: pl.Series
    covers: npt.NDArray[np.bool_]
    owner_tile: pl.Series

    def columns(self, keep: npt.NDArray[np.int64] | slice = slice(None)) -> dict[str, Any]:
        """The footprint columns (:data:`FOOTPRINT_SCHEMA`) for the pairs ``keep``."""
        idx = np.arange(self.status.size)[keep]
        labels = pl.Series("covered", ["no", "maybe", "yes"], dtype=pl.String)
        return {
            "covered": labels.gather(self.status[keep]),
            "offaxis_arcmin": self.offaxis_arcmin[keep],
            "footprint_instrument": self.instrument.gather(idx),
            "owner_tile": self.owner_tile.gather(idx),
        }


def _angles(table: pl.DataFrame, mission: Mission, rows: npt.NDArray[np.int64]) -> Any:
    if ROLL_COLUMN not in table.columns:
        return np.nan
    angle = table[ROLL_COLUMN].cast(pl.Float64).gather(rows).fill_null(np.nan).to_numpy()
    return angle + ROLL_OFFSET_DEG.get(mission.name, 0.0)


def _row_angles(table: pl.DataFrame, mission: Mission) -> npt.NDArray[np.float64]:
    """Roll angle of every table row (NaN: unknown), with the mission's offset."""
    if ROLL_COLUMN not in table.columns:
        return np.full(table.height, np.nan)
    angle = table[ROLL_COLUMN].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return angle + ROLL_OFFSET_DEG.get(mission.name, 0.0)


def detector_codes(table: pl.DataFrame, instrument: str) -> npt.NDArray[np.int8]:
    """Per Chandra row: 1 for ``<instrument>-I``, 2 for ``-S``, 0 when the detector is unknown."""
    if "detector" not in table.columns:
        return np.zeros(table.height, dtype=np.int8)
    det = table["detector"].cast(pl.String).str.to_uppercase()
    return (
        pl.select(
            pl.when(det == f"{instrument}-I")
            .then(1)
            .when(det == f"{instrument}-S")
            .then(2)
            .otherwise(0)
            .fill_null(0)
            .cast(pl.Int8)
        )
        .to_series()
        .to_numpy()
    )


def _shapes_of(mission: Mission, instrument: str) -> list[tuple[int, Any]]:
    """(detector code, shape) pairs of an instrument; code -1 means every row."""
    if mission.name == "chandra":
        return [(1, footprint("chandra", f"{instrument}-I")),
                (2, footprint("chandra", f"{instrument}-S"))]  # fmt: skip
    return [(-1, footprint(mission.name, instrument))]


def row_candidate_radius(
    table: pl.DataFrame,
    mission: Mission,
    instruments: tuple[str, ...],
    observed: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """Per table row, the circumscribed radius (degrees) of the footprints of the chosen
    instruments that observed (Chandra: the row's detector, both when unknown); NaN where
    none observed. The circle search with these radii proposes every covered pair."""
    if is_box_mission(mission):
        radius = np.full(table.height, box_radius_deg(table))
        return np.where(observed.any(axis=1), radius, np.nan)
    best = np.full(table.height, -np.inf)
    for j, name in enumerate(instruments):
        best = np.where(observed[:, j], np.maximum(best, outer_per_row(table, mission, name)), best)
    return np.where(np.isfinite(best), best, np.nan)


def outer_per_row(
    table: pl.DataFrame, mission: Mission, instrument: str
) -> npt.NDArray[np.float64]:
    """Circumscribed radius (degrees) of ``instrument``'s footprint in each row (Chandra: the
    row's detector; the wider of -I and -S when unknown)."""
    shapes = _shapes_of(mission, instrument)
    if shapes[0][0] == -1:
        return np.full(table.height, shapes[0][1].outer_arcmin / 60.0)
    code = detector_codes(table, instrument)
    wider = max(s.outer_arcmin for _, s in shapes) / 60.0
    return np.select(
        [code == c for c, _ in shapes], [s.outer_arcmin / 60.0 for _, s in shapes], wider
    )


def assess_pairs(
    table: pl.DataFrame,
    mission: Mission,
    instruments: tuple[str, ...],
    observed: npt.NDArray[np.bool_],
    rows: npt.ArrayLike,
    pos_ra: npt.ArrayLike,
    pos_dec: npt.ArrayLike,
    separation_deg: npt.ArrayLike | None = None,
) -> PairCoverage:
    """Decide each (position, table row) pair with the footprints of ``instruments``.

    ``observed`` is (table rows × instruments): did the instrument observe in the row (an
    instrument that did not observe covers nothing). ``rows`` index ``table``; ``pos_ra``,
    ``pos_dec`` are the pairs' positions (degrees, the mission's frame); ``separation_deg``
    the pairs' separations when the pair search already has them.

    The detector axes are made once per table row; per pair there are three dot products and
    one half-plane test per polygon edge.
    """
    from daxa.sky.geometry import angular_separation, xyz

    rows = np.asarray(rows, dtype=np.int64)
    pra, pdec = np.asarray(pos_ra, dtype=np.float64), np.asarray(pos_dec, dtype=np.float64)
    obs_ra, obs_dec = table["ra"].to_numpy(), table["dec"].to_numpy()
    if separation_deg is None:
        off = angular_separation(pra, pdec, obs_ra[rows], obs_dec[rows]) * 60.0
    else:
        off = np.asarray(separation_deg, dtype=np.float64) * 60.0
    n, k = rows.size, len(instruments)
    per = np.zeros((n, k), dtype=np.int8)
    owner = pl.Series("owner_tile", [None] * n, dtype=pl.String)
    if is_box_mission(mission):
        _require_boxes(table)
        box = [table[c].to_numpy()[rows] for c in BOX_COLUMNS]
        inside = in_box(pra, pdec, *box)
        per[:] = np.where(inside, YES, NO)[:, None]
        obs_id = table["obs_id"].gather(rows)
        owner = pl.select(
            pl.when(pl.Series(inside)).then(obs_id).otherwise(None).alias("owner_tile")
        ).to_series()
    else:
        angle = _row_angles(table, mission)
        has = np.isfinite(angle)
        # Only pairs between the smallest inscribed and the largest circumscribed circle need
        # the roll: nearer ones are inside every shape, farther ones outside (the same answer
        # the circle rule of ``decide`` gives them), so they are left out of the projection.
        polygons = [
            s for n in instruments for _, s in _shapes_of(mission, n) if s.kind == "polygon"
        ]
        lo = min((s.inner_arcmin for s in polygons), default=np.inf)
        hi = max((s.outer_arcmin for s in polygons), default=-np.inf)
        known = np.flatnonzero(has[rows] & (off > lo) & (off <= hi))
        x = y = np.zeros(0)
        if known.size:
            axes = detector_axes(obs_ra[has], obs_dec[has], angle[has])
            slot = np.cumsum(has) - 1  # table row → index among the rows with a roll
            at = slot[rows[known]]
            p = xyz(pra[known], pdec[known])
            x, y = detector_xy(p, *(tuple(c[at] for c in v) for v in axes))
        for j, name in enumerate(instruments):
            shapes = _shapes_of(mission, name)
            if shapes[0][0] == -1:
                per[:, j] = decide(shapes[0][1], off, known, x, y)
                continue
            code = detector_codes(table, name)[rows]
            both = [decide(s, off, known, x, y) for _, s in shapes]  # unknown: must agree
            per[:, j] = np.where(both[0] == both[1], both[0], MAYBE)
            for (c, _), status in zip(shapes, both, strict=True):
                per[:, j] = np.where(code == c, status, per[:, j])
    per = np.where(observed[rows], per, NO).astype(np.int8)
    best = per.max(axis=1, initial=NO).astype(np.int8)
    first = np.argmax(per == best[:, None], axis=1)
    names = pl.Series("footprint_instrument", list(instruments) or [""], dtype=pl.String)
    instrument = names.gather(first) if k else pl.Series([None] * n, dtype=pl.String)
    instrument = (
        pl.select(pl.when(pl.Series(best > NO)).then(instrument).otherwise(None))
        .to_series()
        .alias("footprint_instrument")
    )
    return PairCoverage(best, off, instrument, per > NO, owner)


def owner_tiles(ra: Any, dec: Any, tiles: pl.DataFrame) -> pl.Series:
    """The eRASS1 tile (``obs_id``) whose owned box holds each position, or null.

    ``tiles`` is a normalised eRASS1 table (``obs_id``, ``ra``, ``dec`` and the box columns).
    Candidates come from a circle search as wide as the largest box; each position has at
    most one owner because the boxes are half-open and do not overlap.
    """
    from daxa.sky.geometry import check_coordinates
    from daxa.sky.pairs import pair_search

    ra_a, dec_a = check_coordinates(ra, dec, what="positions")
    pairs = pair_search(
        ra_a, dec_a, tiles["ra"].to_numpy(), tiles["dec"].to_numpy(), box_radius_deg(tiles)
    )
    left, right = np.asarray(pairs.left), np.asarray(pairs.right)
    box = [tiles[c].to_numpy()[right] for c in BOX_COLUMNS]
    hit = in_box(ra_a[left], dec_a[left], *box)
    out = np.full(ra_a.size, -1, dtype=np.int64)
    out[left[hit]] = right[hit]
    ids = tiles["obs_id"].cast(pl.String)
    return (
        pl.select(pl.when(pl.Series(out >= 0)).then(ids.gather(np.maximum(out, 0))).otherwise(None))
        .to_series()
        .alias("owner_tile")
    )
