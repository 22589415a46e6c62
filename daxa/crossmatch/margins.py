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


def merge_ranges(lo: IntArray, hi: IntArray) -> list[tuple[int, int]]:
    """Ranges merged into as few as possible (touching or overlapping ones join)."""
    if lo.size == 0:
        return []
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    run_hi = np.maximum.accumulate(hi)
    starts = np.ones(lo.size, dtype=bool)
    starts[1:] = lo[1:] > run_hi[:-1]
    first = np.flatnonzero(starts)
    last = np.append(first[1:], lo.size) - 1
    return list(zip(lo[first].tolist(), run_hi[last].tolist(), strict=True))


#: Pixels at order k are taken to be at least ``NEIGHBOUR_REACH / 2**k`` degrees across, so a
#: pixel's 8 neighbours hold every point within that distance of it. HEALPix pixels are about
#: 58.6 / 2**k degrees across; a quarter of that leaves room for the most distorted ones.
NEIGHBOUR_REACH = 58.6 / 4
#: A big cell's edge is followed by at most ``4 * 2**STRIP_DEPTH`` finer pixels.
STRIP_DEPTH = 10


def _interleave(x: IntArray, y: IntArray) -> IntArray:
    """NESTED index within a pixel from local (x, y) coordinates (x on the even bits)."""
    out = np.zeros(x.size, dtype=np.int64)
    for bit in range(31):
        out |= ((x >> bit) & 1) << (2 * bit)
        out |= ((y >> bit) & 1) << (2 * bit + 1)
    return out


def _edge_pixels(order: int, pixel: int, k: int) -> IntArray:
    """The order-``k`` pixels inside cell (``order``, ``pixel``) that touch its edge."""
    d = 1 << (k - order)
    t = np.arange(d, dtype=np.int64)
    zero, last = np.zeros(d, dtype=np.int64), np.full(d, d - 1, dtype=np.int64)
    x = np.concatenate([t, t, zero, last])
    y = np.concatenate([zero, last, t, t])
    return np.unique((np.int64(pixel) << (2 * (k - order))) | _interleave(x, y))


def margin_ranges(cells: Sequence[tuple[int, int]], margin: float) -> list[tuple[int, int]]:
    """Order-29 ranges that hold the ``cells`` and every point within ``margin`` degrees.

    A cell no bigger than a pixel at the *margin order* (whose pixels are at least ``margin``
    across) is replaced by its ancestor there, plus the ancestor's 8 neighbours. A bigger cell
    keeps its own range plus the neighbours of its edge pixels, at the margin order (or
    :data:`STRIP_DEPTH` orders below the cell, whichever is coarser): a thin strip around it.
    The result is a superset, a few margins wide at most, which is all exact matching needs.
    """
    from astropy_healpix import core as hp

    if not cells:
        return []
    if margin >= NEIGHBOUR_REACH:
        return [(0, NPIX29)]
    coarse = int(np.floor(np.log2(NEIGHBOUR_REACH / margin))) if margin > 0 else MAX_ORDER
    coarse = min(coarse, MAX_ORDER)
    by_order: dict[int, list[IntArray]] = {}
    lo: list[IntArray] = []
    hi: list[IntArray] = []
    for order, pixel in cells:
        if order >= coarse:
            k = coarse
            seeds = np.array([pixel >> (2 * (order - coarse))], dtype=np.int64)
        else:
            k = min(coarse, order + STRIP_DEPTH)
            seeds = _edge_pixels(order, pixel, k)
            lo.append(np.array([pixel << shift(order)], dtype=np.int64))
            hi.append(np.array([(pixel + 1) << shift(order)], dtype=np.int64))
        by_order.setdefault(k, []).append(seeds)
    for k, parts in by_order.items():
        seeds = np.unique(np.concatenate(parts))
        with np.errstate(invalid="ignore"):  # missing neighbours come back as -1
            near = hp.neighbours(seeds, 1 << k, order="nested").ravel()
        every = np.unique(np.concatenate([seeds, near[near >= 0]])).astype(np.int64)
        lo.append(every << shift(k))
        hi.append((every + 1) << shift(k))
    return merge_ranges(np.concatenate(lo), np.concatenate(hi))


#: At most this many range terms go into one read of HEALPix-sorted files: a polars filter of
#: thousands of OR'd ranges took seconds to minutes per chunk (issue 21); a handful lets the
#: Parquet reader prune row groups by their statistics and costs nothing to evaluate.
MAX_READ_TERMS = 8


def coarse_ranges(
    lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64], max_terms: int = MAX_READ_TERMS
) -> list[tuple[int, int]]:
    """At most ``max_terms`` ranges covering every ``[lo, hi)``: merged ranges joined across
    their smallest gaps, so the rows read beyond the asked ones are as few as the count allows.

    >>> coarse_ranges(np.array([0, 10, 12, 100]), np.array([5, 11, 20, 110]), max_terms=2)
    [(0, 20), (100, 110)]
    """
    merged = merge_ranges(np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64))
    if len(merged) <= max_terms:
        return merged
    starts = np.array([a for a, _ in merged], dtype=np.int64)
    ends = np.array([b for _, b in merged], dtype=np.int64)
    gaps = starts[1:] - ends[:-1]
    cut = np.sort(np.argsort(gaps, kind="stable")[len(gaps) - (max_terms - 1) :])
    first = np.concatenate([[0], cut + 1])
    last = np.concatenate([cut, [len(merged) - 1]])
    return list(zip(starts[first].tolist(), ends[last].tolist(), strict=True))


def in_ranges(
    values: npt.NDArray[np.int64], lo: npt.NDArray[np.int64], hi: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Which ``values`` lie in any ``[lo, hi)`` (one binary search per value).

    >>> in_ranges(np.array([1, 7, 12]), np.array([0, 10]), np.array([5, 20])).tolist()
    [True, False, True]
    """
    merged = merge_ranges(np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64))
    if not merged:
        return np.zeros(np.shape(values), dtype=bool)
    starts = np.array([a for a, _ in merged], dtype=np.int64)
    ends = np.array([b for _, b in merged], dtype=np.int64)
    at = np.searchsorted(starts, values, side="right") - 1
    return (at >= 0) & (values < ends[np.maximum(at, 0)])
