"""The compiled walk of :mod:`daxa.sky.cap_cover` (numba, the ``fast`` extra).

Its own module, imported only when a walk runs, so that daxa imports without numba, and so
that numba's on-disk cache can key the functions on this file (a closure's cache entry never
matched again: every process compiled the walk anew, ~7 s).
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
    n_acc,
    p_acc,
    max_leaf,
    sort_from,
    amb,
):  # pragma: no cover - compiled; covered through cap_totals
    """Walk the position cells ``blocks[b_start:b_stop]`` against the field tree from its
    ``n_froots`` roots, adding cell totals into ``n_acc`` (cell, class, total) and position
    totals into ``p_acc`` (total, class, position). The (position, job) pairs within a hair of
    an edge, left to the exact test, go into the rows of ``amb`` while there is room; return
    how many there are. (A buffer from the caller, not one grown here: an array variable
    that may be rebound costs reference counting in every loop that can reach it, ~5 % of
    the walk.)

    Where a position leaf has at least ``sort_from`` positions near a field leaf's edge, the
    field leaf is first sorted as seen from the position leaf. With ``c`` the field cell's
    centre, ``q`` the position cell's, ``d_j = c_j - c`` and ``e2 = |p - c|^2``, the squared
    chord from position p to field j is exactly ``e2 - key_j - 2 (p - q).d_j`` with
    ``key_j = 2 (q - c).d_j - |d_j|^2``, and the last term is at most
    ``u = 2 |p - q| |d_j|``, bounded by both cells' radii. So the fields clear inside a
    position are those with ``key_j >= e2 - r2_in + u``: a prefix of the fields sorted by key,
    whose totals are summed once per leaf pair. A position is decided so when every field is
    clear inside or clear outside (``key_j < e2 - r2_out - u``); the rest (a few per cent,
    and every pair within a hair of an edge) take the window test. Both give the same totals.
    """
    n_classes = f_acc.shape[1]
    stack = np.empty((n_froots + 8 * 64, 2), dtype=np.int64)
    edge = np.empty(max_leaf, dtype=np.int64)  # a position leaf's positions near an edge
    # a field leaf sorted by key as seen from a position leaf, with its running totals
    keys = np.empty(SORT_MAX)
    rank = np.empty(SORT_MAX, dtype=np.int64)
    s_keys = np.empty(SORT_MAX)
    s_w0 = np.empty(SORT_MAX, dtype=np.int64)
    s_w1 = np.empty(SORT_MAX, dtype=np.int64)
    s_first = np.empty(SORT_MAX, dtype=np.int64)
    s_last = np.empty(SORT_MAX, dtype=np.int64)
    sum_w0 = np.empty(SORT_MAX + 1, dtype=np.int64)
    sum_w1 = np.empty(SORT_MAX + 1, dtype=np.int64)
    sum_first = np.empty(SORT_MAX + 1, dtype=np.int64)
    sum_last = np.empty(SORT_MAX + 1, dtype=np.int64)
    n_values = job_values.shape[0] - 2  # rows of job_values: weights per class, start, end
    n_amb = 0
    classes = np.zeros(max(n_classes, 2), dtype=np.int64)  # the classes a cell counts in
    for b in range(b_start, b_stop):
        # one block of positions against every field: its positions stay in the cache
        top = 0
        for g in range(n_froots):
            stack[top, 0] = blocks[b]
            stack[top, 1] = g
            top += 1
        while top > 0:
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
            mask = f_mask[f]
            n_in = 0
            for c in range(n_classes):
                if (mask >> c) & 1:
                    classes[n_in] = c
                    n_in += 1
            c0 = classes[0]
            c1 = classes[1] if n_in > 1 else c0
            # two leaves: every position against the field leaf's cell, in a loop without
            # branches that vectorises (the outcomes are mixed along an edge): those clear
            # inside take the cell's totals; those near an edge are then listed and tested
            # against its fields. (Counting from 0 lets the compiler drop the negative-index
            # wrap-around, which otherwise stops it vectorising.)
            p_lo = max(links[nd, 2], 0)
            m = max(links[nd, 3] - p_lo, 0)
            cx = f_geom[f, 0]
            cy = f_geom[f, 1]
            cz = f_geom[f, 2]
            inner = f_geom[f, 7]
            outer = f_geom[f, 8]
            n_edge = 0
            for i in range(n_in):
                c = classes[i]
                count = f_acc[f, c, 0]
                weight = f_acc[f, c, 1]
                first = f_acc[f, c, 2]
                last = f_acc[f, c, 3]
                n_edge = 0
                for j in range(m):
                    p = p_lo + j
                    e2 = chord2_from(points, p, cx, cy, cz)
                    inside = e2 <= inner
                    p_acc[0, c, p] += count if inside else 0
                    p_acc[1, c, p] += weight if inside else 0
                    p_acc[2, c, p] = min(p_acc[2, c, p], first if inside else _BIG)
                    p_acc[3, c, p] = max(p_acc[3, c, p], last if inside else _SMALL)
                    n_edge += 1 if (e2 > inner) & (e2 <= outer) else 0
            if n_edge:
                n_edge = 0
                for j in range(m):
                    p = p_lo + j
                    e2 = chord2_from(points, p, cx, cy, cz)
                    edge[n_edge] = p
                    n_edge += 1 if (e2 > inner) & (e2 <= outer) else 0
            j_lo = max(f_links[f, 2], 0)
            n_jobs = f_links[f, 3] - j_lo
            if n_edge >= sort_from and n_jobs <= SORT_MAX and n_in <= 2:
                # the field leaf sorted as seen from this position leaf (see the docstring)
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
                    r = rank[k]
                    s_keys[r] = keys[k]
                    s_w0[r] = job_values[c0, j_lo + k]
                    s_w1[r] = job_values[c1, j_lo + k]
                    s_first[r] = job_values[n_values, j_lo + k]
                    s_last[r] = job_values[n_values + 1, j_lo + k]
                for k in range(n_jobs, pad):
                    s_keys[k] = -np.inf
                sum_w0[0] = 0
                sum_w1[0] = 0
                sum_first[0] = _BIG
                sum_last[0] = _SMALL
                for k in range(n_jobs):
                    sum_w0[k + 1] = sum_w0[k] + s_w0[k]
                    sum_w1[k + 1] = sum_w1[k] + s_w1[k]
                    sum_first[k + 1] = min(sum_first[k], s_first[k])
                    sum_last[k + 1] = max(sum_last[k], s_last[k])
                # the leaf's fields share their radius; u bounds 2 |p - q| |d_j| by the
                # chords of both cells' radii, 2 sin(half) <= 2 half (no sine in the loop)
                r2_in = job_geom[3, j_lo]
                r2_out = job_geom[4, j_lo]
                u = 8.0 * nodes[nd, 3] * f_geom[f, 9] * (1.0 + 1e-6) + 1e-12
                n_left = 0
                for q in range(n_edge):
                    p = edge[q]
                    e2 = chord2_from(points, p, cx, cy, cz)
                    t_in = e2 - r2_in + u
                    t_out = e2 - r2_out - u
                    k_in = 0
                    k_out = 0
                    for k in range(pad):
                        k_in += 1 if s_keys[k] >= t_in else 0
                        k_out += 1 if s_keys[k] >= t_out else 0
                    if k_in != k_out:  # a field neither clear inside nor outside
                        edge[n_left] = p
                        n_left += 1
                        continue
                    for i in range(n_in):
                        c = classes[i]
                        p_acc[0, c, p] += k_in
                        p_acc[1, c, p] += sum_w0[k_in] if i == 0 else sum_w1[k_in]
                        p_acc[2, c, p] = min(p_acc[2, c, p], sum_first[k_in])
                        p_acc[3, c, p] = max(p_acc[3, c, p], sum_last[k_in])
                n_edge = n_left
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
