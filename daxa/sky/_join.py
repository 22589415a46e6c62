"""The cell join behind every pair search: cover one side's cones, look the other side up.

One side (the *build* side, normally the smaller) is turned into the cells its cones may touch
(:meth:`ZoneGrid.cover`), sorted into a cell -> rows table (CSR over the occupied cells only):
:mod:`daxa.sky._cell_table`. This module is the other half.
Every point of the other side (the *probe* side) computes its one cell, checks a 1-bit occupancy
table (1 MiB: it stays in cache) and, for occupied cells only, counts the occupied cells before
its own (a rank: one word's population count plus a count per 64 cells) to read two offsets: no
sort of the larger side, no tree. Only occupied cells have offsets, so a table as fine as the
whole sky's costs a small build side (one chunk of a larger catalogue) no more than its rows:
with dense offsets (32 MiB) a chunk had to take cells 4 times coarser, and its probes 16 times
more candidates (a 1e7 x 1e6 match in 61 chunks: 0.21 s in the joins against 0.12 s whole).
Candidates are expanded in blocks of bounded size (cache-friendly, bounded memory) and tested
with squared chords first, then with the exact separation of
:func:`daxa.sky.geometry.angular_separation`'s arithmetic.

Output comes sorted by (probe, build) without a final sort: probes are visited in index order
and each probe meets each build row at most once, in build-index order.

Both cores: the covers, the probe blocks and the candidate blocks are independent, so they run
on the engine's threads (:mod:`daxa.sky._parallel`) and are put back in order: the answer is
the one-thread answer bit for bit. With numba, the cell index (a counting sort), the probe and
the candidates' squared-chord test are compiled loops (:mod:`daxa.sky._join_kernels`,
:mod:`daxa.sky._probe_kernel`) with the numpy path's arithmetic; trigonometry stays in numpy.
So is the cover of small cones (:mod:`daxa.sky._zones`), whose cells may differ from the
numpy path's only by an extra cell: the pairs, tested exactly, are the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from daxa.sky import _cell_table
from daxa.sky._cell_table import CellTable, _records, _vectors, popcount
from daxa.sky._parallel import map_parts, threads_for
from daxa.sky._zones import _ZONE_SCALE
from daxa.sky.geometry import chord2_limit, far_separation, near_separation, xyz

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Probe rows handled per step (and per thread hand-off) when looking up cells.
PROBE_BLOCK = 1 << 16
#: Candidate pairs tested per step (keeps temporaries in cache and memory bounded).
CANDIDATE_BLOCK = 1 << 17


def stable_argsort_int(keys: IntArray, max_key: int) -> IntArray:
    """Stable argsort of non-negative integer keys below ``max_key``.

    numpy radix-sorts 16-bit keys; two passes of it sort 32-bit keys about five times faster
    than ``np.argsort(kind="stable")`` on int64.
    """
    if max_key <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    if max_key <= 1 << 32:
        first = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
        second = np.argsort((keys[first] >> 16).astype(np.uint16), kind="stable")
        return first[second]
    return np.argsort(keys, kind="stable")


def _slots(table: CellTable, cells: IntArray) -> IntArray:
    """The rank of each occupied cell among the occupied cells (numpy)."""
    word = cells >> 6
    below = table.occupied.take(word) & (
        (np.uint64(1) << (cells & 63).astype(np.uint64)) - np.uint64(1)
    )
    return table.rank.take(word) + popcount(below)


def _probe_hits(
    table: CellTable, ra: FloatArray, dec: FloatArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Probe rows that have candidates, with their candidate count and first table position."""
    rows, cells = _occupied(table, ra, dec)
    kernels = _cell_table.compiled_kernels()
    if kernels is None:
        slot = _slots(table, cells)
        first = table.start.take(slot)
        return rows, table.start.take(slot + 1) - first, first
    first, count = np.empty((2, cells.size), dtype=np.int64)
    kernels.hit_offsets(cells, table.occupied, table.rank, table.start, first, count)
    return rows, count, first


def _occupied(table: CellTable, ra: FloatArray, dec: FloatArray) -> tuple[IntArray, IntArray]:
    """Probe rows whose cell holds build rows, and those cells: compiled when numba is
    installed, :func:`_occupied_numpy` otherwise (the same rows)."""
    kernel = _compiled_probe()
    if kernel is None or ra.size == 0:
        return _occupied_numpy(table, ra, dec)
    grid = table.grid
    zone_scale = grid.nzones * _ZONE_SCALE  # as ZoneGrid.zone_of multiplies
    rows, cells = np.empty((2, ra.size), dtype=np.int64)
    k = kernel(ra, dec, zone_scale, grid.scale, grid.base, table.occupied, rows, cells)
    return rows[:k], cells[:k]


@cache
def _compiled_probe() -> Any:
    """The compiled probe, or None without numba (loaded from numba's disk cache)."""
    try:
        from daxa.sky import _probe_kernel
    except ImportError:
        return None
    return _probe_kernel.probe_cells


def _occupied_numpy(table: CellTable, ra: FloatArray, dec: FloatArray) -> tuple[IntArray, IntArray]:
    """:func:`_occupied` in numpy, a block of probe rows at a time."""
    rows, cells = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for lo in range(0, ra.size, PROBE_BLOCK):
        cell = table.grid.cells(ra[lo : lo + PROBE_BLOCK], dec[lo : lo + PROBE_BLOCK])
        word = table.occupied.take(cell >> 6)
        word >>= (cell & 63).astype(np.uint64)
        word &= np.uint64(1)
        hit = np.flatnonzero(word)
        rows.append(hit + lo)
        cells.append(cell.take(hit))
    return np.concatenate(rows), np.concatenate(cells)


def count_candidates(table: CellTable, ra: FloatArray, dec: FloatArray) -> int:
    """How many candidate pairs a join would test (cheap: no expansion)."""
    return sum(
        int(_probe_hits(table, ra[lo : lo + PROBE_BLOCK], dec[lo : lo + PROBE_BLOCK])[1].sum())
        for lo in range(0, ra.size, PROBE_BLOCK)
    )


def _blocks(counts: IntArray) -> Iterator[tuple[int, int]]:
    """Consecutive probe-row ranges with about CANDIDATE_BLOCK candidates each (a block exceeds
    it by at most one probe row's candidates)."""
    if counts.size == 0:
        return
    block = (np.cumsum(counts) - counts) // CANDIDATE_BLOCK
    edges = np.concatenate(([0], np.flatnonzero(block[1:] != block[:-1]) + 1, [counts.size]))
    yield from zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True)


def join(
    table: CellTable,
    ra: FloatArray,
    dec: FloatArray,
    probe_radius: FloatArray | None,
    scalar_radius: float | None,
) -> tuple[IntArray, IntArray, FloatArray]:
    """All (probe row, build row, separation) within the radius, sorted by (probe, build).

    The radius of a pair is ``scalar_radius``, or the probe row's ``probe_radius``, or the build
    row's radius held in the table (exactly one of the three is given).
    """
    limit_r = scalar_radius if scalar_radius is not None else 0.0
    vectors = _vectors(table.xyz)
    near = _near_compiled if _cell_table.compiled_kernels() is not None else _near_numpy

    def candidates(
        rows: IntArray, counts: IntArray, firsts: IntArray
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """The pairs of probe rows ``rows`` (with their candidates' count and first position)."""
        p = rows
        px, py, pz = xyz(ra.take(p), dec.take(p))
        limit_p = None if probe_radius is None else chord2_limit(probe_radius.take(p))
        local, pos, d2 = near(table, limit_r, limit_p, px, py, pz, counts, firsts)
        sep = near_separation(d2)
        far = np.flatnonzero(d2 > 2.0)
        if far.size:  # as geometry.separation_from_xyz does
            lf, v = local.take(far), vectors[pos.take(far)]
            sx, sy, sz = px.take(lf) + v[:, 0], py.take(lf) + v[:, 1], pz.take(lf) + v[:, 2]
            sep[far] = far_separation(sx * sx + sy * sy + sz * sz)
        if table.radius is not None:
            ok = np.flatnonzero(sep <= table.radius.take(pos))
        elif probe_radius is not None:
            ok = np.flatnonzero(sep <= probe_radius.take(p.take(local)))
        else:
            ok = np.flatnonzero(sep <= limit_r)
        return p.take(local.take(ok)), table.row.take(pos.take(ok)), sep.take(ok)

    def block(i: int) -> list[tuple[IntArray, IntArray, FloatArray]]:
        """A block of probe rows: its hits, then their candidates a block at a time."""
        lo = i * PROBE_BLOCK
        rows, counts, firsts = _probe_hits(
            table, ra[lo : lo + PROBE_BLOCK], dec[lo : lo + PROBE_BLOCK]
        )
        rows += lo
        return [candidates(rows[a:b], counts[a:b], firsts[a:b]) for a, b in _blocks(counts)]

    # probe blocks in order, on several threads when there are several (measured: a block is
    # 0.4 ms of work or more, the probe step alone; a hand-off to a helper ~0.06 ms): the
    # same pairs in the same order
    n_blocks = -(-ra.size // PROBE_BLOCK)
    parts = [c for b in map_parts(block, n_blocks, threads_for(n_blocks, 1)) for c in b]
    if not parts:
        e = np.zeros(0, dtype=np.int64)
        return e, e.copy(), np.zeros(0, dtype=np.float64)
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
    )


def _near_compiled(
    table: CellTable,
    limit_r: float,
    limit_p: FloatArray | None,
    px: FloatArray,
    py: FloatArray,
    pz: FloatArray,
    counts: IntArray,
    firsts: IntArray,
) -> tuple[IntArray, IntArray, FloatArray]:
    """(probe row in the block, table position, squared chord) of the candidates within their
    chord limit, in (probe, position) order: one compiled pass, no candidate arrays."""
    if table.limit is not None:
        limits, limit_of = table.limit, 2
    elif limit_p is not None:
        limits, limit_of = limit_p, 1
    else:
        limits, limit_of = np.array([chord2_limit(limit_r)], dtype=np.float64), 0
    total = int(counts.sum())
    local = np.empty(total, dtype=np.int64)
    pos = np.empty(total, dtype=np.int64)
    d2 = np.empty(total, dtype=np.float64)
    k = _cell_table.compiled_kernels().near_candidates(
        px, py, pz, firsts, counts, _vectors(table.xyz), limits, limit_of, local, pos, d2
    )
    return local[:k], pos[:k], d2[:k]


def _near_numpy(
    table: CellTable,
    limit_r: float,
    limit_p: FloatArray | None,
    px: FloatArray,
    py: FloatArray,
    pz: FloatArray,
    counts: IntArray,
    firsts: IntArray,
) -> tuple[IntArray, IntArray, FloatArray]:
    """:func:`_near_compiled` in numpy: every candidate expanded, then tested."""
    total = int(counts.sum())
    local = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    pos = np.arange(total, dtype=np.int64)
    pos += np.repeat(firsts - (np.cumsum(counts) - counts), counts)
    u = _vectors(_records(px, py, pz).take(local))
    v = _vectors(table.xyz.take(pos))
    d = u - v  # same arithmetic as geometry.chord2(u, v)
    d *= d
    d2 = d[:, 0] + d[:, 1]
    d2 += d[:, 2]
    if table.limit is not None:
        keep = np.flatnonzero(d2 <= table.limit.take(pos))
    elif limit_p is not None:
        keep = np.flatnonzero(d2 <= limit_p.take(local))
    else:
        keep = np.flatnonzero(d2 <= float(chord2_limit(limit_r)))
    return local.take(keep), pos.take(keep), d2.take(keep)
