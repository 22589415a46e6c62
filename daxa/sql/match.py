"""Positions → observations pairs in DuckDB, the same pairs as the Python positions filter.

The join never compares every position with every observation. Each observation row gets its
own radius (DESIGN §3, see :mod:`daxa.sql.radius`) and from it a HEALPix order whose 3 × 3
cell blocks contain its cone (:func:`join_orders`); each position gets its cell and neighbours
at every order in use (computed here with numpy and handed to DuckDB as an Arrow table);
DuckDB hash-joins them on one integer key per (order, cell) with the observation's
``_healpix_29`` coarsened to that order, drops candidates beyond a squared-chord bound, and keeps
pairs whose separation is within the radius (inclusive, with daxa.sky's tolerance). Radii above
~35° (Swift BAT) cannot be narrowed by cells: those rows meet every position.

Measured on the 12 missions at real sizes (655k rows), 1e5 random positions, default radii with
Swift XRT only and INTEGRAL left out: 573k pairs, identical to the Python positions filter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from daxa.errors import InputError
from daxa.inputs import PositionTable, read_positions
from daxa.missions import get_mission
from daxa.sky.healpix import MAX_ORDER, healpix_index
from daxa.sql.cone import neighbour_cells, orders_for_radii
from daxa.sql.radius import (
    RadiusLike,
    covering_sql,
    double_literal,
    instrument_radii,
    radius_sql,
)
from daxa.sql.views import quote_literal

CELLS_TABLE = "__daxa_position_cells"

#: The finest order the join uses: the cell keys keep ``order + 1`` in the 2 × (29 - order)
#: low bits of the cell's first order-29 index, which need at least 6 free bits. A coarser
#: order than a radius allows is always correct (bigger blocks), only slower, and order 26
#: cells are 3 milliarcseconds wide.
MAX_JOIN_ORDER = 26

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


def read(positions: Any, id: str | bool | None = False) -> PositionTable:
    """``positions`` in any form of :func:`daxa.inputs.read_positions` (no rows is fine)."""
    if isinstance(positions, PositionTable):
        return positions
    return read_positions(positions, id=id, allow_empty=True)


def positions_radec(
    positions: Any, frame: str = "icrs"
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """RA and Dec in degrees of ``positions`` (any input of :mod:`daxa.inputs`; a SkyCoord is
    transformed to ``frame``); InputError on NaN or |dec| > 90. Plain numbers are taken to be
    in every mission's own frame, as the positions filter takes them."""
    return read(positions).in_frame(frame)


def cells_table(
    ra: npt.NDArray[np.float64],
    dec: npt.NDArray[np.float64],
    orders: npt.NDArray[np.int64] | Iterable[int],
    *,
    also: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
) -> pa.Table:
    """(pos_index, cell_key): each position's 3 × 3 cell block at the orders in use.

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
    hpx29 = healpix_index(ra, dec) if ra.size else np.empty(0, np.int64)
    idx_parts, key_parts = [index[:0]], [index[:0]]
    for order, rows in groups:
        if order < 0:
            cells = np.zeros((rows.size, 1), dtype=np.int64)
        else:
            cells = neighbour_cells(ra[rows], dec[rows], order, hpx29=hpx29[rows])
        idx_parts.append(np.repeat(rows, cells.shape[1]))
        key_parts.append(np.where(cells >= 0, cell_key(cells, order), -1).ravel())
    key = np.concatenate(key_parts)
    keep = key >= 0  # a few cells have 7 neighbours, not 8
    return pa.table({"pos_index": np.concatenate(idx_parts)[keep], "cell_key": key[keep]})


def cell_key(cells: npt.NDArray[np.int64], order: int) -> npt.NDArray[np.int64]:
    """One BIGINT per (order, cell): the cell's first order-29 index with ``order + 1`` in the
    low bits (free, since orders are at most :data:`MAX_JOIN_ORDER`); order -1 is key 0.

    >>> cell_key(np.array([5]), 0).tolist() == [(5 << 58) + 1]
    True
    """
    if order < 0:
        return np.zeros_like(cells)
    return (cells << (2 * (MAX_ORDER - order))) + (order + 1)


def cell_key_sql(hpx29: str, order: str) -> str:
    """SQL of :func:`cell_key` for a row's ``_healpix_29`` at an order (an SQL expression)."""
    shift = f"(2 * ({MAX_ORDER} - {order}))"
    return (
        f"CASE WHEN {order} < 0 THEN 0 ELSE (({hpx29} >> {shift}) << {shift}) + ({order} + 1) END"
    )


def join_orders(radii_deg: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The HEALPix order the join uses for each radius (see :data:`MAX_JOIN_ORDER`).

    >>> join_orders([0.25, 1e-9, 40.0]).tolist()
    [7, 26, -1]
    """
    return np.minimum(orders_for_radii(radii_deg), MAX_JOIN_ORDER)


def _order_case(radius_expr: str, radii: Iterable[float]) -> str:
    """SQL mapping each possible radius value to its join order (exact literal equality)."""
    values = sorted(set(radii))
    orders = join_orders(values).tolist()
    whens = " ".join(
        f"WHEN {double_literal(r)} THEN {k}" for r, k in zip(values, orders, strict=True)
    )
    return f"CASE {radius_expr} {whens} END"


def loosened(radius_sql_expr: str) -> str:
    """SQL of the radius every inclusive comparison uses, as daxa.sky does:
    r (1 + 1e-12) + 1e-12 degrees, so a point exactly on the circle is in despite rounding."""
    return f"({radius_sql_expr} * (1.0 + 1e-12) + 1e-12)"


def chord2_limit_sql(radius_sql_expr: str) -> str:
    """SQL of a squared-chord bound every pair within the (loosened) radius satisfies."""
    half = f"radians(least({loosened(radius_sql_expr)}, 180.0)) / 2"
    return f"(4.0 * sin({half}) * sin({half}) * (1.0 + 1e-9) + 1e-300)"


def chord2_limit(radius_deg: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """:func:`chord2_limit_sql` in numpy (for radii given per position)."""
    half = np.radians(np.minimum(radius_deg * (1.0 + 1e-12) + 1e-12, 180.0)) / 2
    return 4.0 * np.sin(half) ** 2 * (1.0 + 1e-9) + 1e-300


def xyz_sql(ra: str, dec: str) -> tuple[str, str, str]:
    """SQL of the unit-vector components of (ra, dec) in degrees."""
    return (
        f"cos(radians({dec})) * cos(radians({ra}))",
        f"cos(radians({dec})) * sin(radians({ra}))",
        f"sin(radians({dec}))",
    )


def unit_vectors(
    ra: npt.NDArray[np.float64], dec: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """numpy unit-vector components, the same formula as :func:`xyz_sql`."""
    r, d = np.radians(ra), np.radians(dec)
    return np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)


def pairs_sql(
    missions: Sequence[str],
    columns: Mapping[str, set[str]],
    *,
    instruments: Mapping[str, Iterable[str] | None],
    radius: RadiusLike,
    per_position: bool,
    position_orders: Iterable[int] = (),
    fk5_columns: bool = False,
) -> str:
    """The join that gives the pairs, over the ``observations`` view and the cells table.

    The cells table (:func:`candidates_table`) holds pos_index, cell_key and the
    position's unit vector x, y, z (and x_fk5, y_fk5, z_fk5 when ``fk5_columns``; radius_deg
    and limit2 when ``per_position``). ``columns`` holds each mission's view columns. With
    ``per_position`` the radius is the cells table's ``radius_deg`` (``radius`` is ignored) and
    observations are keyed at every order in ``position_orders``; otherwise each observation
    row is keyed at its own radius's order.

    Only a row id, unit vectors and radii go through the cell join; candidates pass a squared
    chord bound (plain arithmetic) before the separation is computed from the chord as daxa.sky
    does, and the survivors get their mission, ObsID and covering instruments by joining back
    on the row id.
    """
    if per_position:
        radius = None  # only which instruments observed matters
    radius_cases, order_cases, covering_cases = [], [], []
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
            separation="n.separation_deg",
            per_position_radius="n.reach" if per_position else None,
        )
        covering_cases.append(f"{when} {cover}")
    in_missions = ", ".join(quote_literal(m) for m in missions)
    fk5 = [quote_literal(m) for m in missions if get_mission(m).frame == "fk5"]
    is_fk5 = f"mission IN ({', '.join(fk5)})" if fk5 and fk5_columns else "false"
    ox, oy, oz = xyz_sql("ra", "dec")
    obs = (
        f"SELECT row_number() OVER () AS oid, *, "
        f"CASE mission {' '.join(radius_cases)} END AS obs_radius, "
        f"CASE mission {' '.join(order_cases)} END AS obs_order, {is_fk5} AS is_fk5 "
        f"FROM observations WHERE mission IN ({in_missions})"
    )
    keyed = (
        f"SELECT oid, _healpix_29, obs_radius, obs_order, is_fk5, {ox} AS ox, {oy} AS oy, "
        f"{oz} AS oz, {chord2_limit_sql('obs_radius')} AS obs_limit2 FROM obs"
    )
    if per_position:
        orders = ", ".join(map(str, sorted(set(position_orders)) or [MAX_ORDER]))
        keyed = (
            f"SELECT o.* REPLACE (k.hpx_order AS obs_order) FROM ({keyed}) o, "
            f"(SELECT unnest([{orders}]) AS hpx_order) k"
        )
        reach, limit2 = "c.radius_deg", "c.limit2"
    else:
        reach, limit2 = "o.obs_radius", "o.obs_limit2"
    keyed = (
        f"SELECT *, {cell_key_sql('_healpix_29', 'obs_order')} AS cell_key "
        f"FROM ({keyed}) WHERE obs_radius IS NOT NULL"
    )
    if fk5_columns:
        px, py, pz = (f"CASE WHEN o.is_fk5 THEN c.{a}_fk5 ELSE c.{a} END" for a in "xyz")
    else:
        px, py, pz = "c.x", "c.y", "c.z"
    candidates = (
        f"SELECT c.pos_index, o.oid, {reach} AS reach, {limit2} AS limit2, "
        f"{px} - o.ox AS dx, {py} - o.oy AS dy, {pz} - o.oz AS dz, "
        f"{px} + o.ox AS sx, {py} + o.oy AS sy, {pz} + o.oz AS sz "
        f"FROM {CELLS_TABLE} c JOIN ({keyed}) o ON c.cell_key = o.cell_key"
    )
    # separation from the chord, accurate at every angle (as daxa.sky.geometry computes it)
    separation = (
        "CASE WHEN d2 <= 2.0 THEN degrees(2.0 * asin(sqrt(d2) * 0.5)) "
        "ELSE 180.0 - degrees(2.0 * asin(least(sqrt(sx * sx + sy * sy + sz * sz) * 0.5, 1.0))) "
        "END"
    )
    near = (
        f"SELECT pos_index, oid, reach, {separation} AS separation_deg FROM ("
        f"SELECT *, dx * dx + dy * dy + dz * dz AS d2 FROM ({candidates})) "
        f"WHERE d2 <= limit2"
    )
    near = f"SELECT * FROM ({near}) WHERE separation_deg <= {loosened('reach')}"
    covering = f"CASE o.mission {' '.join(covering_cases)} END"
    return (
        f"WITH obs AS MATERIALIZED ({obs}) "
        f"SELECT n.pos_index, o.mission, o.obs_id, n.separation_deg, {covering} AS instruments "
        f"FROM ({near}) n JOIN obs o ON o.oid = n.oid"
    )


def candidates_table(positions: pa.Table, cells: pa.Table) -> pa.Table:
    """The cells table with each position's coordinates (and radius) alongside its cells.

    The FK5 columns are left out when they equal the plain ones (positions given as numbers).
    """
    rows = cells["pos_index"].to_numpy()
    columns = {name: cells[name] for name in cells.column_names}
    same = positions_share_frames(positions)
    for name in positions.column_names:
        if name in ("pos_index", "ra", "dec", "ra_fk5", "dec_fk5") or (same and "_fk5" in name):
            continue
        columns[name] = pa.array(positions[name].to_numpy()[rows])
    return pa.table(columns)


def positions_share_frames(positions: pa.Table) -> bool:
    """True when the positions' FK5 columns equal the plain ones (numbers, not a SkyCoord)."""
    return bool(
        np.array_equal(positions["ra"].to_numpy(), positions["ra_fk5"].to_numpy())
        and np.array_equal(positions["dec"].to_numpy(), positions["dec_fk5"].to_numpy())
    )


def prepare_positions(
    positions: Any, radius: RadiusLike | npt.ArrayLike
) -> tuple[pa.Table, npt.NDArray[np.float64] | None]:
    """The positions table and the per-position radii (None unless one radius per position).

    Columns: pos_index, ra, dec (ICRS for a SkyCoord), ra_fk5, dec_fk5 (the same positions in
    FK5 J2000, for missions whose pointings are FK5), their unit vectors x, y, z and x_fk5,
    y_fk5, z_fk5, and radius_deg, limit2 (squared-chord bound) when per position.
    """
    given = read(positions)
    ra, dec = given.in_frame("icrs")
    ra_fk5, dec_fk5 = given.in_frame("fk5")
    per_position = _per_position_radii(radius, ra.size)
    x, y, z = unit_vectors(ra, dec)
    x5, y5, z5 = unit_vectors(ra_fk5, dec_fk5)
    table = {
        "pos_index": np.arange(ra.size, dtype=np.int64),
        "ra": ra,
        "dec": dec,
        "ra_fk5": ra_fk5,
        "dec_fk5": dec_fk5,
        "x": x,
        "y": y,
        "z": z,
        "x_fk5": x5,
        "y_fk5": y5,
        "z_fk5": z5,
    }
    if per_position is not None:
        table["radius_deg"] = per_position
        table["limit2"] = chord2_limit(per_position)
    return pa.table(table), per_position


def _per_position_radii(radius: object, n: int) -> npt.NDArray[np.float64] | None:
    if radius is None or isinstance(radius, Mapping) or np.ndim(radius) == 0:  # type: ignore[arg-type]
        return None
    from daxa.inputs import angles_deg

    arr = angles_deg(radius, what="radius")
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
