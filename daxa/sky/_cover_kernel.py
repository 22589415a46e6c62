"""The compiled cover of small cones for :mod:`daxa.sky._zones` (numba, the ``fast`` extra).

The numpy cover of cones much smaller than a zone makes about thirty passes over the cones
(zones, RA half-widths, one-cell test, then the expansion of the few that span two cells);
on the 1e6-row side of a 1e7 x 1e6 match at 2" that was 64 ms of the 98 ms that building its
cell table took on one thread. Here it is one pass (a second only when the cones' cells
outnumber the room given) with the zones' and the bins' arithmetic of the numpy path. The RA half-width needs ``asin(sin r / cos dec)``:
``cos dec`` comes from numpy's ``tan`` of the half angle, as in
:func:`daxa.sky.geometry._cos_sin_deg`, and ``asin x`` is bounded from above by
``x + 0.17 x^3`` for ``x <= 0.1`` (its series is ``x + x^3/6 + 3x^5/40 + ...``), or taken
from the C library beyond: a half-width at least as wide as the numpy path's, so every cell
a point within the radius falls in is covered (a cover may hold an extra cell in rare cases;
the pairs, tested exactly afterwards, are the same). Its own module, imported only when numba
is installed, so that numba's disk cache keys on this file.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: Above this argument asin comes from the C library; below it, the cubic upper bound.
_SERIES_MAX = 0.1


@njit(nogil=True, cache=True, inline="always")
def _half_width(t, dec, r, sin_r):  # pragma: no cover - compiled
    """RA half-width (degrees, padded as the numpy path pads it) of a cone of radius ``r``
    (sine ``sin_r``) at declination ``dec`` (``t``: tan of its half angle); inf when the
    cone holds a pole."""
    if abs(dec) + r >= 90.0:
        return np.inf
    t2 = t * t
    cos_d = (1.0 - t2) * (1.0 / (1.0 + t2))
    x = min(sin_r / cos_d, 1.0)
    if not x >= 0.0:  # cos_d <= 0 or NaN
        return np.inf
    a = x + 0.17 * x * x * x if x <= _SERIES_MAX else math.asin(x)
    return math.degrees(a) * (1.0 + 1e-12) + 1e-10


@njit(nogil=True, cache=True, inline="always")
def _zone_of(d, zone_scale):  # pragma: no cover - compiled
    z = d + 90.0
    z *= zone_scale  # as ZoneGrid.zone_of
    return np.int64(z)


@njit(nogil=True, cache=True)
def small_cover(
    ra, dec, t, r, sin_r, zone_scale, nra, scale, base, point, cell
):  # pragma: no cover - compiled
    """Cells of small cones (``4 r`` at most a zone's height), each zone of a cone from the
    RA bin of ``ra - half`` to that of ``ra + half`` (wrapping at RA 0; the whole zone when
    the bins would reach round it). ``r`` and ``sin_r`` hold one value or one per cone.
    Fills ``point`` and ``cell`` with the (cone, cell) rows in cone order, each cone's zones
    and bins in order, as far as they are long; returns how many rows there are (when that
    is more than they hold, call again with arrays that long)."""
    capacity = point.size
    k = np.int64(0)
    per_cone = r.size > 1
    for i in range(ra.size):
        ri = r[i] if per_cone else r[0]
        half = _half_width(t[i], dec[i], ri, sin_r[i] if per_cone else sin_r[0])
        z0 = _zone_of(max(dec[i] - ri, -90.0), zone_scale)
        z1 = _zone_of(min(dec[i] + ri, 90.0), zone_scale)
        for z in range(z0, z1 + 1):
            n = nra[z]
            if half == np.inf:
                b0 = np.int64(0)
                nb = n
            else:
                f0 = math.floor((ra[i] - half) * scale[z])
                nbf = math.floor((ra[i] + half) * scale[z]) - f0 + 1.0
                if nbf >= n:
                    b0 = np.int64(0)
                    nb = n
                else:
                    b0 = np.int64(f0)
                    nb = np.int64(nbf)
            if k + nb > capacity:
                k += nb
                continue
            for j in range(nb):
                b = b0 + j
                if b < 0:
                    b += n
                elif b >= n:
                    b -= n
                point[k] = i
                cell[k] = b + base[z]
                k += 1
    return k
