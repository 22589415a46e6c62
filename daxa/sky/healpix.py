"""HEALPix (NESTED) indices of positions; order 29 is the stored ``_healpix_29`` column."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import numpy.typing as npt
from astropy_healpix import core as _hp

MAX_ORDER = 29


def healpix_index(
    ra_deg: npt.ArrayLike, dec_deg: npt.ArrayLike, order: int = MAX_ORDER
) -> npt.NDArray[np.int64]:
    """NESTED HEALPix index of each (ra, dec) at ``order`` (0–29).

    >>> int(healpix_index([0.0], [90.0], order=0)[0])
    0
    """
    ra = np.asarray(ra_deg, dtype=np.float64) * u.deg
    dec = np.asarray(dec_deg, dtype=np.float64) * u.deg
    idx = _hp.lonlat_to_healpix(ra, dec, 1 << order, order="nested")
    return np.asarray(idx, dtype=np.int64)


def coarsen(hpx29: npt.ArrayLike, order: int) -> npt.NDArray[np.int64]:
    """Order-``order`` index from order-29 indices, by bit shift."""
    return np.asarray(hpx29, dtype=np.int64) >> (2 * (MAX_ORDER - order))
