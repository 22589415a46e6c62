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
from daxa.footprints.contain import MAYBE, NO, YES, decide, detector_axes, in_box
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
    return radii_per_row(table, mission, instrument)[1] / 60.0


def radii_per_row(
    table: pl.DataFrame, mission: Mission, instrument: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(inscribed, circumscribed) radius in arcmin of ``instrument``'s footprint in each row;
    for an unknown Chandra detector the smaller inscribed and larger circumscribed of both."""
    shapes = _shapes_of(mission, instrument)
    if shapes[0][0] == -1:
        one = shapes[0][1]
        return np.full(table.height, one.inner_arcmin), np.full(table.height, one.outer_arcmin)
    code = detector_codes(table, instrument)
    picks = [code == c for c, _ in shapes]
    inner = np.select(
        picks, [s.inner_arcmin for _, s in shapes], min(s.inner_arcmin for _, s in shapes)
    )
    outer = np.select(
        picks, [s.outer_arcmin for _, s in shapes], max(s.outer_arcmin for _, s in shapes)
    )
    return inner, outer


def _ring_per_row(
    table: pl.DataFrame,
    mission: Mission,
    instruments: tuple[str, ...],
    observed: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per row: the smallest inscribed and largest circumscribed radius (arcmin) over the
    chosen instruments that observed. A pair nearer than the first is inside every shape, one
    farther than the second outside: only pairs between them need the roll angle."""
    lo = np.full(table.height, np.inf)
    hi = np.full(table.height, -np.inf)
    for j, name in enumerate(instruments):
        inner, outer = radii_per_row(table, mission, name)
        lo = np.where(observed[:, j], np.minimum(lo, inner), lo)
        hi = np.where(observed[:, j], np.maximum(hi, outer), hi)
    return lo, hi


def assess_pairs(
    table: pl.DataFrame,
    mission: Mission,
    instruments: tuple[str, ...],
    observed: npt.NDArray[np.bool_],
    rows: npt.ArrayLike,
    pos_ra: npt.ArrayLike,
    pos_dec: npt.ArrayLike,
    separation_deg: npt.ArrayLike | None = None,
    left: npt.ArrayLike | None = None,
) -> PairCoverage:
    """Decide each (position, table row) pair with the footprints of ``instruments``.

    ``observed`` is (table rows × instruments): did the instrument observe in the row (an
    instrument that did not observe covers nothing). ``rows`` index ``table``; ``pos_ra``,
    ``pos_dec`` are the pairs' positions (degrees, the mission's frame); ``separation_deg``
    the pairs' separations when the pair search already has them. With ``left``, ``pos_ra``
    and ``pos_dec`` hold each position once and ``left`` gives each pair's position (their
    unit vectors are then made once per position, not once per pair).

    The detector axes are made once per table row; per pair there are three dot products and
    one half-plane test per polygon edge.
    """
    from daxa.sky.geometry import angular_separation, xyz

    rows = np.asarray(rows, dtype=np.int64)
    pra, pdec = np.asarray(pos_ra, dtype=np.float64), np.asarray(pos_dec, dtype=np.float64)
    left = np.arange(rows.size) if left is None else np.asarray(left, dtype=np.int64)
    pos_vec = xyz(pra, pdec)  # once per position
    pra, pdec = pra[left], pdec[left]  # per pair
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
        per[:] = np.where(inside[:, None] & observed[rows], YES, NO)
        obs_id = table["obs_id"].gather(rows)
        owner = pl.select(
            pl.when(pl.Series(inside)).then(obs_id).otherwise(None).alias("owner_tile")
        ).to_series()
    else:
        angle = _row_angles(table, mission)
        has = np.isfinite(angle)
        # Only pairs between the row's inscribed and circumscribed circles need the roll:
        # the circle rule of ``decide`` gives the others the same answer without projecting.
        lo, hi = _ring_per_row(table, mission, instruments, observed)
        known = np.flatnonzero(has[rows] & (off > lo[rows]) & (off <= hi[rows]))
        x = y = np.zeros(0)
        if known.size:
            # one (rows, 9) matrix of r0, X, Y: a single gather of 72-byte rows per pair
            axes = np.column_stack([c for v in detector_axes(obs_ra, obs_dec, angle) for c in v])
            g = axes[rows[known]]
            p = np.column_stack(pos_vec)[left[known]]
            z = np.einsum("ij,ij->i", p, g[:, 0:3])
            with np.errstate(divide="ignore", invalid="ignore"):
                inv = np.where(z > 0, 1.0 / z, np.inf)
                x = np.einsum("ij,ij->i", p, g[:, 3:6]) * inv
                y = np.einsum("ij,ij->i", p, g[:, 6:9]) * inv
        where = np.full(n, -1, dtype=np.int64)  # pair → its slot in ``known`` (or -1)
        where[known] = np.arange(known.size)

        def on(shape: Any, idx: npt.NDArray[np.int64]) -> npt.NDArray[np.int8]:
            """``decide`` on the pairs ``idx`` only."""
            slot = where[idx]
            has_xy = slot >= 0
            return decide(shape, off[idx], np.flatnonzero(has_xy), x[slot[has_xy]], y[slot[has_xy]])

        observed_pairs = observed[rows]
        for j, name in enumerate(instruments):
            sel = np.flatnonzero(observed_pairs[:, j])  # an instrument that did not observe
            shapes = _shapes_of(mission, name)  # covers nothing: left NO
            if shapes[0][0] == -1:
                per[sel, j] = on(shapes[0][1], sel)
                continue
            code = detector_codes(table, name)[rows[sel]]
            for c, shape in shapes:
                per[sel[code == c], j] = on(shape, sel[code == c])
            unknown = sel[code == 0]  # detector unknown: both shapes must agree
            a, b = (on(shape, unknown) for _, shape in shapes)
            per[unknown, j] = np.where(a == b, a, MAYBE)
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
