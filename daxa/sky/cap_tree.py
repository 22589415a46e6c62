"""The HEALPix trees of :mod:`daxa.sky.cap_cover`: points sorted by their nested index, cells over them.

One job: build a :class:`SkyTree` (cells of the nested scheme split until they hold few
points, each with the smallest padded cap around its members) from positions or, with tags, from
fields; the vectorised helpers (ranges, bounding caps, chord and angle conversions) the field
preparation and the totals reuse live here too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from daxa.sky.geometry import chord2, xyz

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: A position cell holding at most this many positions is a leaf (its positions are tested in
#: loops that vectorise, cheaper per position than a step of the walk, so leaves are large).
#: Measured on Swift's 373k fields at survey density (a sixteenth of 1e7 uniform positions,
#: one thread, best of five): 80 and 96 took 2-4 % less time than 64 (INTEGRAL's fields and
#: Swift by instrument alike), 128 about as long as 64, and 48 and 32 were 25-40 % slower.
LEAF_SIZE = 96
#: Padding (degrees) so that a cell called wholly inside or outside a field is so beyond doubt.
GUARD_DEG = 1e-9


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

    @cached_property
    def leaf_slots(self) -> tuple[IntArray, IntArray]:
        """The leaves in the order of their points (``slot_node``, one slot each) and per
        cell the slots of the leaves under it (``slots``: first, end), by which the walk
        groups a block's leaf pairs by leaf."""
        leaves = np.flatnonzero(self.child_lo < 0)
        leaves = leaves[np.argsort(self.pos_lo[leaves], kind="stable")].astype(np.int64)
        starts = self.pos_lo[leaves]
        slots = np.empty((self.n_nodes, 2), dtype=np.int64)
        slots[:, 0] = np.searchsorted(starts, self.pos_lo, side="left")
        slots[:, 1] = np.searchsorted(starts, self.pos_hi, side="left")
        return slots, leaves

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
    leaf_order: int = 0,
) -> SkyTree:
    """The tree over points sorted by (tag, key); a cell never mixes tags. Cells start at
    ``top_order``; one of at most ``leaf_size`` points is a leaf from ``leaf_order`` on (or
    at once if it holds a single point)."""
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
        size = hi - lo
        leaf = ((size <= leaf_size) & (k >= leaf_order)) | (size == 1) | (k == 29)
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


__all__ = ["GUARD_DEG", "LEAF_SIZE", "SkyTree", "build_tree"]
