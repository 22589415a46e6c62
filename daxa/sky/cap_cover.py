"""Per position, totals over every cap (observation field) that covers it, without the pairs.

A Swift BAT field is 60 degrees in radius: 1e7 survey positions against 373k BAT pointings
make ~1e12 (position, observation) pairs, far too many to list. Only the pairs near the edge
of a field need deciding one by one, so both sides go into HEALPix trees (cells of the nested
scheme, each with the smallest cap around its members):

- the *position tree* is split until a cell holds at most :data:`LEAF_SIZE` positions;
- the *field tree* starts from cells of order :data:`TOP_ORDER` (a few degrees) and is split
  until a cell holds at most :data:`FIELD_LEAF` fields; fields in one cell share a radius and
  the classes they count in (see below), and each cell carries its fields' totals.

Each top field cell walks the position tree: a (position cell, field cell) pair wholly
inside gets the field cell's totals once, one wholly outside is skipped, one crossed by an
edge is opened (the larger cell is split) until both cells are leaves. There, a position clear
of the field leaf's edges takes its totals, and one near them is tested against the leaf's
fields :data:`WINDOW` at a time by a loop of fixed length without branches, which the
compiler vectorises (the outcomes near an edge are too mixed for a branch predictor). The
work grows with the length of the field edges, not their area. Totals per position are a
count, a summed integer weight, the earliest start and the latest end: cell totals are pushed
down to positions exactly.

Fields may count in several *classes* (a mission total and each instrument) with the same
radius, or radii equal to within :data:`SAME_RADIUS`: such a field walks once for all of them.

Decisions are made with padded squared-chord bounds; the few pairs within a hair (1e-9) of an
edge go back to numpy and are decided by :func:`~daxa.sky.geometry.separation_from_xyz`
against :func:`~daxa.sky.geometry.loosen`, the arithmetic of every pair search, so the totals
equal those summed over the association table. The walk is compiled with numba (the ``fast``
extra); :func:`available` says whether it can run.

>>> import numpy as np
>>> tree = build_tree(np.array([10.0, 10.0, 200.0]), np.array([0.0, 1.0, -45.0]))
>>> fields = prepare_fields(
...     ra=np.array([10.0, 10.0]), dec=np.array([0.5, 0.9]), radius=np.array([[0.6, 0.15]]),
...     weight=np.array([[100, 7]]), start=np.array([5, 3]), end=np.array([9, 4]))
>>> t = cap_totals(tree, fields)
>>> t.count[0].tolist(), t.weight[0].tolist(), t.first[0].tolist()[:2]
([1, 2, 0], [100, 107, 0], [5, 3])
"""

from __future__ import annotations

import itertools
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from daxa.sky.geometry import chord2, loosen, separation_from_xyz, xyz

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: A position cell holding at most this many positions is a leaf (its positions tested singly).
LEAF_SIZE = 32
#: A field cell holding at most this many fields is a leaf (its fields tested a window at a time).
FIELD_LEAF = 32
#: HEALPix order of the largest field cells (0.46 degrees): each walks the position tree once.
TOP_ORDER = 7
#: Padding (degrees) so that a cell called wholly inside or outside a field is so beyond doubt.
GUARD_DEG = 1e-9
#: Relative padding of the squared-chord bounds used on single pairs.
CHORD_PAD = 1e-9
#: Radii of one field closer than this (relative) are walked together.
SAME_RADIUS = 1e-6
#: Fields a leaf loop tests at once (a fixed count, so the loop vectorises without a tail).
WINDOW = 16
#: Field cells per thread below which the walk runs on one thread.
MIN_CELLS_PER_THREAD = 500
_BIG = np.iinfo(np.int64).max
_SMALL = np.iinfo(np.int64).min


@cache
def available() -> bool:
    """Whether numba is installed, so the compiled walk can run."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- trees


@dataclass(frozen=True)
class SkyTree:
    """Points sorted by their key and the HEALPix cells over them.

    Node arrays are indexed by node; nodes come level by level (the top first); a cell's
    children are the nodes ``child_lo:child_hi`` (-1 for a leaf) and its points the sorted
    points ``pos_lo:pos_hi``. ``order`` maps sorted points back to input rows; ``half`` is
    half the angular radius (radians) of each cell's bounding cap, padded.
    """

    order: IntArray
    x: FloatArray
    y: FloatArray
    z: FloatArray
    node_x: FloatArray
    node_y: FloatArray
    node_z: FloatArray
    half: FloatArray
    child_lo: IntArray
    child_hi: IntArray
    pos_lo: IntArray
    pos_hi: IntArray
    levels: tuple[tuple[int, int], ...]

    @cached_property
    def packed(self) -> tuple[FloatArray, IntArray, FloatArray]:
        """Cells (centre, sin/cos of half the radius, half) and links as the compiled walk
        reads them, one row per cell (a visit touches one or two cache lines), and the points'
        x, y, z as three rows."""
        nodes = np.column_stack(
            [self.node_x, self.node_y, self.node_z, np.sin(self.half), np.cos(self.half), self.half]
        )
        links = np.column_stack([self.child_lo, self.child_hi, self.pos_lo, self.pos_hi])
        return nodes, links, np.stack([self.x, self.y, self.z])

    @property
    def n_points(self) -> int:
        return int(self.x.size)

    @property
    def n_nodes(self) -> int:
        return int(self.node_x.size)

    @property
    def n_roots(self) -> int:
        return self.levels[0][1] if self.levels else 0

    @cached_property
    def leaf_of(self) -> IntArray:
        """The leaf cell of each sorted point (one tree serves every mission of a chunk)."""
        leaves = np.flatnonzero(self.child_lo < 0)
        out = np.empty(self.n_points, dtype=np.int64)
        lo, hi = self.pos_lo[leaves], self.pos_hi[leaves]
        out[_ranges(lo, hi)] = np.repeat(leaves, hi - lo)
        return out


def build_tree(
    ra: FloatArray, dec: FloatArray, hpx: IntArray | None = None, leaf_size: int = LEAF_SIZE
) -> SkyTree:
    """The position tree over ``ra``, ``dec`` (degrees); ``hpx``: their ``_healpix_29``."""
    ra = np.asarray(ra, dtype=np.float64)
    dec = np.asarray(dec, dtype=np.float64)
    if hpx is None:
        from daxa.sky.healpix import healpix_index

        hpx = healpix_index(ra, dec)
    hpx = np.asarray(hpx, dtype=np.int64)
    if hpx.size < 2 or bool((hpx[1:] >= hpx[:-1]).all()):
        order = np.arange(hpx.size, dtype=np.int64)  # chunks usually come sorted
    else:
        order = np.argsort(hpx, kind="stable").astype(np.int64)
    x, y, z = xyz(ra[order], dec[order])
    return _sorted_tree(order, hpx[order], None, x, y, z, leaf_size, 0)


def _sorted_tree(
    order: IntArray,
    keys: IntArray,
    tags: IntArray | None,
    x: FloatArray,
    y: FloatArray,
    z: FloatArray,
    leaf_size: int,
    top_order: int,
) -> SkyTree:
    """The tree over points sorted by (tag, key); a cell never mixes tags."""
    n = keys.size
    starts: list[IntArray] = []
    ends: list[IntArray] = []
    leaves: list[BoolArray] = []
    parents: list[IntArray] = []
    active = np.arange(n, dtype=np.int64)  # sorted points under cells still to be split
    for k in range(top_order, 30):
        if active.size == 0:
            break
        cell = keys[active] >> (2 * (29 - k))
        change = cell[1:] != cell[:-1]
        if tags is not None:
            change |= tags[active][1:] != tags[active][:-1]
        first = np.flatnonzero(np.concatenate(([True], change)))
        lo = active[first]
        hi = active[np.append(first[1:], active.size) - 1] + 1
        leaf = (hi - lo <= leaf_size) | (k == 29)
        if starts:
            # parents: the non-leaf cells of the level above, in order
            p_lo = starts[-1][~leaves[-1]]
            parents.append(np.searchsorted(p_lo, lo, side="right") - 1)
        starts.append(lo)
        ends.append(hi)
        leaves.append(leaf)
        active = active[~np.repeat(leaf, np.diff(np.append(first, active.size)))]

    sizes = [s.size for s in starts]
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    levels = tuple((int(offsets[i]), int(offsets[i + 1])) for i in range(len(sizes)))
    pos_lo = np.concatenate(starts) if starts else np.zeros(0, np.int64)
    pos_hi = np.concatenate(ends) if ends else np.zeros(0, np.int64)
    child_lo = np.full(pos_lo.size, -1, dtype=np.int64)
    child_hi = np.full(pos_lo.size, -1, dtype=np.int64)
    for k, parent in enumerate(parents, start=1):
        # node ids of the non-leaf cells of level k-1, then their children's ranges
        nonleaf = offsets[k - 1] + np.flatnonzero(~leaves[k - 1])
        counts = np.bincount(parent, minlength=nonleaf.size)
        first_child = offsets[k] + np.concatenate(([0], np.cumsum(counts)[:-1]))
        child_lo[nonleaf] = first_child
        child_hi[nonleaf] = first_child + counts
    node_x, node_y, node_z, half = _bounding_caps(
        x, y, z, pos_lo, pos_hi, child_lo, child_hi, levels
    )
    return SkyTree(
        order, x, y, z, node_x, node_y, node_z, half, child_lo, child_hi, pos_lo, pos_hi, levels
    )


def _ranges(lo: IntArray, hi: IntArray) -> IntArray:
    """The concatenation of ``arange(lo[i], hi[i])`` over i, without a loop."""
    sizes = hi - lo
    total = int(sizes.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return np.arange(total, dtype=np.int64) - np.repeat(starts - lo, sizes)


def _bounding_caps(
    x: FloatArray,
    y: FloatArray,
    z: FloatArray,
    lo: IntArray,
    hi: IntArray,
    child_lo: IntArray,
    child_hi: IntArray,
    levels: tuple[tuple[int, int], ...],
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Centre (unit vector) and padded half-radius (radians) of a cap holding each cell.

    A leaf's cap is measured on its points; a parent's encloses its children's caps, so each
    point is visited once whatever the depth of the tree.
    """
    cx, cy, cz = (np.concatenate(([0.0], np.cumsum(v))) for v in (x, y, z))
    cx, cy, cz = cx[hi] - cx[lo], cy[hi] - cy[lo], cz[hi] - cz[lo]
    norm = np.sqrt(cx * cx + cy * cy + cz * cz)
    degenerate = norm <= 1e-12 * np.maximum(hi - lo, 1)
    norm[degenerate] = 1.0
    cx, cy, cz = cx / norm, cy / norm, cz / norm
    radius = np.zeros(lo.size)
    leaf = np.flatnonzero(child_lo < 0)
    if leaf.size:
        member = _ranges(lo[leaf], hi[leaf])
        owner = np.repeat(leaf, hi[leaf] - lo[leaf])
        d2 = chord2(x[member], y[member], z[member], cx[owner], cy[owner], cz[owner])
        offsets = np.concatenate(([0], np.cumsum(hi[leaf] - lo[leaf])[:-1]))
        radius[leaf] = _angle(np.maximum.reduceat(d2, offsets))
    for a, b in reversed(levels[:-1]):  # parents from the deepest level up
        nodes = a + np.flatnonzero(child_lo[a:b] >= 0)
        if nodes.size == 0:
            continue
        sizes = child_hi[nodes] - child_lo[nodes]
        kids = _ranges(child_lo[nodes], child_hi[nodes])
        owner = np.repeat(nodes, sizes)
        d2 = chord2(cx[kids], cy[kids], cz[kids], cx[owner], cy[owner], cz[owner])
        reach = (_angle(d2) + radius[kids]) * (1.0 + 1e-12)
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        radius[nodes] = np.maximum.reduceat(reach, offsets)
    radius = radius * (1.0 + 1e-9) + math.radians(GUARD_DEG)
    radius[degenerate] = math.pi
    return cx, cy, cz, np.minimum(radius, math.pi) * 0.5


def _angle(d2: FloatArray) -> FloatArray:
    """Angle (radians) of a squared chord."""
    return 2.0 * np.arcsin(np.minimum(np.sqrt(d2) * 0.5, 1.0))


def _chord2(angle_deg: FloatArray) -> FloatArray:
    """Squared chord of an angle (degrees)."""
    s = np.sin(np.radians(np.minimum(angle_deg, 180.0)) * 0.5)
    return 4.0 * s * s


# --------------------------------------------------------------------------- fields


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
    tree = _sorted_tree(order, hpx[order], tag, jx, jy, jz, FIELD_LEAF, TOP_ORDER)

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


# --------------------------------------------------------------------------- totals


@dataclass(frozen=True)
class CapTotals:
    """Per class (rows) and position (columns, in the tree's input order): the totals.

    ``first`` is int64 max and ``last`` int64 min where nothing covers a position.
    """

    count: IntArray
    weight: IntArray
    first: IntArray
    last: IntArray


def cap_totals(tree: SkyTree, fields: Fields, threads: int | None = None) -> CapTotals:
    """Totals, per class and position of ``tree``, over the ``fields`` covering it.

    ``threads`` (default: every core) walk blocks of field cells, each with its own totals.
    """
    n_classes = fields.n_classes
    ft = fields.tree
    n_top = ft.n_roots
    n_threads = _threads(threads, n_top)
    n_blocks = 1 if n_threads == 1 else 16 * n_threads
    bounds = np.linspace(0, n_top, n_blocks + 1).astype(np.int64)
    blocks = itertools.count()  # handed out to the threads as they finish (balanced load)
    walk = _compiled_walk()
    nodes, links, points = tree.packed
    f_links = ft.packed[1]

    def run() -> tuple[IntArray, IntArray, IntArray]:
        n_acc = _accumulators(tree.n_nodes, n_classes)
        p_acc = _accumulators(tree.n_points, n_classes)
        found = []
        while (i := next(blocks)) < n_blocks:
            found.append(
                walk(
                    bounds[i],
                    bounds[i + 1],
                    fields.cell_geom,
                    fields.cell_mask,
                    fields.cell_acc,
                    f_links,
                    fields.job_geom,
                    fields.job_values,
                    nodes,
                    links,
                    tree.n_roots,
                    points,
                    n_acc,
                    p_acc,
                )
            )
        return n_acc, p_acc, np.concatenate(found) if found else np.zeros((0, 2), np.int64)

    if n_threads == 1:
        parts = [run()]
    else:
        with ThreadPoolExecutor(n_threads) as pool:
            parts = [f.result() for f in [pool.submit(run) for _ in range(n_threads)]]
    n_acc, p_acc = _combine([p[0] for p in parts]), _combine([p[1] for p in parts])
    _decide_ambiguous(np.concatenate([p[2] for p in parts]), tree, fields, p_acc)
    _push_down(tree, n_acc)
    _merge(p_acc, n_acc[tree.leaf_of])
    if not (tree.order[1:] > tree.order[:-1]).all():  # back to the input order
        back = np.empty_like(tree.order)
        back[tree.order] = np.arange(tree.order.size)
        p_acc = p_acc[back]
    count, weight, first, last = p_acc.transpose(2, 1, 0)  # views: (class, position) each
    return CapTotals(count, weight, first, last)


def _threads(threads: int | None, n_cells: int) -> int:
    if threads is None:
        threads = os.cpu_count() or 1
    return max(1, min(threads, n_cells // MIN_CELLS_PER_THREAD))


def _accumulators(n: int, n_classes: int) -> IntArray:
    """Empty totals: (rows, classes, [count, weight, first start, last end])."""
    acc = np.zeros((n, n_classes, 4), dtype=np.int64)
    acc[:, :, 2] = _BIG
    acc[:, :, 3] = _SMALL
    return acc


def _merge(acc: IntArray, other: IntArray) -> None:
    """Add ``other``'s totals into ``acc`` (same shape)."""
    acc[:, :, :2] += other[:, :, :2]
    np.minimum(acc[:, :, 2], other[:, :, 2], out=acc[:, :, 2])
    np.maximum(acc[:, :, 3], other[:, :, 3], out=acc[:, :, 3])


def _combine(parts: list[IntArray]) -> IntArray:
    for other in parts[1:]:
        _merge(parts[0], other)
    return parts[0]


def _decide_ambiguous(amb: IntArray, tree: SkyTree, fields: Fields, acc: IntArray) -> None:
    """Decide pairs within a hair of an edge with the pair search's own arithmetic."""
    if amb.size == 0:
        return
    pos, job = amb[:, 0], amb[:, 1]
    obs = fields.job_obs[job]
    ox, oy, oz = fields.xyz
    sep = separation_from_xyz(tree.x[pos], tree.y[pos], tree.z[pos], ox[obs], oy[obs], oz[obs])
    n_classes = fields.n_classes
    for c in range(n_classes):
        take = ((fields.job_mask[job] >> c) & 1 == 1) & (sep <= loosen(fields.radius[c, obs]))
        p, j = pos[take], job[take]
        np.add.at(acc[:, c, 0], p, 1)
        np.add.at(acc[:, c, 1], p, fields.job_values[c, j])
        np.minimum.at(acc[:, c, 2], p, fields.job_values[n_classes, j])
        np.maximum.at(acc[:, c, 3], p, fields.job_values[n_classes + 1, j])


def _push_down(tree: SkyTree, acc: IntArray) -> None:
    """Give every cell the totals of the cells above it, level by level from the top."""
    for a, b in tree.levels[:-1]:
        nodes = a + np.flatnonzero(tree.child_lo[a:b] >= 0)
        sizes = tree.child_hi[nodes] - tree.child_lo[nodes]
        children = _ranges(tree.child_lo[nodes], tree.child_hi[nodes])
        child = acc[children]
        _merge(child, acc[np.repeat(nodes, sizes)])
        acc[children] = child


# --------------------------------------------------------------------------- the compiled walk


def preload() -> None:
    """Load the compiled walk on a background thread: importing numba and reading its disk
    cache take ~0.7 s, which then overlap the caller's own preparation (sorting the input)
    instead of delaying the first chunk. Errors are left for the first real walk to raise."""
    if available():
        threading.Thread(target=_warm_up, name="daxa-walk-preload", daemon=True).start()


def _warm_up() -> None:
    try:  # three positions and two fields: the argument types of every real walk
        tree = build_tree(np.array([10.0, 10.0, 200.0]), np.array([0.0, 1.0, -45.0]))
        one = np.array([[1, 1]])
        cap_totals(
            tree,
            prepare_fields(np.array([10.0, 10.0]), np.zeros(2), one * 0.5, one, one[0], one[0]),
        )
    except Exception:  # pragma: no cover - raised again, with its context, by the real walk
        pass


@cache
def _compiled_walk() -> Any:
    """The walk of field cells over the position tree, compiled (cached on disk) on first use."""
    from daxa.sky import _cap_walk

    if _cap_walk.WINDOW != WINDOW:  # the arrays are padded for the compiled window
        raise RuntimeError(f"WINDOW is {WINDOW} here but {_cap_walk.WINDOW} in _cap_walk")
    return _cap_walk.walk


__all__ = [
    "CapTotals",
    "Fields",
    "SkyTree",
    "available",
    "build_tree",
    "cap_totals",
    "preload",
    "prepare_fields",
]
