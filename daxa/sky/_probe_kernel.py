"""The compiled probe step of :mod:`daxa.sky._join` (numba, the ``fast`` extra).

The numpy probe makes eight passes over every probe row (zone, RA bin, cell, occupancy byte,
bit, hits, offsets); on a 1e7-row catalogue that is most of a best match. Here it is one pass
with the same arithmetic, so both give the same cells. Its own module, imported only when
numba is installed, so that numba's disk cache keys on this file.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def probe_cells(
    ra, dec, zone_scale, scale, base, occupied, rows, cells
):  # pragma: no cover - compiled
    """Fill ``rows`` and ``cells`` (each as long as ``ra``) with the probe rows whose cell is
    occupied and that cell; returns how many. Written without a branch (a hit decides only
    whether the slot advances), as hits come at random."""
    k = np.int64(0)
    last_zone = scale.size - 1
    last_cell = base[-1] - 1
    for i in range(ra.size):
        # the clamps change nothing for validated coordinates; they keep any other input
        # (NaN, |dec| > 90) inside the arrays, which a compiled loop does not check
        z = min(max(np.int64((dec[i] + 90.0) * zone_scale), 0), last_zone)
        cell = min(max(np.int64(ra[i] * scale[z]) + base[z], 0), last_cell)
        rows[k] = i
        cells[k] = cell
        k += np.int64((occupied[cell >> 6] >> np.uint64(cell & 63)) & np.uint64(1))
    return k
