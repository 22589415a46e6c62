"""The compiled walk of :mod:`daxa.sky.cap_cover` (numba, the ``fast`` extra).

Its own module, imported only when a walk runs, so that daxa imports without numba, and so
that numba's on-disk cache can key the functions on this file (a closure's cache entry never
matched again: every process compiled the walk anew, ~7 s). The traversal (:func:`walk`) and
the work on its leaf pairs (:func:`settle` and its inlined steps) stay in this one file
although it is long: numba keys a cached function on its own file only, so a walk cached here
would keep running an old :func:`settle` edited in another file.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Fields a leaf window tests at once; :mod:`~daxa.sky.cap_cover` pads its arrays by as much.
#: A literal here (not imported) so that changing it changes this file and its cache.
WINDOW = 16
#: Most fields a leaf may hold to be sorted for its edge positions (see :func:`walk`).
SORT_MAX = 2 * WINDOW
_BIG = np.iinfo(np.int64).max
_SMALL = np.iinfo(np.int64).min
#: A window's running totals before any field: count, two weights, first, last, near edge.
NO_TOTALS = (0, 0, 0, _BIG, _SMALL, 0)
#: Positions of a leaf that :func:`settle` takes at once: one bit each in a 64-bit word.
GROUP = 64
#: De Bruijn multiplier and table: the index of a word's lowest set bit in three operations.
_DE_BRUIJN = np.uint64(0x03F79D71B4CB0A89)
_BIT_INDEX = np.zeros(64, dtype=np.int64)
with np.errstate(over="ignore"):  # the multiplication wraps around by design
    for _i in range(64):
        _BIT_INDEX[(np.uint64(1) << np.uint64(_i)) * _DE_BRUIJN >> np.uint64(58)] = _i


@njit(nogil=True, inline="always")
def add(acc, i, mask, g_acc, g):
    for c in range(g_acc.shape[1]):
        if (mask >> c) & 1:
            acc[i, c, 0] += g_acc[g, c, 0]
            acc[i, c, 1] += g_acc[g, c, 1]
            acc[i, c, 2] = min(acc[i, c, 2], g_acc[g, c, 2])
            acc[i, c, 3] = max(acc[i, c, 3], g_acc[g, c, 3])


@njit(nogil=True, inline="always")
def chord2_to(rows, i, x, y, z):
    """Squared chord from row i of ``rows`` (a unit vector in its first columns)."""
    dx = rows[i, 0] - x
    dy = rows[i, 1] - y
    dz = rows[i, 2] - z
    return dx * dx + dy * dy + dz * dz


@njit(nogil=True, inline="always")
def chord2_from(points, p, x, y, z):
    """Squared chord from position p of ``points`` (unit vectors in its rows 0-2)."""
    dx = points[0, p] - x
    dy = points[1, p] - y
    dz = points[2, p] - z
    return dx * dx + dy * dy + dz * dz


@njit(nogil=True, inline="always")
def lowest_bit(x):
    """The index of the lowest set bit of ``x`` (a non-zero uint64)."""
    return _BIT_INDEX[((x & (~x + np.uint64(1))) * _DE_BRUIJN) >> np.uint64(58)]


@njit(nogil=True, inline="always")
def window(job_geom, job_values, lo, n, c0, c1, px, py, pz, totals):
    """A point against a window of fields: jobs ``lo`` to ``lo + WINDOW`` of which the
    first ``n`` count (the job arrays are padded). The loop has a fixed length and no
    branch, so it vectorises; it reads the arrays in place (a slice would cost a
    reference count). ``totals`` (start from :data:`NO_TOTALS`), returned with this
    window's fields added: how many cover the point, their weights in classes ``c0`` and
    ``c1``, earliest start, latest end, and how many lie within a hair of an edge (left to
    the exact test)."""
    lo = max(lo, 0)  # lets the compiler drop the negative-index wrap-around
    n_classes = job_values.shape[0] - 2
    count, weight0, weight1, first, last, near = totals
    for k in range(WINDOW):
        j = lo + k
        dx = job_geom[0, j] - px
        dy = job_geom[1, j] - py
        dz = job_geom[2, j] - pz
        d2 = dx * dx + dy * dy + dz * dz
        valid = k < n
        inside = (d2 <= job_geom[3, j]) & valid
        count += 1 if inside else 0
        weight0 += job_values[c0, j] if inside else 0
        weight1 += job_values[c1, j] if inside else 0
        first = min(first, job_values[n_classes, j] if inside else _BIG)
        last = max(last, job_values[n_classes + 1, j] if inside else _SMALL)
        near += 1 if (d2 <= job_geom[4, j]) & valid & (d2 > job_geom[3, j]) else 0
    return count, weight0, weight1, first, last, near


@njit(nogil=True, inline="always")
def window_weight(job_geom, job_values, lo, n, c, px, py, pz):
    """The summed weight in class ``c`` of the fields of a window covering a point (a
    third class and beyond; as :func:`window`)."""
    lo = max(lo, 0)
    total = 0
    for k in range(WINDOW):
        j = lo + k
        dx = job_geom[0, j] - px
        dy = job_geom[1, j] - py
        dz = job_geom[2, j] - pz
        inside = (dx * dx + dy * dy + dz * dz <= job_geom[3, j]) & (k < n)
        total += job_values[c, j] if inside else 0
    return total


@njit(nogil=True, cache=True)
def walk(
    b_start,
    b_stop,
    blocks,
    n_froots,
    f_geom,
    f_mask,
    f_acc,
    f_links,
    job_geom,
    job_values,
    nodes,
    links,
    points,
    slots,
    slot_node,
    n_acc,
    p_acc,
    sort_from,
    pair_slot,
    pair_f,
    amb,
):  # pragma: no cover - compiled; covered through cap_totals
    """Walk the position cells ``blocks[b_start:b_stop]`` against the field tree from its
    ``n_froots`` roots, adding cell totals into ``n_acc`` (cell, class, total) and position
    totals into ``p_acc`` (total, class, position). The (position, job) pairs within a hair of
    an edge, left to the exact test, go into the rows of ``amb`` while there is room; return
    how many there are. (A buffer from the caller, not one grown here: an array variable
    that may be rebound costs reference counting in every loop that can reach it, ~5 % of
    the walk.)

    A pair of cells is decided here when one lies wholly inside or outside the other's reach;
    a pair of two leaves is kept in ``pair_slot``, ``pair_f`` (a buffer from the caller),
    and a block's leaf pairs (or as many as the buffer holds) are worked out by
    :func:`settle`, leaf by leaf. ``slots`` gives each cell the range of its
    leaves in ``slot_node`` (the leaves in the order of their positions).
    """
    n_classes = f_acc.shape[1]
    stack = np.empty((n_froots + 8 * 64, 2), dtype=np.int64)
    room = pair_f.size
    # settle's work space, made once per call
    counts = np.empty(slot_node.size + 2, dtype=np.int64)
    fields = np.empty(room, dtype=np.int64)
    g_geom = np.empty((5, room + 8))
    g_acc = np.empty((4, n_classes, room + 8), dtype=np.int64)
    bits = np.empty(room + 8, dtype=np.uint64)
    e2row = np.empty(room + 8)
    work = (counts, fields, g_geom, g_acc, bits, e2row)
    n_amb = 0
    for b in range(b_start, b_stop):
        # one block of positions against every field: its positions stay in the cache
        top = 0
        for g in range(n_froots):
            stack[top, 0] = blocks[b]
            stack[top, 1] = g
            top += 1
        n_pairs = 0
        while True:
            while top > 0 and n_pairs < room:
                # a (position cell, field cell) pair: decide it, or split the larger cell
                top -= 1
                nd = stack[top, 0]
                f = stack[top, 1]
                d2 = chord2_to(f_geom, f, nodes[nd, 0], nodes[nd, 1], nodes[nd, 2])
                sr = nodes[nd, 3]
                cr = nodes[nd, 4]
                s_out = f_geom[f, 5]
                c_out = f_geom[f, 6]
                # wholly outside: centres farther than r_out + both spreads (below 180 deg)
                if c_out * cr - s_out * sr > 0.0:
                    t = 2.0 * (s_out * cr + c_out * sr)
                    if d2 > t * t:
                        continue
                # wholly inside: centres within r_in - both spreads
                t = f_geom[f, 3] * cr - f_geom[f, 4] * sr
                if t > 0.0 and d2 <= 4.0 * t * t:
                    add(n_acc, nd, f_mask[f], f_acc, f)
                    continue
                pos_leaf = links[nd, 0] < 0
                field_leaf = f_links[f, 0] < 0
                if not pos_leaf and (field_leaf or nodes[nd, 5] >= f_geom[f, 9]):
                    for ch in range(links[nd, 0], links[nd, 1]):
                        stack[top, 0] = ch
                        stack[top, 1] = f
                        top += 1
                    continue
                if not field_leaf:
                    for ch in range(f_links[f, 0], f_links[f, 1]):
                        stack[top, 0] = nd
                        stack[top, 1] = ch
                        top += 1
                    continue
                pair_slot[n_pairs] = slots[nd, 0]
                pair_f[n_pairs] = f
                n_pairs += 1
            if n_pairs:  # the buffer is full, or the block is walked
                n_amb = settle(
                    n_pairs,
                    pair_slot,
                    pair_f,
                    slots[blocks[b], 0],
                    slots[blocks[b], 1],
                    (slot_node, links, nodes, points, p_acc),
                    (f_geom, f_mask, f_acc, f_links, job_geom, job_values),
                    sort_from,
                    amb,
                    n_amb,
                    work,
                )
                n_pairs = 0
            if top == 0:
                break
    return n_amb


@njit(nogil=True, cache=True)
def settle(
    n_pairs,
    pair_slot,
    pair_f,
    s0,
    s1,
    positions,
    fields_,
    sort_from,
    amb,
    n_amb,
    work,
):  # pragma: no cover - compiled; covered through cap_totals
    """Work out the leaf pairs ``(pair_slot, pair_f)[:n_pairs]`` of one block (its leaves
    are the slots ``s0:s1``), adding into ``p_acc`` and listing pairs near an edge in
    ``amb`` from ``n_amb`` on; return the new count. ``positions`` and ``fields_`` are the
    walk's arrays of each side, ``work`` its work space.

    The pairs are taken leaf by leaf. A leaf's field leaves are gathered side by side (centre,
    band, totals), and each of its positions meets all of them in loops without branches that
    vectorise: the totals of those it is clear inside are summed in registers and added once,
    and a bit per field leaf marks those in whose band it lies (a leaf's positions are taken
    :data:`GROUP` at a time, a bit each). Measured on Swift's 373k fields at survey density:
    ~8 % less time for the walk than one pass over a leaf's positions per field leaf, which
    added into every position's totals for each.

    The positions marked for a field leaf are then decided against its fields. Where there
    are at least ``sort_from`` of them, the field leaf is first sorted as seen from the
    position leaf. With ``c`` the field cell's centre, ``q`` the position cell's,
    ``d_j = c_j - c`` and ``e2 = |p - c|^2``, the squared chord from position p to field j is
    exactly ``e2 - key_j - 2 (p - q).d_j`` with ``key_j = 2 (q - c).d_j - |d_j|^2``, and the
    last term is at most ``u = 2 |p - q| |d_j|``, bounded by both cells' radii. So the fields
    clear inside a position are those with ``key_j >= e2 - r2_in + u``: a prefix of the
    fields sorted by key, whose totals are summed once per leaf pair. A position is decided
    so when every field is clear inside or clear outside (``key_j < e2 - r2_out - u``); the
    rest (a few per cent, and every pair within a hair of an edge) take the window test. Both
    give the same totals.
    """
    slot_node, links, nodes, points, p_acc = positions
    f_geom, f_mask, f_acc, f_links, job_geom, job_values = fields_
    counts, fields, g_geom, g_acc, bits, e2row = work
    n_classes = f_acc.shape[1]
    edge = np.empty(GROUP, dtype=np.int64)  # a group's positions near an edge
    edge_e2 = np.empty(GROUP)  # ... and their squared chords to the field leaf's centre
    # a field leaf as seen from a position leaf: keys, ranks, sorted keys, order, running totals
    scratch = (
        np.empty(SORT_MAX),
        np.empty(SORT_MAX, dtype=np.int64),
        np.empty(SORT_MAX + 1),  # one more, -inf, past a full prefix
        np.empty(SORT_MAX, dtype=np.int64),
        np.empty((4, SORT_MAX + 1), dtype=np.int64),
    )
    classes = np.zeros(max(n_classes, 2), dtype=np.int64)  # the classes a cell counts in
    present = np.zeros(max(n_classes, 1), dtype=np.int64)  # ... and those a leaf meets
    by_leaf(n_pairs, pair_slot, pair_f, s0, s1, counts, fields)
    base = 0
    for s in range(s1 - s0):
        end = counts[s]
        n_f = end - base
        if n_f == 0:
            continue
        nd = slot_node[s0 + s]
        n_pad, n_cls = gather(fields, base, n_f, f_geom, f_mask, f_acc, present, g_geom, g_acc)
        p_end = links[nd, 3]
        for g_lo in range(max(links[nd, 2], 0), p_end, GROUP):
            meet(points, g_lo, min(GROUP, p_end - g_lo), n_pad, n_cls, present, work, p_acc)
            # each field leaf against the group's positions in its band
            for fk in range(n_f):
                near_bits = bits[fk]
                if near_bits == np.uint64(0):
                    continue
                f = fields[base + fk]
                n_edge = 0
                while near_bits != np.uint64(0):
                    p = g_lo + lowest_bit(near_bits)
                    near_bits &= near_bits - np.uint64(1)
                    edge[n_edge] = p
                    edge_e2[n_edge] = chord2_from(
                        points, p, g_geom[0, fk], g_geom[1, fk], g_geom[2, fk]
                    )
                    n_edge += 1
                n_in = 0
                for c in range(n_classes):
                    if (f_mask[f] >> c) & 1:
                        classes[n_in] = c
                        n_in += 1
                if n_edge >= sort_from and f_links[f, 3] - f_links[f, 2] <= SORT_MAX and n_in <= 2:
                    n_edge = decide_by_prefix(
                        nd, f, n_edge, edge, edge_e2, classes, n_in, nodes, p_acc, fields_, scratch
                    )
                n_amb = decide_by_windows(
                    f, n_edge, edge, classes, n_in, points, p_acc, fields_, amb, n_amb
                )
        base = end
    return n_amb


@njit(nogil=True, inline="always")
def by_leaf(n_pairs, pair_slot, pair_f, s0, s1, counts, fields):
    """The pairs' field leaves grouped by position leaf (a counting sort over the block's
    slots ``s0:s1``): slot ``s``'s field leaves end at ``counts[s]`` in ``fields``."""
    n_slots = s1 - s0
    for s in range(n_slots + 1):
        counts[s] = 0
    for i in range(n_pairs):
        counts[pair_slot[i] - s0 + 1] += 1
    for s in range(n_slots):
        counts[s + 1] += counts[s]
    for i in range(n_pairs):
        s = pair_slot[i] - s0
        fields[counts[s]] = pair_f[i]
        counts[s] += 1


@njit(nogil=True, inline="always")
def gather(fields, base, n_f, f_geom, f_mask, f_acc, present, g_geom, g_acc):
    """A leaf's ``n_f`` field leaves (``fields[base:]``) side by side in ``g_geom`` (centre,
    band) and ``g_acc`` (totals per class the leaf meets, listed in ``present``; neutral where
    a field leaf does not count in the class), padded to whole vectors with field leaves that
    hold no position. Returns the padded length and the number of classes."""
    n_classes = f_acc.shape[1]
    n_pad = (n_f + 7) & -8
    all_mask = 0
    for k in range(n_f):
        all_mask |= f_mask[fields[base + k]]
    n_cls = 0
    for c in range(n_classes):
        if (all_mask >> c) & 1:
            present[n_cls] = c
            n_cls += 1
    for k in range(n_pad):
        f = fields[base + min(k, n_f - 1)]
        real = k < n_f
        g_geom[0, k] = f_geom[f, 0]
        g_geom[1, k] = f_geom[f, 1]
        g_geom[2, k] = f_geom[f, 2]
        g_geom[3, k] = f_geom[f, 7] if real else -1.0
        g_geom[4, k] = f_geom[f, 8] if real else -1.0
        for ci in range(n_cls):
            c = present[ci]
            member = real and (f_mask[f] >> c) & 1 == 1
            g_acc[0, ci, k] = f_acc[f, c, 0] if member else 0
            g_acc[1, ci, k] = f_acc[f, c, 1] if member else 0
            g_acc[2, ci, k] = f_acc[f, c, 2] if member else _BIG
            g_acc[3, ci, k] = f_acc[f, c, 3] if member else _SMALL
    return n_pad, n_cls


@njit(nogil=True, inline="always")
def meet(points, g_lo, m, n_pad, n_cls, present, work, p_acc):
    """Positions ``g_lo:g_lo + m`` against all the gathered field leaves, in loops without
    branches that vectorise: each adds the totals of those it is clear inside, once, and sets
    its bit in ``bits[k]`` for each field leaf ``k`` near whose edge it lies."""
    g_geom, g_acc, bits, e2row = work[2], work[3], work[4], work[5]
    for k in range(n_pad):
        bits[k] = np.uint64(0)
    for j in range(m):
        p = g_lo + j
        px = points[0, p]
        py = points[1, p]
        pz = points[2, p]
        bit = np.uint64(1) << np.uint64(j)
        for k in range(n_pad):
            dx = g_geom[0, k] - px
            dy = g_geom[1, k] - py
            dz = g_geom[2, k] - pz
            e2 = dx * dx + dy * dy + dz * dz
            e2row[k] = e2
            near = (e2 > g_geom[3, k]) & (e2 <= g_geom[4, k])
            bits[k] |= bit if near else np.uint64(0)
        for ci in range(n_cls):
            count = 0
            weight = 0
            first = _BIG
            last = _SMALL
            for k in range(n_pad):
                inside = e2row[k] <= g_geom[3, k]
                count += g_acc[0, ci, k] if inside else 0
                weight += g_acc[1, ci, k] if inside else 0
                first = min(first, g_acc[2, ci, k] if inside else _BIG)
                last = max(last, g_acc[3, ci, k] if inside else _SMALL)
            c = present[ci]
            p_acc[0, c, p] += count
            p_acc[1, c, p] += weight
            p_acc[2, c, p] = min(p_acc[2, c, p], first)
            p_acc[3, c, p] = max(p_acc[3, c, p], last)


@njit(nogil=True, inline="always")
def decide_by_prefix(nd, f, n_edge, edge, edge_e2, classes, n_in, nodes, p_acc, fields_, scratch):
    """Decide the ``n_edge`` positions ``edge`` of leaf ``nd`` near field leaf ``f``'s edge by
    the prefix of its fields sorted as seen from the leaf (see :func:`settle`); the undecided
    ones are left at the front of ``edge``, and their number returned."""
    f_geom, f_mask, f_acc, f_links, job_geom, job_values = fields_
    keys, rank, s_keys, order, sums = scratch
    n_values = job_values.shape[0] - 2  # rows of job_values: weights per class, start, end
    c0 = classes[0]
    c1 = classes[1] if n_in > 1 else c0
    j_lo = max(f_links[f, 2], 0)
    n_jobs = f_links[f, 3] - j_lo
    cx = f_geom[f, 0]
    cy = f_geom[f, 1]
    cz = f_geom[f, 2]
    qx = nodes[nd, 0] - cx
    qy = nodes[nd, 1] - cy
    qz = nodes[nd, 2] - cz
    pad = WINDOW if n_jobs <= WINDOW else SORT_MAX
    for k in range(pad):
        dx = job_geom[0, j_lo + k] - cx
        dy = job_geom[1, j_lo + k] - cy
        dz = job_geom[2, j_lo + k] - cz
        key = 2.0 * (dx * qx + dy * qy + dz * qz) - (dx * dx + dy * dy + dz * dz)
        keys[k] = key if k < n_jobs else -np.inf
        rank[k] = 0
    for i in range(n_jobs):  # rank by key, descending (ties by position)
        key = keys[i]
        for k in range(pad):
            rank[k] += 1 if (key > keys[k]) | ((key == keys[k]) & (i < k)) else 0
    for k in range(n_jobs):
        s_keys[rank[k]] = keys[k]
        order[rank[k]] = j_lo + k
    for k in range(n_jobs, pad + 1):
        s_keys[k] = -np.inf
    # running totals of the sorted fields: weights in both classes, earliest start, latest end
    sums[0, 0] = 0
    sums[1, 0] = 0
    sums[2, 0] = _BIG
    sums[3, 0] = _SMALL
    for k in range(n_jobs):
        j = order[k]
        sums[0, k + 1] = sums[0, k] + job_values[c0, j]
        sums[1, k + 1] = sums[1, k] + job_values[c1, j]
        sums[2, k + 1] = min(sums[2, k], job_values[n_values, j])
        sums[3, k + 1] = max(sums[3, k], job_values[n_values + 1, j])
    # the leaf's fields share their radius; u bounds 2 |p - q| |d_j| by the chords of both
    # cells' radii, 2 sin(half) <= 2 half (no sine in the loop)
    r2_in = job_geom[3, j_lo]
    r2_out = job_geom[4, j_lo]
    u = 8.0 * nodes[nd, 3] * f_geom[f, 9] * (1.0 + 1e-6) + 1e-12
    n_left = 0
    for q in range(n_edge):
        p = edge[q]
        t_in = edge_e2[q] - r2_in + u
        k_in = 0
        for k in range(pad):
            k_in += 1 if s_keys[k] >= t_in else 0
        # sorted keys: the first past the prefix is clear outside, or none is (one comparison
        # where a second count cost ~3 % of the walk)
        if s_keys[k_in] >= edge_e2[q] - r2_out - u:  # a field neither clear inside nor out
            edge[n_left] = p
            n_left += 1
            continue
        for i in range(n_in):
            c = classes[i]
            p_acc[0, c, p] += k_in
            p_acc[1, c, p] += sums[0, k_in] if i == 0 else sums[1, k_in]
            p_acc[2, c, p] = min(p_acc[2, c, p], sums[2, k_in])
            p_acc[3, c, p] = max(p_acc[3, c, p], sums[3, k_in])
    return n_left


@njit(nogil=True, inline="always")
def decide_by_windows(f, n_edge, edge, classes, n_in, points, p_acc, fields_, amb, n_amb):
    """Decide the ``n_edge`` positions ``edge`` against field leaf ``f``'s fields a window at
    a time; pairs within a hair of an edge go into ``amb`` (see :func:`walk`). Returns the new
    count of those."""
    f_geom, f_mask, f_acc, f_links, job_geom, job_values = fields_
    c0 = classes[0]
    c1 = classes[1] if n_in > 1 else c0
    for q in range(n_edge):
        p = edge[q]
        px = points[0, p]
        py = points[1, p]
        pz = points[2, p]
        totals = NO_TOTALS
        for lo in range(f_links[f, 2], f_links[f, 3], WINDOW):
            n = min(WINDOW, f_links[f, 3] - lo)
            totals = window(job_geom, job_values, lo, n, c0, c1, px, py, pz, totals)
        count, weight0, weight1, first, last, near = totals
        if near:
            for j in range(f_links[f, 2], f_links[f, 3]):
                dx = job_geom[0, j] - px
                dy = job_geom[1, j] - py
                dz = job_geom[2, j] - pz
                e2 = dx * dx + dy * dy + dz * dz
                if job_geom[3, j] < e2 <= job_geom[4, j]:
                    if n_amb < amb.shape[0]:
                        amb[n_amb, 0] = p
                        amb[n_amb, 1] = j
                    n_amb += 1
        for m in range(n_in):
            c = classes[m]
            if m == 0:
                w = weight0
            elif m == 1:
                w = weight1
            else:
                w = 0
                for lo in range(f_links[f, 2], f_links[f, 3], WINDOW):
                    n = min(WINDOW, f_links[f, 3] - lo)
                    w += window_weight(job_geom, job_values, lo, n, c, px, py, pz)
            p_acc[0, c, p] += count
            p_acc[1, c, p] += w
            p_acc[2, c, p] = min(p_acc[2, c, p], first)
            p_acc[3, c, p] = max(p_acc[3, c, p], last)
    return n_amb
