"""Positions → observations pairs in DuckDB, the same pairs as the Python positions filter.

The join never compares every position with every observation. Each observation row gets its
own radius (DESIGN §3, see :mod:`daxa.sql.radius`) and from it a HEALPix order whose 3 × 3
cell blocks contain its cone (:func:`daxa.sql.cone.order_for_radius`); each position gets its
cell and neighbours at every order in use; DuckDB hash-joins on (order, cell) with the
observation's ``_healpix_29`` shifted to that order, then keeps pairs with
``ang_sep <= radius`` (inclusive). Radii above ~29° (Swift BAT) cannot be narrowed by cells:
those rows meet every position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from daxa.errors import InputError
from daxa.missions import get_mission
from daxa.sky.healpix import MAX_ORDER
from daxa.sql.cone import neighbour_cells, order_for_radius
from daxa.sql.radius import (
    RadiusLike,
    covering_sql,
    double_literal,
    instrument_radii,
    radius_sql,
)
from daxa.sql.views import quote_literal

POSITIONS_TABLE = "__daxa_positions"
CELLS_TABLE = "__daxa_position_cells"

#: Columns of the pairs table, in order.
PAIR_SCHEMA = {
    "pos_index": pl.Int64(),
    "mission": pl.String(),
    "obs_id": pl.String(),
    "separation_deg": pl.Float64(),
    "instruments": pl.List(pl.String()),
}


def is_skycoord(value: Any) -> bool:
    return type(value).__name__ == "SkyCoord" and type(value).__module__.startswith("astropy")


def positions_radec(
    positions: Any, frame: str = "icrs"
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """RA and Dec in degrees from a frame with ra/dec columns, a SkyCoord (transformed to
    ``frame``), a (ra, dec) pair of sequences or an (n, 2) array; InputError on NaN or
    |dec| > 90. Plain numbers are taken to be in every mission's own frame, as the positions
    filter takes them."""
    if is_skycoord(positions):
        moved = positions.transform_to(frame)
        ra = np.atleast_1d(moved.spherical.lon.deg)
        dec = np.atleast_1d(moved.spherical.lat.deg)
    elif isinstance(positions, tuple) and len(positions) == 2:
        ra, dec = np.atleast_1d(positions[0]), np.atleast_1d(positions[1])
    elif isinstance(positions, np.ndarray | list):
        arr = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
        ra, dec = arr[:, 0], arr[:, 1]
    else:
        from daxa.frames import to_polars

        table = to_polars(positions, what="positions")
        lower = {c.lower(): c for c in table.columns}
        if "ra" not in lower or "dec" not in lower:
            raise InputError(
                f"positions need 'ra' and 'dec' columns (degrees); got {table.columns}"
            )
        ra = table[lower["ra"]].to_numpy()
        dec = table[lower["dec"]].to_numpy()
    ra = np.asarray(ra, dtype=np.float64)
    dec = np.asarray(dec, dtype=np.float64)
    if ra.shape != dec.shape:
        raise InputError(f"positions have {ra.size} RA values but {dec.size} Dec values")
    bad = np.flatnonzero(~np.isfinite(ra) | ~np.isfinite(dec) | (np.abs(dec) > 90))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"position {i} (ra={ra[i]!r}, dec={dec[i]!r}) is not a valid sky position "
            f"({bad.size} bad in all); RA and Dec must be finite degrees with |dec| <= 90"
        )
    return np.mod(ra, 360.0), dec


def cells_table(
    ra: npt.NDArray[np.float64],
    dec: npt.NDArray[np.float64],
    orders: npt.NDArray[np.int64] | Iterable[int],
    *,
    also: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
) -> pa.Table:
    """(pos_index, hpx_order, cell): each position's 3 × 3 cell block at the orders in use.

    ``orders``: one order per position (per-position radii), or a set of orders every position
    needs (per-observation radii). Order -1 (no cell can hold the cone) uses cell 0 throughout.
    ``also``: the same positions in another frame; their cells are added (duplicates dropped).
    """
    if also is not None and not (np.array_equal(also[0], ra) and np.array_equal(also[1], dec)):
        both = pl.concat(
            [
                pl.DataFrame(pl.from_arrow(cells_table(ra, dec, orders))),
                pl.DataFrame(pl.from_arrow(cells_table(also[0], also[1], orders))),
            ]
        )
        return both.unique(maintain_order=True).to_arrow()
    index = np.arange(ra.size, dtype=np.int64)
    if isinstance(orders, np.ndarray):
        groups = [(int(k), index[orders == k]) for k in np.unique(orders)]
    else:
        groups = [(int(k), index) for k in sorted(set(orders))]
    idx_parts, order_parts, cell_parts = [index[:0]], [np.empty(0, np.int32)], [index[:0]]
    for order, rows in groups:
        if order < 0:
            idx, cells = rows, np.zeros(rows.size, dtype=np.int64)
        else:
            block = neighbour_cells(ra[rows], dec[rows], order)
            keep = block >= 0
            idx = np.broadcast_to(rows[:, None], block.shape)[keep]
            cells = block[keep]
        idx_parts.append(idx)
        order_parts.append(np.full(idx.size, order, dtype=np.int32))
        cell_parts.append(cells)
    return pa.table(
        {
            "pos_index": np.concatenate(idx_parts),
            "hpx_order": np.concatenate(order_parts),
            "cell": np.concatenate(cell_parts),
        }
    )


def _order_case(radius_expr: str, radii: Iterable[float]) -> str:
    """SQL mapping each possible radius value to its HEALPix order (exact literal equality)."""
    whens = " ".join(
        f"WHEN {double_literal(r)} THEN {order_for_radius(r)}" for r in sorted(set(radii))
    )
    return f"CASE {radius_expr} {whens} END"


def pairs_sql(
    missions: Sequence[str],
    columns: Mapping[str, set[str]],
    *,
    instruments: Mapping[str, Iterable[str] | None],
    radius: RadiusLike,
    per_position: bool,
    position_orders: Iterable[int] = (),
) -> str:
    """The join that gives the pairs, over the ``observations`` view and the two position tables.

    ``columns`` holds each mission's view columns. With ``per_position`` the radius is the
    positions table's ``radius_deg`` (``radius`` is ignored) and observations are keyed at every
    order in ``position_orders``; otherwise each observation row is keyed at its own radius's
    order.
    """
    if per_position:
        radius = None  # only which instruments observed matters
    radius_cases, order_cases, covering_cases = [], [], []
    fk5 = [quote_literal(m) for m in missions if get_mission(m).frame == "fk5"]
    if fk5:
        in_fk5 = f"o.mission IN ({', '.join(fk5)})"
        p_ra = f"CASE WHEN {in_fk5} THEN p.ra_fk5 ELSE p.ra END"
        p_dec = f"CASE WHEN {in_fk5} THEN p.dec_fk5 ELSE p.dec END"
    else:
        p_ra, p_dec = "p.ra", "p.dec"
    sep = f"ang_sep({p_ra}, {p_dec}, o.ra, o.dec)"
    for mission in missions:
        cols = columns[mission]
        chosen = instruments.get(mission)
        r_expr = radius_sql(mission, chosen, radius, columns=cols)
        when = f"WHEN {quote_literal(mission)} THEN"
        radius_cases.append(f"{when} {r_expr}")
        radii = instrument_radii(mission, chosen, radius).values()
        order_cases.append(f"{when} {_order_case(r_expr, radii)}")
        cover = covering_sql(
            mission,
            chosen,
            radius,
            columns=cols,
            separation=sep,
            per_position_radius="p.radius_deg" if per_position else None,
        )
        covering_cases.append(f"{when} {cover}")
    in_missions = ", ".join(quote_literal(m) for m in missions)
    obs = (
        f"SELECT *, CASE mission {' '.join(radius_cases)} END AS obs_radius, "
        f"CASE mission {' '.join(order_cases)} END AS obs_order "
        f"FROM observations WHERE mission IN ({in_missions})"
    )
    if per_position:
        orders = ", ".join(map(str, sorted(set(position_orders)) or [MAX_ORDER]))
        obs = (
            f"SELECT o.* REPLACE (k.hpx_order AS obs_order) FROM ({obs}) o, "
            f"(SELECT unnest([{orders}]) AS hpx_order) k"
        )
        reach = "p.radius_deg"
    else:
        reach = "o.obs_radius"
    keyed = (
        f"SELECT *, CASE WHEN obs_order < 0 THEN 0 "
        f"ELSE _healpix_29 >> (2 * ({MAX_ORDER} - obs_order)) END AS cell "
        f"FROM ({obs}) WHERE obs_radius IS NOT NULL"
    )
    covering = f"CASE o.mission {' '.join(covering_cases)} END"
    return (
        f"SELECT c.pos_index, o.mission, o.obs_id, {sep} AS separation_deg, "
        f"{covering} AS instruments "
        f"FROM {CELLS_TABLE} c JOIN ({keyed}) o "
        f"ON c.hpx_order = o.obs_order AND c.cell = o.cell "
        f"JOIN {POSITIONS_TABLE} p ON p.pos_index = c.pos_index "
        f"WHERE {sep} <= {reach} "
        f"ORDER BY c.pos_index, o.mission, o.obs_id"
    )


def prepare_positions(
    positions: Any, radius: RadiusLike | npt.ArrayLike
) -> tuple[pa.Table, npt.NDArray[np.float64] | None]:
    """The positions table and the per-position radii (None unless one radius per position).

    Columns: pos_index, ra, dec (ICRS for a SkyCoord), ra_fk5, dec_fk5 (the same positions in
    FK5 J2000, for missions whose pointings are FK5), radius_deg when per position.
    """
    ra, dec = positions_radec(positions, "icrs")
    ra_fk5, dec_fk5 = positions_radec(positions, "fk5") if is_skycoord(positions) else (ra, dec)
    per_position = _per_position_radii(radius, ra.size)
    table = {
        "pos_index": np.arange(ra.size, dtype=np.int64),
        "ra": ra,
        "dec": dec,
        "ra_fk5": ra_fk5,
        "dec_fk5": dec_fk5,
    }
    if per_position is not None:
        table["radius_deg"] = per_position
    return pa.table(table), per_position


def _per_position_radii(radius: object, n: int) -> npt.NDArray[np.float64] | None:
    if radius is None or isinstance(radius, Mapping) or np.ndim(radius) == 0:  # type: ignore[arg-type]
        return None
    unit = getattr(radius, "unit", None)
    values = radius.to_value("deg") if unit is not None else radius  # type: ignore[attr-defined]
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise InputError(
            f"give one radius per position: {n} positions but radii of shape {arr.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
    if bad.size:
        raise InputError(
            f"radius {int(bad[0])} is {arr[bad[0]]!r}; radii must be finite degrees >= 0"
        )
    return arr


def check_missions(missions: Iterable[str], cached: Sequence[str]) -> list[str]:
    """Canonical names of the requested missions that are cached, in registry order."""
    wanted = [get_mission(m).name for m in missions]
    return [m for m in cached if m in wanted]


__all__ = [
    "PAIR_SCHEMA",
    "check_missions",
    "pairs_sql",
    "positions_radec",
    "prepare_positions",
]
