"""The build side of the cell join (:mod:`daxa.sky._join`): one side's cones as a table of
the cells they may touch.

The build side (normally the smaller) is covered by declination-zone cells
(:meth:`~daxa.sky._zones.ZoneGrid.cover`) and sorted into a cell -> rows table (CSR over the
occupied cells only), with a 1-bit occupancy table and a rank per 64 cells, so that a probe
finds its cell's rows with a population count and two offsets. :func:`cell_size` chooses how
fine the cells are. With numba, the cell index is one counting sort
(:mod:`daxa.sky._join_kernels`, loaded by :func:`compiled_kernels`, which the probe side uses
too); without it, numpy's unique, population counts and a stable argsort give the same arrays.
Work is shared between threads when the side is large (:mod:`daxa.sky._parallel`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from daxa.sky._parallel import map_parts, split, threads_for
from daxa.sky._zones import ZoneGrid, zone_grid
from daxa.sky.geometry import chord2_limit, xyz

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Cells per build row at most, over the part of the sky the build side occupies ...
CELLS_PER_ROW = 16
#: ... and never more than this many cells in all (1 MiB of occupancy bits, which every probe
#: row reads at random, and 1 MiB of ranks).
MAX_CELLS = 1 << 23
#: Build rows per thread below which the cell table is built on one thread: measured (load
#: ~4 on 2 cores) at 1e5 rows a split build saved ~1 ms of 15 at 2", lost at 0.5 deg.
MIN_BUILD_ROWS_PER_THREAD = 100_000
#: Cover parts per thread: a thread that finishes early takes another part, so one slowed by
#: a busy machine does not hold the other back.
COVER_PARTS_PER_THREAD = 4
#: Zone height as a multiple of the largest cover radius (measured best on A/B workloads).
CELL_PER_RADIUS = 1.0
#: Weight of candidate tests against cells indexed, in :func:`cell_size`'s balance (measured).
BALANCE = 3.0
#: Cells of about this size (degrees) measure a side's footprint.
FOOTPRINT_CELL_DEG = 3.2
#: Area of the sky in square degrees.
SKY_DEG2 = 4.0 * np.pi * (180.0 / np.pi) ** 2


def cell_size(
    max_cover_radius: float, n_build: int, n_probe: int = 0, footprint: float = 1.0
) -> float:
    """Zone height for a join: about the radius, but never so fine that cells outnumber rows.

    More cells cost more to index but give each probe fewer candidates. A build side that
    occupies a ``footprint`` (fraction of the sky: one chunk of a larger catalogue) gets as many
    cells per row *there* as a whole-sky side gets over the sky, so a chunk's probes meet as
    few candidates as a match in one piece (only occupied cells cost table space). When many
    probes fall on a small side, the count is raised towards the balance of the two costs,
    ``sqrt(BALANCE * n_probe * n_build / footprint)`` (BALANCE measured from 1 to 60 on three
    chunks, with the compiled cell index). Whole-sky joins are as they were.
    """
    fp = max(footprint, 1e-6)
    balance = np.sqrt(BALANCE * n_probe * n_build / fp)
    cap = min(MAX_CELLS, max(4096, int(CELLS_PER_ROW * n_build / fp), int(balance)))
    finest = float(np.sqrt(SKY_DEG2 / cap))
    return float(min(180.0, max(CELL_PER_RADIUS * max_cover_radius, finest)))


def footprint(ra: FloatArray, dec: FloatArray) -> float:
    """The fraction of the sky a set of positions occupies, to a few percent: the share of
    about 4,000 equal-area cells that hold any of (at most 20,000 of) them."""
    grid = zone_grid(FOOTPRINT_CELL_DEG)
    step = max(1, ra.size // 20_000)
    cells = grid.cells(ra[::step], dec[::step])
    if cells.size == 0:
        return 1.0
    occupied = np.zeros(grid.ncells, dtype=np.bool_)  # (a sort in np.unique cost 5x more)
    occupied[cells] = True
    return float(np.count_nonzero(occupied) / grid.ncells)


@dataclass
class CellTable:
    """The build side as a cell -> rows table over its occupied cells, with its vectors in
    table order."""

    grid: ZoneGrid
    occupied: npt.NDArray[np.uint64]  # bit k & 63 of word k >> 6: cell k has rows
    rank: IntArray  # occupied cells before each word (one more than the words)
    start: IntArray  # rows of the j-th occupied cell are positions start[j]:start[j+1]
    row: IntArray  # build row at each position
    xyz: npt.NDArray[np.void]  # unit vector at each position, as 24-byte records
    limit: FloatArray | None  # per-position chord2 limit when the build side owns radii
    radius: FloatArray | None  # per-position radius when the build side owns radii


def build_table(
    ra: FloatArray,
    dec: FloatArray,
    cover_radius: FloatArray,
    cell_deg: float,
    own_radius: FloatArray | None,
) -> CellTable:
    """Cover each build row's cone of ``cover_radius`` and index the cells.

    Work is shared between threads when the side is large (see :mod:`daxa.sky._parallel`):
    the covers of consecutive parts of the rows, put back in row order, so the table is the
    same. The unit vectors are then made in the table's order (no gather of finished ones)."""
    grid = zone_grid(cell_deg)
    threads = threads_for(ra.size, MIN_BUILD_ROWS_PER_THREAD)
    ranges = split(ra.size, threads if threads == 1 else threads * COVER_PARTS_PER_THREAD)

    def cover(i: int) -> tuple[IntArray, IntArray]:
        lo, hi = ranges[i]
        r = cover_radius if cover_radius.size == 1 else cover_radius[lo:hi]
        point, cell = grid.cover(ra[lo:hi], dec[lo:hi], r)
        point += lo
        return point, cell

    covers = map_parts(cover, len(ranges), threads)
    point = np.concatenate([c[0] for c in covers]) if len(covers) > 1 else covers[0][0]
    cell = np.concatenate([c[1] for c in covers]) if len(covers) > 1 else covers[0][1]

    occupied, rank, start, order = _index_cells(cell, grid.ncells)
    row = point.take(order)
    limit = radius = None
    if own_radius is not None:
        radius = own_radius.take(row)
        limit = chord2_limit(radius)
    return CellTable(grid, occupied, rank, start, row, unit_records(ra, dec, row), limit, radius)


def _index_cells(
    cell: IntArray, n_cells: int
) -> tuple[npt.NDArray[np.uint64], IntArray, IntArray, IntArray]:
    """(occupied, rank, start, order): the occupancy bits of the cells (64 to a word), the
    occupied cells before each word, the offsets of each occupied cell's rows, and the rows in
    (cell, row) order. Compiled, one counting sort, when numba is installed; else numpy's
    unique, population counts and a stable argsort (the same arrays)."""
    n_words = (n_cells + 63) // 64
    occupied = np.zeros(n_words, dtype=np.uint64)
    rank = np.zeros(n_words + 1, dtype=np.int64)
    kernels = compiled_kernels()
    if kernels is not None:
        order = np.empty(cell.size, dtype=np.int64)
        start = kernels.index_cells(cell, occupied, rank, order)
        return occupied, rank, start, order
    cells, slot, count = np.unique(cell, return_inverse=True, return_counts=True)
    np.bitwise_or.at(
        occupied, cells >> 6, np.left_shift(np.uint64(1), (cells & 63).astype(np.uint64))
    )
    np.cumsum(popcount(occupied), out=rank[1:])
    start = np.zeros(cells.size + 1, dtype=np.int64)
    np.cumsum(count, out=start[1:])
    return occupied, rank, start, np.argsort(slot.ravel(), kind="stable")


def popcount(words: npt.NDArray[np.uint64]) -> IntArray:
    """Set bits of each uint64 word (the SWAR count, as the compiled kernels do it)."""
    x = words - ((words >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return ((x * np.uint64(0x0101010101010101)) >> np.uint64(56)).astype(np.int64)


def _records(x: FloatArray, y: FloatArray, z: FloatArray) -> npt.NDArray[np.void]:
    """Unit vectors as one 24-byte record each: one gather fetches a whole vector, which is
    about three times faster than gathering three coordinate arrays."""
    return np.ascontiguousarray(np.stack((x, y, z), axis=1)).view("V24").ravel()


#: Rows whose unit vectors are made at a time by :func:`unit_records`.
RECORD_BLOCK = 1 << 14


def unit_records(ra: FloatArray, dec: FloatArray, rows: IntArray) -> npt.NDArray[np.void]:
    """:func:`_records` of the unit vectors of (``ra``, ``dec``) at ``rows`` (the table's
    order), made a block of rows at a time into the output: the trigonometry's temporaries (a
    dozen arrays of the rows' size at once) stay small and are reused, instead of fresh memory
    the kernel must zero, and no finished vectors are gathered again. On 1e6 rows: 11 ms
    instead of 25-30 ms (119 ms on fresh memory), the build's peak 101 MB instead of 131 MB,
    and `nearest` on 1e7 x 1e6 no longer spent 0.15-0.25 s in the kernel in one call out of
    two (a VM whose fresh pages come slowly: see the README). The arithmetic is
    :func:`~daxa.sky.geometry.xyz`'s, so the vectors are the same bits."""
    out = np.empty((rows.size, 3), dtype=np.float64)
    for lo in range(0, rows.size, RECORD_BLOCK):
        block = rows[lo : lo + RECORD_BLOCK]
        x, y, z = xyz(ra.take(block), dec.take(block))
        out[lo : lo + block.size, 0] = x
        out[lo : lo + block.size, 1] = y
        out[lo : lo + block.size, 2] = z
    return out.view("V24").ravel()


def _vectors(records: npt.NDArray[np.void]) -> FloatArray:
    return records.view(np.float64).reshape(-1, 3)


@cache
def compiled_kernels() -> Any:
    """The compiled index and candidate test (:mod:`daxa.sky._join_kernels`), or None without
    numba."""
    try:
        from daxa.sky import _join_kernels
    except ImportError:
        return None
    return _join_kernels
