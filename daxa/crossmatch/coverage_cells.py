"""Coverage summary of wide fields without the pairs: by HEALPix cells, or the compiled walk.

In numpy, :func:`sum_by_cells` counts a cell of positions wholly inside an observation's radius
once for all its positions and decides only cells on a radius edge position by position; with
numba, :func:`sum_by_tree` runs the dual-tree walk of :mod:`daxa.sky.cap_cover` on the fields
:func:`tree_fields` makes. Both give the counts the pairs would.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.coverage_totals import MAX_PAIRS, CoverClass, Totals, starts_ends
from daxa.crossmatch.inputs import HPX
from daxa.crossmatch.mission_tables import MissionTable, expected_pairs_per_position
from daxa.sky import cap_cover

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Rounding guard when deciding that a whole cell is inside or outside a radius.
GUARD_DEG = 1e-9


def cell_order(n_pos: int, area_deg2: float, table: MissionTable) -> int:
    """The HEALPix order of position cells that makes the least work for this table."""
    assert isinstance(table.radius, np.ndarray)
    r = np.radians(np.minimum(table.radius, 180.0))
    best, best_cost = 8, math.inf
    for k in range(2, 13):
        side = math.sqrt(41253.0 / (12 * 4**k))
        rho = math.radians(0.8 * side)
        n_cells = min(n_pos, max(1.0, area_deg2 / side**2))
        cell_pairs = n_cells * float(((1 - np.cos(np.minimum(r + rho, np.pi))) / 2).sum())
        edge = float((np.sin(np.minimum(r, np.pi / 2)) * 2 * np.pi * 2 * rho / (4 * np.pi)).sum())
        cost = cell_pairs + n_pos * edge
        if cost < best_cost:
            best, best_cost = k, cost
    return best


def sum_by_cells(
    positions: pl.DataFrame,
    table: MissionTable,
    classes: list[CoverClass],
    rows: IntArray,
    totals: list[Totals],
    order: int,
) -> None:
    """Sum by HEALPix cells of positions; only cells on a radius edge go position by position."""
    from daxa.sky.geometry import angular_separation, loosen, separation_from_xyz, xyz
    from daxa.sky.pairs import pair_search

    assert isinstance(table.radius, np.ndarray)
    hpx = positions[HPX].to_numpy()
    sorter = np.argsort(hpx, kind="stable") if not positions[HPX].is_sorted() else None
    pos_idx = sorter if sorter is not None else np.arange(hpx.size)
    cell_key = hpx[pos_idx] >> (2 * (29 - order))
    first = np.flatnonzero(np.concatenate(([True], cell_key[1:] != cell_key[:-1])))
    n_cells = first.size
    bounds = np.append(first, cell_key.size)
    members = np.repeat(np.arange(n_cells), np.diff(bounds))  # cell of each sorted position
    ra_s = positions["ra"].to_numpy()[pos_idx]
    dec_s = positions["dec"].to_numpy()[pos_idx]
    x, y, z = xyz(ra_s, dec_s)
    cx = np.bincount(members, weights=x, minlength=n_cells)
    cy = np.bincount(members, weights=y, minlength=n_cells)
    cz = np.bincount(members, weights=z, minlength=n_cells)
    norm = np.sqrt(cx * cx + cy * cy + cz * cz)
    c_ra = np.degrees(np.arctan2(cy, cx)) % 360.0
    c_dec = np.degrees(np.arcsin(np.clip(cz / norm, -1.0, 1.0)))
    rho = np.zeros(n_cells)
    np.maximum.at(rho, members, angular_separation(ra_s, dec_s, c_ra[members], c_dec[members]))
    rho = rho * (1 + 1e-12) + GUARD_DEG
    rho_max = float(rho.max(initial=0.0))

    ox, oy, oz = xyz(table.ra, table.dec)
    start, end = starts_ends(table)
    cell_totals = [Totals.zeros(n_cells) for _ in classes]
    bound_totals = [Totals.zeros(hpx.size) for _ in classes]
    o_ra, o_dec = table.ra[rows], table.dec[rows]
    search_r = np.minimum(table.radius[rows] + rho_max, 180.0)
    per_cell = max(1.0, expected_pairs_per_position([table], rho_max))
    step = max(1, int(MAX_PAIRS / per_cell))
    for a in range(0, n_cells, step):
        b = min(n_cells, a + step)
        p = pair_search(c_ra[a:b], c_dec[a:b], o_ra, o_dec, search_r, radius_of="right")
        cell = p.left + a
        obs = rows[p.right]
        s = p.separation
        r_cell = rho[cell]
        edge = np.zeros(cell.size, dtype=bool)
        parts: list[BoolArray] = []
        for cls, tot in zip(classes, cell_totals, strict=True):
            r = cls.radius[obs]  # type: ignore[index]
            near = s - r_cell <= r
            full = near & (s + r_cell <= r)
            if cls.applies is not None:
                ok = cls.applies[obs]
                full &= ok
                near &= ok
            part = near & ~full  # the radius edge crosses the cell: decide per position
            parts.append(part)
            edge |= part
            o = obs[full]
            tot.add(cell[full], cls.exposure[o], start[o], end[o])
        if not edge.any():
            continue
        e_cell, e_obs = cell[edge], obs[edge]
        e_parts = [part[edge] for part in parts]
        sizes = bounds[e_cell + 1] - bounds[e_cell]
        batch = max(1, int(MAX_PAIRS // max(1.0, float(sizes.mean()))))
        for lo in range(0, e_cell.size, batch):
            ec, eo, sz = e_cell[lo : lo + batch], e_obs[lo : lo + batch], sizes[lo : lo + batch]
            rep = np.repeat(np.arange(ec.size), sz)
            offs = np.arange(rep.size) - np.repeat(np.cumsum(sz) - sz, sz)
            pos = bounds[ec][rep] + offs  # index into the HEALPix-sorted positions
            ob = eo[rep]
            sep = separation_from_xyz(x[pos], y[pos], z[pos], ox[ob], oy[ob], oz[ob])
            for cls, tot, part in zip(classes, bound_totals, e_parts, strict=True):
                # only pairs whose cell the edge crosses for this line; the rest are done
                take = part[lo : lo + batch][rep]
                take &= sep <= loosen(cls.radius[ob])  # type: ignore[index]
                o = ob[take]
                tot.add(pos[take], cls.exposure[o], start[o], end[o])
    for tot, ctot, btot in zip(totals, cell_totals, bound_totals, strict=True):
        btot.merge_from(ctot, members)
        # back from sorted order to the chunk's row order
        if sorter is not None:
            inv = np.empty_like(sorter)
            inv[sorter] = np.arange(sorter.size)
            btot = Totals(btot.count[inv], btot.exposure[inv], btot.first[inv], btot.last[inv])
        tot.count += btot.count
        tot.exposure += btot.exposure
        np.minimum(tot.first, btot.first, out=tot.first)
        np.maximum(tot.last, btot.last, out=tot.last)


def tree_fields(table: MissionTable, classes: list[CoverClass]) -> cap_cover.Fields:
    """All rows of ``table`` as fields of the compiled walk, one class per summary line."""
    start, end = starts_ends(table)
    radius = np.empty((len(classes), table.ra.size))
    weight = np.empty((len(classes), table.ra.size), dtype=np.int64)
    for c, cls in enumerate(classes):
        assert cls.radius is not None
        radius[c] = cls.radius if cls.applies is None else np.where(cls.applies, cls.radius, np.nan)
        weight[c] = cls.exposure  # whole milliseconds
    return cap_cover.prepare_fields(table.ra, table.dec, radius, weight, start, end)


def sum_by_tree(
    tree: cap_cover.SkyTree,
    fields: cap_cover.Fields,
    totals: list[Totals],
    threads: int | None = None,
) -> None:
    """Sum by the compiled walk of :mod:`daxa.sky.cap_cover` (numba): the fastest way."""
    got = cap_cover.cap_totals(tree, fields, threads=threads)
    for c, tot in enumerate(totals):
        tot.count += got.count[c]
        tot.exposure += got.weight[c]
        np.minimum(tot.first, got.first[c], out=tot.first)
        np.maximum(tot.last, got.last[c], out=tot.last)
