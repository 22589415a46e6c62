"""The fields of :mod:`daxa.sky.cap_cover`: caps grouped into a field tree with per-cell totals.

One job: turn field centres, radii per class, integer weights and start/end times into
:class:`Fields` (one *job* per field and distinct radius, a field tree over the jobs, each cell's
inner/outer bounds and totals, and the padded arrays the compiled walk reads), made once per
table and walked against any position tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from daxa.sky.cap_tree import (
    GUARD_DEG,
    FloatArray,
    IntArray,
    SkyTree,
    _chord2,
    _ranges,
    _sorted_tree,
)
from daxa.sky.geometry import loosen, xyz

#: A field cell holding at most this many fields is a leaf (its fields tested a window at a time).
FIELD_LEAF = 32
#: HEALPix order of the largest field cells (7.3 degrees), the roots every block of positions
#: starts its walk from.
TOP_ORDER = 3
#: HEALPix order (0.46 degrees) from which a field cell of few fields is a leaf: a coarser
#: leaf would widen the band along its edges where positions are tested field by field.
LEAF_ORDER = 7
#: Relative padding of the squared-chord bounds used on single pairs.
CHORD_PAD = 1e-9
#: Radii of one field closer than this (relative) are walked together.
SAME_RADIUS = 1e-6
#: Fields a leaf loop tests at once (a fixed count, so the loop vectorises without a tail).
WINDOW = 16
_BIG = np.iinfo(np.int64).max
_SMALL = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Fields:
    """Fields ready to walk any position tree: made once per table by :func:`prepare_fields`.

    A *job* is one field with one radius (``r_lo``..``r_hi``) and the mask of classes it
    counts in; ``tree`` is the field tree over the jobs (its points), and per field cell
    ``cell_geom`` holds the centre, sin/cos of half the inner and outer radii (the radius less
    or plus the cell's spread) and their squared chords, ``cell_acc`` the cell's totals.
    """

    radius: FloatArray  # (classes, fields)
    xyz: tuple[FloatArray, FloatArray, FloatArray]
    job_obs: IntArray
    job_mask: IntArray
    job_geom: FloatArray  # rows over jobs: centre x, y, z, squared-chord bounds (in, out)
    job_values: IntArray  # rows over jobs: weight per class, start, end
    tree: SkyTree
    cell_geom: FloatArray
    cell_mask: IntArray
    cell_acc: IntArray  # (cells, classes, [count, weight, first start, last end])

    @property
    def n_classes(self) -> int:
        return int(self.radius.shape[0])


def prepare_fields(
    ra: FloatArray,
    dec: FloatArray,
    radius: FloatArray,
    weight: IntArray,
    start: IntArray,
    end: IntArray,
) -> Fields:
    """Fields with centres ``ra``, ``dec`` (degrees), grouped for :func:`cap_totals`.

    ``radius`` and ``weight`` are (classes × fields): a field counts in class c with radius
    ``radius[c]`` (degrees, inclusive; NaN where it does not belong to the class) and adds
    ``weight[c]``, an integer (say milliseconds of exposure: integer sums do not depend on
    the order of addition, so threads, chunks and Dask give identical totals);
    ``start``/``end`` (int64) give the earliest start and latest end. Fields without finite
    coordinates cover nothing.
    """
    radius = np.array(np.atleast_2d(radius), dtype=np.float64)
    weight = np.atleast_2d(np.asarray(weight))
    if not np.issubdtype(weight.dtype, np.integer):
        raise TypeError(f"weight must be integers (got {weight.dtype}): round to a unit first")
    n_classes = radius.shape[0]
    if n_classes > 62:
        raise ValueError(f"{n_classes} classes: at most 62 fit the class mask")
    ra = np.asarray(ra, dtype=np.float64)
    dec = np.asarray(dec, dtype=np.float64)
    finite = np.isfinite(ra) & np.isfinite(dec)
    radius[:, ~finite] = np.nan
    # per field: weight of each class, start, end (one row: one cache line per addition)
    values = np.empty((ra.size, n_classes + 2), dtype=np.int64)
    values[:, :n_classes] = weight.T
    values[:, n_classes] = np.asarray(start, dtype=np.int64)
    values[:, n_classes + 1] = np.asarray(end, dtype=np.int64)
    ra, dec = np.where(finite, ra, 0.0), np.where(finite, dec, 0.0)
    ox, oy, oz = xyz(ra, dec)

    obs, r_lo, r_hi, mask = _jobs(radius)
    # the field tree: jobs sorted by (radius and classes, HEALPix index)
    from daxa.sky.healpix import healpix_index

    tag = _group_codes(r_lo, r_hi, mask)
    hpx = healpix_index(ra[obs], dec[obs])
    order = np.lexsort((hpx, tag)).astype(np.int64)
    obs, r_lo, r_hi, mask, tag = obs[order], r_lo[order], r_hi[order], mask[order], tag[order]
    jx, jy, jz = ox[obs], oy[obs], oz[obs]
    tree = _sorted_tree(order, hpx[order], tag, jx, jy, jz, FIELD_LEAF, TOP_ORDER, LEAF_ORDER)

    # geometry of each field cell: its jobs share r_lo, r_hi and mask
    first = tree.pos_lo
    spread = np.degrees(2.0 * tree.half)
    single = (tree.pos_hi - tree.pos_lo == 1) & (tree.child_lo < 0)
    spread[single] = 0.0
    r_in = np.maximum(r_lo[first] - GUARD_DEG - spread, 0.0)
    r_out = np.minimum(loosen(r_hi[first]) + GUARD_DEG + spread, 180.0)
    half_in, half_out = np.radians(r_in) * 0.5, np.radians(r_out) * 0.5
    cell_geom = np.stack(
        [
            tree.node_x,
            tree.node_y,
            tree.node_z,
            np.sin(half_in),
            np.cos(half_in),
            np.sin(half_out),
            np.cos(half_out),
            np.where(r_in > 0.0, _chord2(r_in) * (1.0 - CHORD_PAD), -1.0),
            np.where(r_out < 180.0, _chord2(r_out) * (1.0 + CHORD_PAD), np.inf),
            tree.half,
        ],
        axis=1,
    )
    out = loosen(r_hi)
    # rows over the jobs, padded so that a window read past the last job stays in bounds
    job_geom = np.zeros((5, obs.size + WINDOW))
    job_geom[:, : obs.size] = [
        jx,
        jy,
        jz,
        _chord2(r_lo) * (1.0 - CHORD_PAD),
        np.where(out < 180.0, _chord2(out) * (1.0 + CHORD_PAD), np.inf),
    ]
    job_values = np.zeros((n_classes + 2, obs.size + WINDOW), dtype=np.int64)
    job_values[:, : obs.size] = values[obs].T
    cell_mask = mask[first]
    cell_acc = _cell_totals(tree, obs, cell_mask, values, n_classes)
    return Fields(
        radius,
        (ox, oy, oz),
        obs,
        mask,
        job_geom,
        job_values,
        tree,
        cell_geom,
        cell_mask,
        cell_acc,
    )


def _group_codes(*keys: npt.NDArray[Any]) -> IntArray:
    """Dense codes of the distinct rows of ``keys`` (one array a column), in lexicographic
    order: one 1-D unique per column, not a unique over rows (sorting rows is ~10x slower)."""
    code = np.zeros(keys[0].size, dtype=np.int64)
    for key in keys:
        values, inverse = np.unique(key, return_inverse=True)
        # re-densified each time, so the codes never outgrow rows × distinct values
        code = np.unique(code * values.size + inverse.ravel(), return_inverse=True)[1].ravel()
    return code.astype(np.int64)


def _jobs(radius: FloatArray) -> tuple[IntArray, FloatArray, FloatArray, IntArray]:
    """One job per field and distinct radius: (field, r_lo, r_hi, mask of classes).

    Radii of one field within :data:`SAME_RADIUS` of each other (the mission total and the
    instrument that sets it) make one job; pairs between r_lo and r_hi are decided per class
    by :func:`_decide_ambiguous`.
    """
    cls, obs = np.nonzero(np.isfinite(radius) & (radius >= 0.0))
    r = radius[cls, obs]
    bit = np.left_shift(np.int64(1), cls.astype(np.int64))
    key = np.lexsort((r, obs))
    obs, r, bit = obs[key].astype(np.int64), r[key], bit[key]
    if obs.size == 0:
        return obs, r, r.copy(), bit
    step = r[1:] > r[:-1] * (1.0 + SAME_RADIUS) + 1e-12
    starts = np.flatnonzero(np.concatenate(([True], (obs[1:] != obs[:-1]) | step)))
    mask = np.bitwise_or.reduceat(bit, starts)
    r_hi = np.maximum.reduceat(r, starts)
    return obs[starts], r[starts], r_hi, mask


def _cell_totals(
    tree: SkyTree, obs: IntArray, mask: IntArray, values: IntArray, n_classes: int
) -> IntArray:
    """Each field cell's totals per class (all its jobs count in the same classes)."""
    acc = _accumulators(tree.n_nodes, n_classes)
    if tree.n_nodes == 0:
        return acc
    # a cell's jobs are the contiguous run pos_lo:pos_hi; reduceat over the run starts, with
    # the runs of one level laid end to end (they may skip jobs that sit in leaves above)
    for a, b in tree.levels:
        lo, hi = tree.pos_lo[a:b], tree.pos_hi[a:b]
        members = obs[_ranges(lo, hi)]
        offsets = np.concatenate(([0], np.cumsum(hi - lo)[:-1]))
        count = hi - lo
        first = np.minimum.reduceat(values[members, n_classes], offsets)
        last = np.maximum.reduceat(values[members, n_classes + 1], offsets)
        for c in range(n_classes):
            inc = (mask[a:b] >> c) & 1 == 1
            weight = np.add.reduceat(values[members, c], offsets)
            acc[a:b, c, 0] = np.where(inc, count, 0)
            acc[a:b, c, 1] = np.where(inc, weight, 0)
            acc[a:b, c, 2] = np.where(inc, first, _BIG)
            acc[a:b, c, 3] = np.where(inc, last, _SMALL)
    return acc


def _accumulators(n: int, n_classes: int) -> IntArray:
    """Empty totals: (rows, classes, [count, weight, first start, last end])."""
    acc = np.zeros((n, n_classes, 4), dtype=np.int64)
    acc[:, :, 2] = _BIG
    acc[:, :, 3] = _SMALL
    return acc


__all__ = ["FIELD_LEAF", "LEAF_ORDER", "TOP_ORDER", "WINDOW", "Fields", "prepare_fields"]
