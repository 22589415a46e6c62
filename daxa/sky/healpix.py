"""HEALPix (NESTED) indices of positions; order 29 is the stored ``_healpix_29`` column.

cdshealpix (a dependency of daxa) is used when it imports: it indexes a million positions
several times faster than astropy-healpix, which remains the fallback. The two agree except for
about one position in a million lying within rounding of an order-29 cell edge.

cdshealpix is called through its compiled function, a block of positions at a time, not through
its Python wrapper: the wrapper wants astropy ``Longitude`` and ``Latitude`` (copies and checks
of the whole input) and allocates two offset arrays the size of the input. On 1e7 positions
that took 0.30-2.0 s and 886 MB at peak (fresh memory is slow on this kind of machine) against
0.17-0.22 s and 431 MB, with the same indices bit for bit.
"""

from __future__ import annotations

from typing import Any

import astropy.units as u
import numpy as np
import numpy.typing as npt

from daxa.errors import InputError

try:  # pragma: no cover - which branch runs depends on the installation
    import cdshealpix.nested as _cds
    from astropy.coordinates import Latitude, Longitude
except ImportError:  # pragma: no cover
    _cds = None
try:  # pragma: no cover - the compiled function behind cdshealpix.nested.lonlat_to_healpix
    from cdshealpix.cdshealpix import lonlat_to_healpix as _compiled
except ImportError:  # pragma: no cover
    _compiled = None

MAX_ORDER = 29
#: Positions indexed per call of the compiled function (its work arrays are this long).
BLOCK = 1 << 20


def _check_order(order: Any) -> int:
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or not 0 <= order <= 29:
        raise InputError(f"HEALPix order must be an integer from 0 to 29, not {order!r}")
    return int(order)


def healpix_index(
    ra_deg: npt.ArrayLike, dec_deg: npt.ArrayLike, order: int = MAX_ORDER
) -> npt.NDArray[np.int64]:
    """NESTED HEALPix index of each (ra, dec) at ``order`` (0–29); -1 where ra or dec is NaN.

    Raises InputError for a finite |dec| > 90 (naming the first such row).

    >>> int(healpix_index([0.0], [90.0], order=0)[0])
    0
    >>> healpix_index([10.0, 200.0, float("nan")], [5.0, -60.0, 0.0], order=1).tolist()
    [17, 40, -1]
    """
    order = _check_order(order)
    ra = np.atleast_1d(np.asarray(ra_deg, dtype=np.float64))
    dec = np.atleast_1d(np.asarray(dec_deg, dtype=np.float64))
    if ra.shape != dec.shape:
        raise InputError(f"ra has {ra.size} values but dec has {dec.size}; give one dec per ra")
    bad = np.abs(dec) > 90.0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"dec[{i}] = {dec[i]} is outside [-90, 90] degrees")
    missing = np.isnan(ra) | np.isnan(dec) | np.isinf(ra)
    if missing.any():
        ra = np.where(missing, 0.0, ra)
        dec = np.where(missing, 0.0, dec)
    if _compiled is not None:
        out = _index_blocks(ra, dec, order)
    elif _cds is not None:  # pragma: no cover - a cdshealpix without the compiled function
        idx = _cds.lonlat_to_healpix(Longitude(ra, u.deg), Latitude(dec, u.deg), order)
        out = np.asarray(idx).astype(np.int64)
    else:  # pragma: no cover
        from astropy_healpix import core as _hp

        out = np.asarray(
            _hp.lonlat_to_healpix(ra * u.deg, dec * u.deg, 1 << order, order="nested"),
            dtype=np.int64,
        )
    if missing.any():
        out[missing] = -1
    return out


def _index_blocks(
    ra: npt.NDArray[np.float64], dec: npt.NDArray[np.float64], order: int
) -> npt.NDArray[np.int64]:
    """cdshealpix's compiled indexing, :data:`BLOCK` positions a call into one output (its
    threads share each block); longitudes wrapped to [0, 360) as ``Longitude`` would."""
    assert _compiled is not None
    out = np.empty(ra.size, dtype=np.uint64)
    m = min(BLOCK, ra.size)
    lon, lat, dx, dy = np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    depth = np.full(m, order, dtype=np.uint8)
    for a in range(0, ra.size, BLOCK):
        k = min(ra.size, a + BLOCK) - a
        np.mod(ra[a : a + k], 360.0, out=lon[:k])
        np.radians(lon[:k], out=lon[:k])
        np.radians(dec[a : a + k], out=lat[:k])
        _compiled(depth[:k], lon[:k], lat[:k], out[a : a + k], dx[:k], dy[:k], np.uint16(0))
    return out.view(np.int64)


def coarsen(hpx29: npt.ArrayLike, order: int) -> npt.NDArray[np.int64]:
    """Order-``order`` index from order-29 indices, by bit shift.

    >>> coarsen([12 * 4**29 - 1], 0).tolist()
    [11]
    """
    order = _check_order(order)
    return np.asarray(hpx29, dtype=np.int64) >> (2 * (MAX_ORDER - order))
