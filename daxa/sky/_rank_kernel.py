"""The compiled rank sum of :func:`daxa.sky.intervals.count_interval_pairs` (numba).

Summing, over a million values, how many of a hundred thousand sorted values lie below each
is memory-bound in ``np.searchsorted``: every value walks seventeen levels of a binary search
(0.11 s). Here a table of bucket starts over the sorted values' range sends each value to its
bucket in one step, and a binary search inside that bucket (a few values) finishes: 0.015 s,
the same sum. Its own module, imported only when numba is installed, so that numba's disk
cache keys on this file.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def rank_sum(sorted_values, first, lo, scale, x, strict):  # pragma: no cover - compiled
    """Sum over ``x`` of the number of ``sorted_values`` below each (``< x`` when ``strict``,
    else ``<= x``). ``first[b]`` is the first position of bucket ``b``, a value ``v`` lying in
    bucket ``floor((v - lo) * scale)`` (clipped to the last bucket). Every value of an earlier
    bucket is below ``v`` and every value of a later one above it (the float map is monotone),
    so the answer lies in ``v``'s own bucket."""
    n_buckets = first.size - 1
    total = 0
    for i in range(x.size):
        v = x[i]
        f = (v - lo) * scale
        if f < 0.0:
            continue  # below every value (or NaN: no rank)
        b = n_buckets - 1 if f >= n_buckets else np.int64(f)
        a = first[b]
        e = first[b + 1]
        while a < e:  # first position in [a, e) not below v
            m = (a + e) >> 1
            if sorted_values[m] < v or (not strict and sorted_values[m] == v):
                a = m + 1
            else:
                e = m
        total += a
    return total
