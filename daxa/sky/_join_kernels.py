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


@njit(nogil=True, cache=True, inline="always")
def popcount(x):  # pragma: no cover - compiled
    """Set bits of a uint64 (the SWAR count of :func:`daxa.sky._cell_table.popcount`)."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(nogil=True, cache=True)
def index_cells(cell, occupied, rank, order):  # pragma: no cover - compiled
    """Counting sort of rows by ``cell`` over the occupied cells only: sets ``occupied``
    (zeros; bit k of word k >> 6 when cell k has rows), fills ``rank`` (set bits before each
    word, one more than the words) and ``order`` (the rows in cell order, by row within a
    cell: what a stable argsort gives); returns ``start``, the offsets of the rows of the
    j-th occupied cell (j its rank), one more than the occupied cells."""
    one = np.uint64(1)
    for i in range(cell.size):
        c = cell[i]
        occupied[c >> 6] |= one << np.uint64(c & 63)
    total = 0
    for w in range(occupied.size):
        rank[w] = total
        total += popcount(occupied[w])
    rank[occupied.size] = total
    start = np.zeros(total + 1, dtype=np.int64)
    slot = np.empty(cell.size, dtype=np.int64)
    for i in range(cell.size):
        c = cell[i]
        below = occupied[c >> 6] & ((one << np.uint64(c & 63)) - one)
        s = rank[c >> 6] + popcount(below)
        slot[i] = s
        start[s + 1] += 1
    for k in range(total):
        start[k + 1] += start[k]
    fill = start[:-1].copy()
    for i in range(cell.size):  # fill[s] walks from the start of slot s to the next one's
        s = slot[i]
        order[fill[s]] = i
        fill[s] += 1
    return start


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
def hit_offsets(cells, occupied, rank, start, first, count):  # pragma: no cover - compiled
    """``first`` and ``count`` of the table rows of each (occupied) cell in ``cells``: the
    cell's rank among the occupied cells picks its offsets in ``start``."""
    one = np.uint64(1)
    for i in range(cells.size):
        c = cells[i]
        below = occupied[c >> 6] & ((one << np.uint64(c & 63)) - one)
        s = rank[c >> 6] + popcount(below)
        a = start[s]
        first[i] = a
        count[i] = start[s + 1] - a


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
def nearest_pair_of(keys, sep, best):  # pragma: no cover - compiled
    """``best[k]``: the first of the pairs with key ``k`` (in their order) at the smallest
    ``sep``; ``best`` must hold -1 (no pair) beforehand. For pairs sorted by left row, then
    right, keyed by right row: each right row's nearest left row, ties to the lowest."""
    for i in range(keys.size):
        b = best[keys[i]]
        if b < 0 or sep[i] < sep[b]:  # strictly nearer: on ties the earlier pair stays
            best[keys[i]] = i


@njit(nogil=True, cache=True)
def keep_nearer(rows, sep, left, best_sep, best_left):  # pragma: no cover - compiled
    """For each ``rows[i]`` (distinct), take ``sep[i]`` and ``left[i]`` into ``best_sep``
    and ``best_left`` when nearer than what they hold, or as near with a lower left row."""
    for i in range(rows.size):
        r = rows[i]
        s = sep[i]
        if s < best_sep[r] or (s == best_sep[r] and left[i] < best_left[r]):
            best_sep[r] = s
            best_left[r] = left[i]


@njit(nogil=True, cache=True)
def chosen_back(right, left, best_left, keep):  # pragma: no cover - compiled
    """``keep[i]``: right row ``right[i]`` (-1: none) has ``left[i]`` as its nearest."""
    for i in range(right.size):
        keep[i] = right[i] >= 0 and best_left[right[i]] == left[i]


@njit(nogil=True, cache=True)
def mutual_best(left, right, sep, n_right, keep):  # pragma: no cover - compiled
    """Set ``keep`` for the pairs (sorted by left, then right) that are the nearest of both
    their rows, ties to the lowest index on either side: what the numpy path finds by
    sorting the pairs by right row."""
    best = np.full(n_right, -1, dtype=np.int64)  # per right row, its nearest pair so far
    nearest_pair_of(right, sep, best)
    first_minimum(left, sep, keep)  # per left row (a run of pairs), its first nearest pair
    for i in range(left.size):
        keep[i] = keep[i] and best[right[i]] == i
