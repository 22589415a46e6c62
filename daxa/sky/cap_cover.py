"""Per position, totals over every cap (observation field) that covers it, without the pairs.

A Swift BAT field is 60 degrees in radius: 1e7 survey positions against 373k BAT pointings
make ~1e12 (position, observation) pairs, far too many to list. Only the pairs near the edge
of a field need deciding one by one, so both sides go into HEALPix trees (cells of the nested
scheme, each with the smallest cap around its members):

- the *position tree* is split until a cell holds at most :data:`LEAF_SIZE` positions;
- the *field tree* starts from cells of order :data:`TOP_ORDER` (7 degrees) and is split
  until a cell of order :data:`LEAF_ORDER` or finer holds at most :data:`FIELD_LEAF` fields;
  fields in one cell share a radius and the classes they count in (see below), and each
  cell carries its fields' totals.

Each *block* of positions (the largest cells of the position tree holding at most
:data:`BLOCK_SIZE`, :func:`walk_blocks`) walks the field tree from its roots, so that its
positions and totals stay in the cache: a (position cell, field cell) pair wholly inside gets
the field cell's totals once, one wholly outside is skipped, one crossed by an edge is opened
(the larger cell is split) until both cells are leaves. A block's leaf pairs are then worked
out leaf by leaf: a position leaf's field leaves are gathered side by side and each position
meets all of them in loops without branches, which the compiler vectorises (the outcomes along
an edge are too mixed for a branch predictor): the totals of the field leaves it is clear
inside are summed and added once, and a bit marks each field leaf near whose edge it lies.
Those positions are tested against the leaf's fields :data:`WINDOW` at a time, again without
branches; where a position leaf has :data:`SORT_FROM` or more positions near a field leaf's
edge, the field leaf is sorted once for it by how far each field reaches towards it, so that
the fields covering such a position are a prefix with known totals, found by one comparison
per field (measured on Swift's 373k fields: 12 % less time for the walk).
The work grows with the length of the field edges, not their area. Blocks hold disjoint
positions, so threads walking different blocks add into the same totals. Totals per position
are a count, a summed integer weight, the earliest start and the latest end: cell totals are
pushed down to positions exactly.

Fields may count in several *classes* (a mission total and each instrument) with the same
radius, or radii equal to within :data:`SAME_RADIUS`: such a field walks once for all of them.

Decisions are made with padded squared-chord bounds; the few pairs within a hair (1e-9) of an
edge go back to numpy and are decided by :func:`~daxa.sky.geometry.separation_from_xyz`
against :func:`~daxa.sky.geometry.loosen`, the arithmetic of every pair search, so the totals
equal those summed over the association table. The walk is compiled with numba (the ``fast``
extra); :func:`available` says whether it can run. The trees are built in
:mod:`daxa.sky.cap_tree`, the fields prepared in :mod:`daxa.sky.cap_fields`; this module walks
them and sums the totals.

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
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from daxa.sky._parallel import run_workers, threads_for
from daxa.sky.cap_fields import FIELD_LEAF as FIELD_LEAF
from daxa.sky.cap_fields import LEAF_ORDER as LEAF_ORDER
from daxa.sky.cap_fields import TOP_ORDER as TOP_ORDER
from daxa.sky.cap_fields import WINDOW, Fields, _accumulators, prepare_fields
from daxa.sky.cap_tree import LEAF_SIZE as LEAF_SIZE
from daxa.sky.cap_tree import IntArray, SkyTree, _ranges, build_tree
from daxa.sky.geometry import loosen, separation_from_xyz

#: Field leaves per thread below which the walk runs on one thread.
MIN_CELLS_PER_THREAD = 500
#: Positions in a block of the position tree that one walk tests against every field. As
#: for the field tree's FIELD_LEAF (16-64), LEAF_ORDER (6-8) and TOP_ORDER (1-4), no other
#: value tried (1024-8192) was faster beyond the runs' noise (about 10 %) on Swift at survey
#: density: the walk's cost is in its leaf pairs, not in these choices.
BLOCK_SIZE = 2048
#: At most this many (position block, field root) pairs start the walks.
MAX_ROOT_PAIRS = 50_000_000
#: Positions of a leaf near a field leaf's edge from which that field leaf is sorted for them
#: (see :func:`daxa.sky._cap_walk.walk`): below, sorting costs more than the window tests.
#: The sort is a fifth of the walk on Swift, yet the alternatives measured were no faster:
#: comparing the sorted keys with all edge positions at once (one key a step, positions in
#: vector lanes) gained nothing, and summing the unsorted leaf that way took 20-40 % longer.
SORT_FROM = 4
#: Leaf pairs a walk call holds before working them out (its buffer and work space: ~1 MB).
PAIR_ROOM = 16_384
#: Pairs within a hair of an edge (left to the exact test) a walk call has room for; a call
#: that finds more makes the walk run again with room for them all. They are rare: ~25 per
#: 134k survey positions against Swift's 373k fields.
AMB_ROOM = 65_536


@cache
def available() -> bool:
    """Whether numba is installed, so the compiled walk can run."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


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

    ``threads`` walk blocks of positions, into the same totals; the default follows
    :func:`daxa.sky._parallel.threads_for` (``DAXA_THREADS`` or every core, one inside a
    crossmatch chunk worker). Helpers come from the engine's shared pool, and only idle ones.
    """
    room = AMB_ROOM
    while True:  # again, with room for every pair near an edge, if a walk found more
        n_acc, p_acc, ambiguous, most = _walk(tree, fields, threads, room)
        if most <= room:
            break
        room = most
    _decide_ambiguous(ambiguous, tree, fields, p_acc)
    _push_down(tree, n_acc)
    # positions keep their totals on the first axis: the same merge, on a view
    _merge(np.moveaxis(p_acc, 0, -1), n_acc[tree.leaf_of].transpose(1, 0, 2))
    if not (tree.order[1:] > tree.order[:-1]).all():  # back to the input order
        back = np.empty_like(tree.order)
        back[tree.order] = np.arange(tree.order.size)
        p_acc = p_acc[:, :, back]
    count, weight, first, last = p_acc  # (class, position) each
    return CapTotals(count, weight, first, last)


def _walk(
    tree: SkyTree, fields: Fields, threads: int | None, room: int
) -> tuple[IntArray, IntArray, IntArray, int]:
    """The cell and position totals and the pairs near an edge, from the compiled walk with
    ``room`` for such pairs per walk call, and the most pairs one call found (more than
    ``room``: the pairs are incomplete and the totals to be thrown away)."""
    n_classes = fields.n_classes
    ft = fields.tree
    # every block starts from every field root: with many roots (fields of many radii) the
    # blocks grow, so that the roots are not tested against more than MAX_ROOT_PAIRS blocks
    starts = walk_blocks(tree, max(BLOCK_SIZE, tree.n_points * ft.n_roots // MAX_ROOT_PAIRS))
    n_leaves = int(np.count_nonzero(ft.child_lo < 0))
    n_threads = min(_threads(threads, n_leaves), max(starts.size, 1))
    n_parts = 1 if n_threads == 1 else min(starts.size, 16 * n_threads)
    bounds = np.linspace(0, starts.size, n_parts + 1).astype(np.int64)
    parts = itertools.count()  # handed out to the threads as they finish (balanced load)
    walk = _compiled_walk()
    nodes, links, points = tree.packed
    slots, slot_node = tree.leaf_slots
    f_links = ft.packed[1]
    # the blocks hold disjoint positions and cells: every thread adds into the same totals
    n_acc = _accumulators(tree.n_nodes, n_classes)
    p_acc = _point_accumulators(tree.n_points, n_classes)

    def run() -> tuple[IntArray, int]:
        buffer = np.empty((room, 2), dtype=np.int64)
        pair_slot, pair_f = np.empty((2, PAIR_ROOM), dtype=np.int64)
        found, most = [np.zeros((0, 2), np.int64)], 0
        while (i := next(parts)) < n_parts:
            n = walk(
                bounds[i],
                bounds[i + 1],
                starts,
                ft.n_roots,
                fields.cell_geom,
                fields.cell_mask,
                fields.cell_acc,
                f_links,
                fields.job_geom,
                fields.job_values,
                nodes,
                links,
                points,
                slots,
                slot_node,
                n_acc,
                p_acc,
                SORT_FROM,
                pair_slot,
                pair_f,
                buffer,
            )
            found.append(buffer[: min(n, room)].copy())
            most = max(most, n)
        return np.concatenate(found), most

    results = run_workers(run, n_threads)
    most = max(m for _, m in results)
    return n_acc, p_acc, np.concatenate([pairs for pairs, _ in results]), most


def walk_blocks(tree: SkyTree, size: int | None = None) -> IntArray:
    """The cells of ``tree`` each walk starts from, in the order of their positions: the
    largest holding at most ``size`` (:data:`BLOCK_SIZE`) positions, so that a block's
    positions and totals stay in the cache while every field crossing it is tested."""
    size = BLOCK_SIZE if size is None else size
    counts = tree.pos_hi - tree.pos_lo
    cells = np.arange(tree.n_roots, dtype=np.int64)
    chosen = [cells[:0]]
    while cells.size:
        take = (counts[cells] <= size) | (tree.child_lo[cells] < 0)
        chosen.append(cells[take])
        split = cells[~take]
        cells = _ranges(tree.child_lo[split], tree.child_hi[split])
    blocks = np.concatenate(chosen)
    return blocks[np.argsort(tree.pos_lo[blocks], kind="stable")].astype(np.int64)


def _threads(threads: int | None, n_cells: int) -> int:
    if threads is None:  # the engine's rule: DAXA_THREADS, serial inside a chunk worker
        return threads_for(n_cells, MIN_CELLS_PER_THREAD)
    return max(1, min(threads, n_cells // MIN_CELLS_PER_THREAD))


def _merge(acc: IntArray, other: IntArray) -> None:
    """Add ``other``'s totals into ``acc`` (same shape; totals on the last axis)."""
    acc[..., :2] += other[..., :2]
    np.minimum(acc[..., 2], other[..., 2], out=acc[..., 2])
    np.maximum(acc[..., 3], other[..., 3], out=acc[..., 3])


def _point_accumulators(n: int, n_classes: int) -> IntArray:
    """Empty totals per position: ([count, weight, first start, last end], classes, rows),
    so that the walk adds a cell's totals to a run of positions with contiguous vector loads."""
    return np.ascontiguousarray(_accumulators(n, n_classes).transpose(2, 1, 0))


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
        np.add.at(acc[0, c], p, 1)
        np.add.at(acc[1, c], p, fields.job_values[c, j])
        np.minimum.at(acc[2, c], p, fields.job_values[n_classes, j])
        np.maximum.at(acc[3, c], p, fields.job_values[n_classes + 1, j])


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
