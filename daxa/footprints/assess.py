"""Footprints on found pairs: the step after the circle search of ``coverage="footprint"``.

The circle search (today's engine, with each instrument's circumscribed radius) proposes
(position, observation) pairs; :func:`assess_pairs` decides each one with the instruments'
real shapes, placed at the pointing and turned by the table's ``roll_angle`` where it has one.
Loops run over instruments and detector shapes (a handful), never over rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.footprints.contain import MAYBE, NO, YES, classify, in_box
from daxa.footprints.shapes import (
    ROLL_COLUMN,
    ROLL_OFFSET_DEG,
    SHAPES,
    footprint,
    outer_radius_deg,
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
    "s_region": pl.String(),
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


def candidate_radius(
    table: pl.DataFrame, mission: Mission, instruments: tuple[str, ...]
) -> Mapping[str, float]:
    """Per-instrument candidate radius (degrees) that holds every footprint shape."""
    if is_box_mission(mission):
        r = box_radius_deg(table)
        return {name: r for name in instruments}
    return {name: outer_radius_deg(mission.name, name) for name in instruments}


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
    #: table row of each pair, and the table / mission, for the ``s_region`` strings
    rows: npt.NDArray[np.int64]
    table: pl.DataFrame
    mission: Mission

    def columns(self, keep: npt.NDArray[np.int64] | slice = slice(None)) -> dict[str, Any]:
        """The footprint columns (:data:`FOOTPRINT_SCHEMA`) for the pairs ``keep``."""
        labels = np.array(["no", "maybe", "yes"], dtype=object)[self.status[keep]]
        idx = np.arange(self.status.size)[keep]
        return {
            "covered": pl.Series("covered", labels, dtype=pl.String),
            "offaxis_arcmin": self.offaxis_arcmin[keep],
            "footprint_instrument": self.instrument.gather(idx),
            "owner_tile": self.owner_tile.gather(idx),
            "s_region": pair_regions(
                self.table, self.mission, self.rows[idx], self.instrument.gather(idx)
            ),
        }


def _angles(table: pl.DataFrame, mission: Mission, rows: npt.NDArray[np.int64]) -> Any:
    if ROLL_COLUMN not in table.columns:
        return np.nan
    angle = table[ROLL_COLUMN].cast(pl.Float64).gather(rows).to_numpy()
    return angle + ROLL_OFFSET_DEG.get(mission.name, 0.0)


def _chandra_status(
    table: pl.DataFrame, rows: npt.NDArray[np.int64], instrument: str, args: tuple[Any, ...]
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float64]]:
    """Status on Chandra: the ``detector`` column picks -I or -S; unknown → both must agree."""
    s_i, off = classify(footprint("chandra", f"{instrument}-I"), *args)
    s_s, _ = classify(footprint("chandra", f"{instrument}-S"), *args)
    detector = (
        table["detector"].cast(pl.String).gather(rows).fill_null("").to_numpy().astype(str)
        if "detector" in table.columns
        else np.full(rows.size, "", dtype=str)
    )
    status = np.where(s_i == s_s, s_i, MAYBE).astype(np.int8)
    status = np.where(detector == f"{instrument}-I", s_i, status)
    status = np.where(detector == f"{instrument}-S", s_s, status)
    return status.astype(np.int8), off


def assess_pairs(
    table: pl.DataFrame,
    mission: Mission,
    instruments: tuple[str, ...],
    observed: npt.NDArray[np.bool_],
    rows: npt.ArrayLike,
    pos_ra: npt.ArrayLike,
    pos_dec: npt.ArrayLike,
) -> PairCoverage:
    """Decide each (position, table row) pair with the footprints of ``instruments``.

    ``observed`` is (table rows × instruments): did the instrument observe in the row (an
    instrument that did not observe covers nothing). ``rows`` index ``table``; ``pos_ra``,
    ``pos_dec`` are the pairs' positions (degrees, the mission's frame).
    """
    rows = np.asarray(rows, dtype=np.int64)
    pra, pdec = np.asarray(pos_ra, dtype=np.float64), np.asarray(pos_dec, dtype=np.float64)
    ora, odec = table["ra"].to_numpy()[rows], table["dec"].to_numpy()[rows]
    n, k = rows.size, len(instruments)
    per = np.zeros((n, k), dtype=np.int8)
    owner = pl.Series("owner_tile", [None] * n, dtype=pl.String)
    if is_box_mission(mission):
        from daxa.sky.geometry import angular_separation

        _require_boxes(table)
        box = [table[c].to_numpy()[rows] for c in BOX_COLUMNS]
        inside = in_box(pra, pdec, *box)
        off = angular_separation(pra, pdec, ora, odec) * 60.0
        per[:] = np.where(inside, YES, NO)[:, None]
        obs_id = table["obs_id"].gather(rows)
        owner = pl.select(
            pl.when(pl.Series(inside)).then(obs_id).otherwise(None).alias("owner_tile")
        ).to_series()
    else:
        args = (pra, pdec, ora, odec, _angles(table, mission, rows))
        off = np.zeros(n)
        for j, name in enumerate(instruments):
            if mission.name == "chandra":
                per[:, j], off = _chandra_status(table, rows, name, args)
            else:
                per[:, j], off = classify(footprint(mission.name, name), *args)
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
    return PairCoverage(
        best, np.asarray(off, dtype=np.float64), instrument, per > NO, owner, rows, table, mission
    )


def pair_regions(
    table: pl.DataFrame, mission: Mission, rows: npt.NDArray[np.int64], instrument: pl.Series
) -> pl.Series:
    """STC-S ``s_region`` of each pair's footprint (its instrument, at the row's pointing and
    roll), made once per distinct (row, instrument) and gathered."""
    from daxa.footprints.stcs import box_strings, region_strings

    out = pl.Series("s_region", [None] * rows.size, dtype=pl.String)
    if rows.size == 0:
        return out
    names = instrument.fill_null("").to_numpy().astype(str)
    key = rows * 64 + np.searchsorted(np.unique(names), names)
    _, first, back = np.unique(key, return_index=True, return_inverse=True)
    u_rows, u_names = rows[first], names[first]
    text = np.full(first.size, None, dtype=object)
    if is_box_mission(mission):
        box = [table[c].to_numpy()[u_rows] for c in BOX_COLUMNS]
        text[:] = box_strings(*box, mission.frame)
    else:
        ra, dec = table["ra"].to_numpy()[u_rows], table["dec"].to_numpy()[u_rows]
        angle = np.broadcast_to(_angles(table, mission, u_rows), u_rows.shape)
        detector = (
            table["detector"].cast(pl.String).fill_null("").to_numpy().astype(str)[u_rows]
            if mission.name == "chandra" and "detector" in table.columns
            else np.full(u_rows.size, "", dtype=str)
        )
        for name in np.unique(u_names[u_names != ""]):
            at = u_names == name
            for shape, mask, factor in _row_shapes(mission, str(name), detector, at):
                sel = np.flatnonzero(mask)
                if sel.size:
                    text[sel] = region_strings(
                        shape, ra[sel], dec[sel], factor * angle[sel], mission.frame
                    )
    return pl.Series("s_region", text[back].tolist(), dtype=pl.String)


def _row_shapes(
    mission: Mission, instrument: str, detector: npt.NDArray[np.str_], at: npt.NDArray[np.bool_]
) -> list[tuple[Any, npt.NDArray[np.bool_], float]]:
    """(shape, rows, angle factor) for the rows ``at`` of one instrument; rows whose Chandra
    detector is unknown get the wider shape with the angle unknown (factor NaN)."""
    if mission.name != "chandra":
        return [(footprint(mission.name, instrument), at, 1.0)]
    i, s = footprint("chandra", f"{instrument}-I"), footprint("chandra", f"{instrument}-S")
    is_i, is_s = detector == f"{instrument}-I", detector == f"{instrument}-S"
    wider = i if i.outer_arcmin >= s.outer_arcmin else s
    return [(i, at & is_i, 1.0), (s, at & is_s, 1.0), (wider, at & ~is_i & ~is_s, np.nan)]


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
