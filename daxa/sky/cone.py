"""Cone and box queries on a cached observation table (polars, with ra, dec, _healpix_29).

Interactive speed without an index structure: a cone first keeps the rows in its declination
band (a point within r of the centre has |dec - dec0| <= r), or, when the table is flagged as
sorted by ``_healpix_29``, the rows in the cone's HEALPix ranges (two binary searches per
range); only those rows get the exact separation test. Rows with null coordinates never match.

:func:`healpix_ranges_for_cone` also serves SQL pruning: its ranges of order-29 indices cover
the cone conservatively (every point of the cone lies in one of them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.sky.geometry import angular_separation, loosen
from daxa.sky.healpix import MAX_ORDER, _check_order

try:  # pragma: no cover - depends on the installation
    import astropy.units as u
    import cdshealpix.nested as _cds
    from astropy.coordinates import Latitude, Longitude
except ImportError:  # pragma: no cover
    _cds = None

IntArray = npt.NDArray[np.int64]

#: Number of order-29 cells on the sky.
NPIX_29 = 12 << (2 * MAX_ORDER)
#: Cell size (degrees) at order 0 is about this / 2**order.
_CELL_0 = float(np.degrees(np.sqrt(4 * np.pi / 12)))
#: Cone ranges are computed no finer than radius / this (the ring of edge cells stays small).
_EDGE_CELLS_PER_RADIUS = 256


def _check_centre(ra: Any, dec: Any, radius: Any | None = None) -> tuple[float, float, float]:
    try:
        ra_f, dec_f = float(ra), float(dec)
        r_f = 0.0 if radius is None else float(radius)
    except (TypeError, ValueError) as exc:
        raise InputError(f"cone centre and radius must be numbers in degrees: {exc}") from exc
    if not (np.isfinite(ra_f) and np.isfinite(dec_f)):
        raise InputError(f"cone centre ({ra}, {dec}) is not finite; give degrees")
    if abs(dec_f) > 90.0:
        raise InputError(f"cone centre dec = {dec_f} is outside [-90, 90] degrees")
    if not np.isfinite(r_f) or r_f < 0.0:
        raise InputError(f"cone radius {radius} is not a finite number of degrees >= 0")
    return ra_f % 360.0, dec_f, r_f


def _merge(lo: IntArray, hi: IntArray) -> npt.NDArray[np.int64]:
    """Sorted, merged [lo, hi) ranges as a (k, 2) array."""
    if lo.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], np.maximum.accumulate(hi[order])
    new = np.concatenate(([True], lo[1:] > hi[:-1]))
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], lo.size) - 1
    return np.column_stack((lo[starts], hi[ends])).astype(np.int64)


def _cells_cds(ra: float, dec: float, radius: float, order: int) -> tuple[IntArray, IntArray]:
    # cdshealpix refines two orders deeper internally and panics beyond 29; cells of order 27
    # (1.6 milliarcseconds) are fine enough for any range query.
    depth_max = min(order, MAX_ORDER - 2)
    ipix, depth, _ = _cds.cone_search(
        Longitude(ra * u.deg), Latitude(dec * u.deg), radius * u.deg, depth_max
    )
    cells = np.asarray(ipix, dtype=np.int64)
    depths = np.asarray(depth, dtype=np.int64)
    finest = int(depths.max(initial=0))
    extra = _edge_ring_closure(ra, dec, radius, cells[depths == finest], finest)
    return np.concatenate([cells, extra]), np.concatenate(
        [depths, np.full(extra.size, finest, dtype=np.int64)]
    )


def _edge_ring_closure(
    ra: float, dec: float, radius: float, edge: IntArray, depth: int
) -> IntArray:
    """Cells of ``depth`` next to ``edge`` (the finest cells returned) that the cone's edge may
    cross and that are missing.

    cdshealpix's cone search can leave out a cell the cone reaches (seen: a cone at RA 0,
    Dec 26.75, radius 3.33 deg left out order-3 cell 319, whose corner lies 3.25 deg from the
    centre). Neighbours of the finest cells are added, as long as their centre is within the
    radius plus their own reach, until none is new: the cover stays conservative.
    """
    if edge.size == 0:
        return np.zeros(0, dtype=np.int64)
    from cdshealpix import nested

    known = np.unique(edge)
    added: list[IntArray] = []
    frontier = known
    while frontier.size:
        around = np.asarray(nested.neighbours(frontier, depth), dtype=np.int64).ravel()
        around = np.setdiff1d(around[around >= 0], known)
        if around.size == 0:
            break
        known = np.union1d(known, around)
        # four vertices stand for the boundary: a wider pad than with sixteen points
        lon, lat = nested.healpix_to_lonlat(around, depth)
        v_lon, v_lat = nested.vertices(around, depth)
        sep, reach = _centre_distance_and_reach(lon, lat, v_lon, v_lat, ra, dec, 1.1)
        # only cells the edge may cross: the ones wholly inside are under full cells already
        frontier = around[(sep <= radius + reach) & (sep + reach > radius)]
        added.append(frontier)
    return np.concatenate(added) if added else np.zeros(0, dtype=np.int64)


def _centre_distance_and_reach(
    lon: Any, lat: Any, b_lon: Any, b_lat: Any, ra: float, dec: float, pad: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per cell (centres ``lon``, ``lat`` and boundary points ``b_lon``, ``b_lat`` as
    angles): the distance from (ra, dec) to its centre, and its reach (the farthest boundary
    point from the centre, times ``pad``), in degrees."""
    c_ra, c_dec = np.asarray(lon.to_value(u.deg)), np.asarray(lat.to_value(u.deg))
    reach = angular_separation(
        c_ra[:, None], c_dec[:, None], b_lon.to_value(u.deg), b_lat.to_value(u.deg)
    ).max(axis=1)
    return angular_separation(c_ra, c_dec, ra, dec), reach * pad + 1e-9


def _cells_own(ra: float, dec: float, radius: float, order: int) -> tuple[IntArray, IntArray]:
    """Conservative cone cover without cdshealpix: descend from the 12 base cells, keeping a
    cell while its centre is within radius + (its centre-to-boundary distance, padded)."""
    from astropy_healpix import core as hp

    out_cells: list[IntArray] = []
    out_depths: list[IntArray] = []
    cells = np.arange(12, dtype=np.int64)
    for depth in range(order + 1):
        nside = 1 << depth
        lon, lat = hp.healpix_to_lonlat(cells, nside, order="nested")
        b_lon, b_lat = hp.boundaries_lonlat(cells, 4, nside, order="nested")
        sep, reach = _centre_distance_and_reach(lon, lat, b_lon, b_lat, ra, dec, 1.05)
        inside = sep + reach <= radius
        touching = (sep <= radius + reach) & ~inside
        out_cells.append(cells[inside])
        out_depths.append(np.full(int(inside.sum()), depth))
        if depth == order:
            out_cells.append(cells[touching])
            out_depths.append(np.full(int(touching.sum()), depth))
        else:
            cells = (cells[touching][:, None] * 4 + np.arange(4)).ravel()
    return np.concatenate(out_cells), np.concatenate(out_depths)


def healpix_ranges_for_cone(
    ra: float, dec: float, radius_deg: float, order: int
) -> npt.NDArray[np.int64]:
    """(k, 2) sorted, merged ``[lo, hi)`` ranges of order-29 indices covering the cone.

    Conservative: cells are at ``order`` at most (coarser where a whole coarser cell is inside,
    and never finer than radius/256 so that the edge ring stays small), and every cell that may
    touch the cone is included. Uses cdshealpix's cone search when installed (not
    astropy-healpix's, which misses partly covered cells), else an own descent.

    >>> r = healpix_ranges_for_cone(0.0, 90.0, 0.0, 3)
    >>> r.shape[1], bool(r[0, 0] < r[0, 1])
    (2, True)
    """
    ra_f, dec_f, r_f = _check_centre(ra, dec, radius_deg)
    order = _check_order(order)
    if r_f >= 180.0:
        return np.array([[0, NPIX_29]], dtype=np.int64)
    if r_f > 0:
        finest = int(np.floor(np.log2(_CELL_0 * _EDGE_CELLS_PER_RADIUS / r_f)))
        order = max(0, min(order, finest))
    if _cds is not None:
        cells, depths = _cells_cds(ra_f, dec_f, r_f, order)
    else:  # pragma: no cover
        cells, depths = _cells_own(ra_f, dec_f, r_f, order)
    shift = 2 * (MAX_ORDER - depths)
    return _merge(cells << shift, (cells + 1) << shift)


def _coordinates(table: pl.DataFrame) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    for name in ("ra", "dec"):
        if name not in table.columns:
            raise InputError(f"the table has no {name!r} column (columns: {table.columns})")
    ra = table["ra"].cast(pl.Float64).to_numpy()
    dec = table["dec"].cast(pl.Float64).to_numpy()
    return ra, dec


def _sorted_hpx(table: pl.DataFrame) -> IntArray | None:
    """The ``_healpix_29`` column when polars knows it is sorted and complete."""
    if "_healpix_29" not in table.columns:
        return None
    col = table["_healpix_29"]
    if col.null_count() or not col.flags.get("SORTED_ASC", False):
        return None
    return col.cast(pl.Int64).to_numpy()


def cone_mask(table: pl.DataFrame, ra: float, dec: float, radius_deg: float) -> pl.Series:
    """Boolean Series: rows within ``radius_deg`` of (ra, dec), inclusive (to within rounding).

    Same separation arithmetic and tolerance as :func:`daxa.sky.pair_search`, so the two agree.

    >>> t = pl.DataFrame({"ra": [10.0, 10.5, 200.0], "dec": [0.0, 0.0, 0.0]})
    >>> cone_mask(t, 10.0, 0.0, 0.5).to_list()
    [True, True, False]
    """
    ra0, dec0, r = _check_centre(ra, dec, radius_deg)
    ra_all, dec_all = _coordinates(table)
    hpx = _sorted_hpx(table) if r < 30.0 else None
    if hpx is not None:
        ranges = healpix_ranges_for_cone(ra0, dec0, r, MAX_ORDER)
        lo = np.searchsorted(hpx, ranges[:, 0], side="left")
        hi = np.searchsorted(hpx, ranges[:, 1], side="left")
        n = hi - lo
        rows = np.arange(int(n.sum()), dtype=np.int64) + np.repeat(lo - (np.cumsum(n) - n), n)
    else:
        pad = r + 1e-9
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero((dec_all >= dec0 - pad) & (dec_all <= dec0 + pad))
    mask = np.zeros(table.height, dtype=bool)
    if rows.size:
        sep = angular_separation(ra_all.take(rows) % 360.0, dec_all.take(rows), ra0, dec0)
        mask[rows[sep <= loosen(r)]] = True
    return pl.Series("in_cone", mask)


def box_mask(
    table: pl.DataFrame, ra_min: float, ra_max: float, dec_min: float, dec_max: float
) -> pl.Series:
    """Boolean Series: rows with RA from ``ra_min`` eastward to ``ra_max`` and dec in range.

    The RA rule: the strip starts at ``ra_min`` and runs eastward (increasing RA, through 360/0
    if needed) to ``ra_max``. So ``ra_min > ra_max`` crosses RA = 0 (350 -> 10 is a 20-degree
    strip), ``ra_min == ra_max`` is a single meridian, and a span of 360 or more (0 -> 360) is
    the whole circle. All bounds are inclusive; RA values may be given outside [0, 360).

    >>> t = pl.DataFrame({"ra": [355.0, 5.0, 180.0], "dec": [0.0, 0.0, 0.0]})
    >>> box_mask(t, 350.0, 10.0, -1.0, 1.0).to_list()
    [True, True, False]
    """
    values = [ra_min, ra_max, dec_min, dec_max]
    try:
        lo_ra, hi_ra, lo_dec, hi_dec = (float(v) for v in values)
    except (TypeError, ValueError) as exc:
        raise InputError(f"box bounds must be numbers in degrees, not {values}") from exc
    if not all(np.isfinite([lo_ra, hi_ra, lo_dec, hi_dec])):
        raise InputError(f"box bounds must be finite, not {values}")
    if not -90.0 <= lo_dec <= hi_dec <= 90.0:
        raise InputError(
            f"box dec range [{lo_dec}, {hi_dec}] must satisfy -90 <= dec_min <= dec_max <= 90"
        )
    ra_all, dec_all = _coordinates(table)
    with np.errstate(invalid="ignore"):
        mask = (dec_all >= lo_dec) & (dec_all <= hi_dec)
        if hi_ra - lo_ra < 360.0:
            # Direct comparisons on wrapped bounds, no (ra - ra_min) % 360: that rounds a tiny
            # RA just east of 0 onto 360 and would put it in a box ending at RA 0.
            lo, hi = lo_ra % 360.0, hi_ra % 360.0
            ra = np.mod(ra_all, 360.0)
            mask &= ((ra >= lo) & (ra <= hi)) if lo <= hi else ((ra >= lo) | (ra <= hi))
    return pl.Series("in_box", mask)
