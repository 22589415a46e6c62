"""Compiled steps of :mod:`daxa.sky._join` (numba, the ``fast`` extra): the cell index of the
build side and the squared-chord test of the candidate pairs.

Both do with plain loops what the numpy path does with whole-array passes, with the same
arithmetic (additions and multiplications in the same order, no fused multiply-add: numba
does not contract without ``fastmath``), so both paths give the same pairs bit for bit; the
trigonometry stays in numpy. ``nogil=True``: the engine runs them on several threads (see
:mod:`daxa.sky._parallel`). Their own module, imported only when numba is installed, so
that numba's disk cache keys on this file.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def index_cells(cell, start, occupied, order):  # pragma: no cover - compiled
    """Counting sort of rows by ``cell``: fills ``start`` (zeros, one more than the cells:
    rows of cell k go to positions start[k]:start[k+1]), ``occupied`` (zeros, bit k set when
    cell k has rows) and ``order`` (the rows in cell order, by row within a cell: what a
    stable argsort gives)."""
    n_cells = start.size - 1
    for i in range(cell.size):
        c = cell[i]
        start[c + 1] += 1
        occupied[c >> 3] |= 1 << (c & 7)
    total = 0
    for k in range(n_cells + 1):
        total += start[k]
        start[k] = total
    for i in range(cell.size):  # start[c] walks from the start of cell c to the next cell's
        c = cell[i]
        order[start[c]] = i
        start[c] += 1
    for k in range(n_cells, 0, -1):
        start[k] = start[k - 1]
    start[0] = 0


@njit(nogil=True, cache=True)
def near_candidates(
    px, py, pz, first, count, vectors, limits, limit_of, local, pos, d2
):  # pragma: no cover - compiled
    """Candidate pairs within their squared-chord limit: probe row i (unit vector px[i],
    py[i], pz[i]) against table positions first[i] to first[i] + count[i] (unit vectors,
    rows of ``vectors``). The limit is ``limits[0]`` (``limit_of`` 0), the probe row's
    ``limits[i]`` (1) or the table position's ``limits[pos]`` (2). Fills ``local`` (probe
    row), ``pos`` and ``d2`` (each as long as the candidates) in (probe row, position) order;
    returns how many."""
    k = 0
    for i in range(px.size):
        ux = px[i]
        uy = py[i]
        uz = pz[i]
        lim = limits[i] if limit_of == 1 else limits[0]
        for j in range(first[i], first[i] + count[i]):
            dx = ux - vectors[j, 0]
            dy = uy - vectors[j, 1]
            dz = uz - vectors[j, 2]
            dx *= dx
            dy *= dy
            dz *= dz
            s = dx + dy
            s += dz  # as the numpy path: (dx² + dy²) + dz²
            if limit_of == 2:
                lim = limits[j]
            if s <= lim:  # (a branch-free write measured 20% slower)
                local[k] = i
                pos[k] = j
                d2[k] = s
                k += 1
    return k


@njit(nogil=True, cache=True)
def hit_offsets(cells, start, first, count):  # pragma: no cover - compiled
    """``first`` and ``count`` of the table rows of each cell in ``cells`` (as
    ``start.take(cells)`` and ``start.take(cells + 1) - first``, in one pass)."""
    for i in range(cells.size):
        c = cells[i]
        a = start[c]
        first[i] = a
        count[i] = start[c + 1] - a


@njit(nogil=True, cache=True)
def first_minimum(keys, sep, keep):  # pragma: no cover - compiled
    """Set ``keep`` at the first smallest ``sep`` of each run of equal ``keys``."""
    n = keys.size
    i = 0
    while i < n:
        m = i
        j = i + 1
        while j < n and keys[j] == keys[i]:
            if sep[j] < sep[m]:
                m = j
            j += 1
        keep[m] = True
        i = j


@njit(nogil=True, cache=True)
def mutual_best(left, right, sep, n_right, keep):  # pragma: no cover - compiled
    """Set ``keep`` for the pairs (sorted by left, then right) that are the nearest of both
    their rows, ties to the lowest index on either side: what the numpy path finds by
    sorting the pairs by right row."""
    best = np.full(n_right, -1, dtype=np.int64)  # per right row, its nearest pair so far
    for i in range(left.size):
        b = best[right[i]]
        if b < 0 or sep[i] < sep[b]:  # strictly nearer: on ties the lower left row stays
            best[right[i]] = i
    first_minimum(left, sep, keep)  # per left row (a run of pairs), its first nearest pair
    for i in range(left.size):
        keep[i] = keep[i] and best[right[i]] == i
