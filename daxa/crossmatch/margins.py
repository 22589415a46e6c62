"""HEALPix ranges of chunked matching: the cells that make up a chunk and its margin.

A chunk is an order-29 range ``[lo, hi)`` on pixel edges at :data:`ALIGN_ORDER`, so it is a
union of whole HEALPix cells (:func:`range_cells`). The rows of the other side that a chunk
needs lie within the *margin* of those cells: :func:`margin_ranges` gives order-29 ranges
holding them (the neighbours of the chunk's edge pixels at an order whose pixels are at least
the margin across), so only a thin strip around the chunk is read.

>>> cells = range_cells(0, 4 << (2 * 27), max_order=12)
>>> [(int(o), int(p)) for o, p in cells]
[(1, 0)]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

#: Chunk bounds fall on pixel edges of this order (pixels of about 0.86 arcmin).
ALIGN_ORDER = 12
MAX_ORDER = 29
NPIX29 = 12 * 4**MAX_ORDER


def shift(order: int) -> int:
    """Bits between an order-29 index and one at ``order``."""
    return 2 * (MAX_ORDER - order)


def range_cells(lo: int, hi: int, max_order: int = ALIGN_ORDER) -> list[tuple[int, int]]:
    """The fewest whole HEALPix cells ``(order, pixel)`` that make up ``[lo, hi)`` at order 29.

    ``lo`` and ``hi`` must fall on pixel edges at ``max_order`` (cells are never finer).
    """
    step = 1 << shift(max_order)
    if lo % step or (hi % step and hi != NPIX29):
        raise ValueError(f"range [{lo}, {hi}) is not aligned to order {max_order}")
    out: list[tuple[int, int]] = []
    while lo < hi:
        order = 0
        while order < max_order:
            size = 1 << shift(order)
            if lo % size == 0 and lo + size <= hi:
                break
            order += 1
        size = 1 << shift(order)
        out.append((order, lo >> shift(order)))
        lo += size
    return out


def merged(lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
    """Ranges with sorted ``lo`` merged into as few as possible (touching or overlapping ones
    join), as two arrays."""
    if lo.size == 0:
        return lo.astype(np.int64), hi.astype(np.int64)
    run_hi = np.maximum.accumulate(hi)
    starts = np.ones(lo.size, dtype=bool)
    starts[1:] = lo[1:] > run_hi[:-1]
    first = np.flatnonzero(starts)
    last = np.append(first[1:], lo.size) - 1
    return lo[first], run_hi[last]


#: Pixels at order k are taken to be at least ``NEIGHBOUR_REACH / 2**k`` degrees across, so a
#: pixel's 8 neighbours hold every point within that distance of it. HEALPix pixels are about
#: 58.6 / 2**k degrees across; a quarter of that leaves room for the most distorted ones.
NEIGHBOUR_REACH = 58.6 / 4
#: A cell's strip is made of pixels at most this many orders finer than the cell: a strip of
#: ``4 * 2**STRIP_DEPTH + 4`` pixels. Finer strips read fewer rows but cost more to compute and
#: merge; reads go by Parquet row groups anyway, so a strip a few arcminutes wide around a cell
#: of tens of degrees adds about 2 % to its rows (measured on a 1e7-row catalogue cut into 64
#: chunks: depth 10 spent 6 s of a 12 s out-of-core match computing strips).
STRIP_DEPTH = 6


def margin_order(margin: float) -> int:
    """The finest order whose pixels are at least ``margin`` degrees across (capped at 29)."""
    if margin <= 0:
        return MAX_ORDER
    return int(min(np.floor(np.log2(NEIGHBOUR_REACH / margin)), MAX_ORDER))


def margin_ranges(cells: Sequence[tuple[int, int]], margin: float) -> list[tuple[int, int]]:
    """Order-29 ranges that hold the ``cells`` and every point within ``margin`` degrees.

    A cell no bigger than a pixel at the *margin order* (whose pixels are at least ``margin``
    across) is replaced by its ancestor there, plus the ancestor's 8 neighbours. A bigger cell
    keeps its own range plus the pixels just outside its edges and corners, at the margin order
    or :data:`STRIP_DEPTH` orders below the cell, whichever is coarser: a thin strip around it
    (``cdshealpix.nested.external_neighbours``). The result is a superset, a few margins wide
    at most, which is all exact matching needs.

    An order-3 cell (7.3 degrees across) with a 36" margin: 6 % more sky than the cell.

    >>> ranges = margin_ranges([(3, 0)], 0.01)
    >>> round(sum(hi - lo for lo, hi in ranges) / (1 << 52), 3)
    1.063
    """
    lo, hi = margin_ranges_of_chunks([cells], margin)[0]
    return list(zip(lo.tolist(), hi.tolist(), strict=True))


def margin_ranges_of_chunks(
    cell_lists: Sequence[Sequence[tuple[int, int]]], margin: float
) -> list[tuple[IntArray, IntArray]]:
    """:func:`margin_ranges` of many chunks at once, as sorted ``lo`` and ``hi`` arrays (one
    strip lookup per order for all of them: a chunked match asks for dozens).

    >>> [a.tolist() for a in margin_ranges_of_chunks([[(3, 0)], []], 0.01)[1]]
    [[], []]
    """
    n = len(cell_lists)
    if margin >= NEIGHBOUR_REACH:
        whole = (np.array([0], dtype=np.int64), np.array([NPIX29], dtype=np.int64))
        none = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        return [whole if c else none for c in cell_lists]
    coarse = margin_order(margin)
    owner = np.repeat(np.arange(n, dtype=np.int64), [len(c) for c in cell_lists])
    orders = np.array([o for c in cell_lists for o, _ in c], dtype=np.int64)
    pixels = np.array([p for c in cell_lists for _, p in c], dtype=np.int64)
    lo = [pixels << (2 * (MAX_ORDER - orders))]
    hi = [(pixels + 1) << (2 * (MAX_ORDER - orders))]
    owners = [owner]
    small = orders >= coarse
    if small.any():  # cells within one margin-order pixel: that pixel and its neighbours
        seeds = pixels[small] >> (2 * (orders[small] - coarse))
        lo.append(seeds << shift(coarse))
        hi.append((seeds + 1) << shift(coarse))
        owners.append(owner[small])
        _add_strips(seeds, owner[small], coarse, coarse, lo, hi, owners)
    for order in np.unique(orders[~small]).tolist():
        pick = ~small & (orders == order)
        k = min(coarse, order + STRIP_DEPTH)
        _add_strips(pixels[pick], owner[pick], order, k, lo, hi, owners)
    all_lo, all_hi, all_owner = np.concatenate(lo), np.concatenate(hi), np.concatenate(owners)
    by = np.lexsort((all_lo, all_owner))
    all_lo, all_hi, all_owner = all_lo[by], all_hi[by], all_owner[by]
    bounds = np.searchsorted(all_owner, np.arange(n + 1))
    return [
        merged(all_lo[a:b], all_hi[a:b])
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
    ]


def _add_strips(
    pixels: IntArray,
    owner: IntArray,
    order: int,
    k: int,
    lo: list[IntArray],
    hi: list[IntArray],
    owners: list[IntArray],
) -> None:
    """Append the order-``k`` pixels just outside cells (``order``, ``pixels``) as ranges,
    each with its cell's ``owner``."""
    from cdshealpix.nested import external_neighbours

    # one thread: a few thousand cells take a millisecond, a thread pool's start more
    edges, corners = external_neighbours(pixels.astype(np.uint64), order, k - order, num_threads=1)
    every = np.concatenate([edges.astype(np.int64), corners.astype(np.int64)], axis=1)
    who = np.repeat(owner, every.shape[1])
    every = every.ravel()
    keep = every >= 0  # missing corners come back as -1
    every, who = every[keep], who[keep]
    lo.append(every << shift(k))
    hi.append((every + 1) << shift(k))
    owners.append(who)
