"""A declination-zone grid on the sky: the cell index the pair search joins on.

The sky is cut into ``nzones`` declination bands of equal height; each band into RA bins about
as wide (on the sky) as the band is high. A point's cell needs only a multiply and a truncation
per coordinate, which is several times cheaper than a HEALPix index, and the cells a cone touches
follow from its declination range and, per band, its exact RA half-width, so the candidate area
is close to the cone's own bounding box (a HEALPix 3x3 neighbour block is about 3 times larger).

Conservative by construction: a cone's cover is computed for the radius padded by
:data:`PAD_DEG`, and both the point cells and the cover cells use the same monotone arithmetic,
so a point within the radius always lands in one of the cone's cells. With numba, the cover of
small cones is one compiled pass (:mod:`daxa.sky._cover_kernel`, whose RA half-widths are at
least the numpy path's): 66 ms of numpy passes on a million 2" cones became 17 ms, and
building the cell table of a 1e7 x 1e6 match's million rows took 0.114-0.119 s of CPU
instead of 0.15-0.20 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from daxa.sky.geometry import _HALF_RAD_PER_DEG, _cos_sin_deg

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Radii are padded by this much (degrees) before covering, to absorb rounding.
PAD_DEG = 1e-9
#: Most zones a grid has (cells of about 3.6 arcsec at the equator).
MAX_ZONES = 180_000
#: Slightly less than 1/360, so that RA < 360 always maps below the last bin plus one ...
_RA_SCALE = (1.0 - 4e-15) / 360.0
#: ... and slightly less than 1/180, so that dec = +90 maps into the last zone.
_ZONE_SCALE = (1.0 - 4e-15) / 180.0


@dataclass(frozen=True)
class ZoneGrid:
    """Declination zones of ``height`` degrees, each cut into ``nra[z]`` RA bins."""

    nzones: int
    nra: IntArray  # bins per zone
    base: IntArray  # id of the first cell of each zone; base[-1] is the number of cells
    scale: FloatArray  # bins per degree of RA in each zone

    @property
    def height(self) -> float:
        """Zone height in degrees."""
        return 180.0 / self.nzones

    @property
    def ncells(self) -> int:
        """Number of cells on the whole sky."""
        return int(self.base[-1])

    def zone_of(self, dec: FloatArray) -> IntArray:
        """Zone of each declination in [-90, 90] (dec = +90 belongs to the last zone)."""
        z = dec + 90.0
        z *= self.nzones * _ZONE_SCALE  # slightly less than nzones / 180: no clipping needed
        return z.astype(np.int64)

    def cells(self, ra: FloatArray, dec: FloatArray) -> IntArray:
        """Cell id of each point; RA must be in [0, 360) and dec in [-90, 90]."""
        z = self.zone_of(dec)
        b = ra * self.scale.take(z)
        cell = b.astype(np.int64)
        cell += self.base.take(z)
        return cell

    def cover(
        self, ra: FloatArray, dec: FloatArray, radius: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """(point index, cell id) of every cell that cone (ra, dec, radius) may touch.

        ``radius`` is one value or one per point. Each cell appears at most once per point, and
        the rows come in point order.
        """
        n = ra.size
        padded = np.minimum(radius, 180.0) + PAD_DEG  # one radius, or one per point
        small = n > 0 and 4.0 * float(padded.max()) <= self.height
        kernel = _compiled_cover() if small else None
        if kernel is not None:
            return self._cover_compiled(kernel, ra, dec, np.ravel(padded))
        r = np.ascontiguousarray(np.broadcast_to(padded, (n,)))
        z0 = self.zone_of(np.maximum(dec - r, -90.0))
        z1 = self.zone_of(np.minimum(dec + r, 90.0))
        if not small:
            return self._cover_rows(ra, dec, r, z0, z1, None)
        # Small cones: most lie inside their own cell and need no row expansion at all.
        half = self._small_half_width(dec, r, r[:1] if np.size(radius) == 1 else r)
        scale = self.scale.take(z0)
        with np.errstate(invalid="ignore"):
            b0 = np.floor((ra - half) * scale)
            single = (z0 == z1) & (b0 == np.floor((ra + half) * scale))
        if single.all():
            return np.arange(n, dtype=np.int64), b0.astype(np.int64) + self.base.take(z0)
        rest = np.flatnonzero(~single)
        r_point, r_cell = self._cover_rows(
            ra.take(rest),
            dec.take(rest),
            r.take(rest),
            z0.take(rest),
            z1.take(rest),
            half.take(rest),
        )
        per_point = np.ones(n, dtype=np.int64)
        per_point[rest] = np.bincount(r_point, minlength=rest.size)
        first = np.cumsum(per_point) - per_point
        cell = np.empty(int(per_point.sum()), dtype=np.int64)
        one = np.flatnonzero(single)
        cell[first.take(one)] = b0.take(one).astype(np.int64) + self.base.take(z0.take(one))
        r_first = np.cumsum(per_point.take(rest)) - per_point.take(rest)
        rank = np.arange(r_point.size, dtype=np.int64) - r_first.take(r_point)
        cell[first.take(rest.take(r_point)) + rank] = r_cell
        return np.repeat(np.arange(n, dtype=np.int64), per_point), cell

    def _cover_compiled(
        self, kernel: Any, ra: FloatArray, dec: FloatArray, r: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """:meth:`cover` of small cones, compiled: one pass when the cones' cells fit in
        twice as many rows as cones (small cones mostly lie in one cell), else a second one
        into arrays of the length the first counted. ``r`` holds one padded radius or one per
        cone."""
        t = np.tan(dec * _HALF_RAD_PER_DEG)
        sin_r = _cos_sin_deg(r)[1]
        zone_scale = self.nzones * _ZONE_SCALE
        args = (ra, dec, t, r, sin_r, zone_scale, self.nra, self.scale, self.base)
        point, cell = np.empty((2, 2 * ra.size + 16), dtype=np.int64)
        total = kernel(*args, point, cell)
        if total > point.size:
            point, cell = np.empty((2, total), dtype=np.int64)
            kernel(*args, point, cell)
        return point[:total], cell[:total]

    def _cover_rows(
        self,
        ra: FloatArray,
        dec: FloatArray,
        r: FloatArray,
        z0: IntArray,
        z1: IntArray,
        small_half: FloatArray | None,
    ) -> tuple[IntArray, IntArray]:
        """The general cover: one row per (cone, zone), then one per (cone, cell)."""
        per_point = z1 - z0 + 1
        point = np.repeat(np.arange(ra.size, dtype=np.int64), per_point)
        first = np.cumsum(per_point) - per_point
        zone = np.arange(point.size, dtype=np.int64) - np.repeat(first - z0, per_point)
        if small_half is not None:
            half = small_half.take(point)
        else:
            half = self._zone_half_width(dec, r, point, zone)  # RA degrees, inf = whole band
        nra = self.nra.take(zone)
        scale = self.scale.take(zone)
        ra_p = ra.take(point)
        whole = ~np.isfinite(half)
        half[whole] = 0.0
        b0f = np.floor((ra_p - half) * scale)
        nbf = np.floor((ra_p + half) * scale) - b0f + 1.0
        full = whole | (nbf >= nra)
        b0 = np.where(full, 0.0, b0f).astype(np.int64)
        nbins = np.where(full, nra, nbf.astype(np.int64))

        row = np.repeat(np.arange(point.size, dtype=np.int64), nbins)
        first_bin = np.cumsum(nbins) - nbins
        b = np.arange(row.size, dtype=np.int64) - np.repeat(first_bin - b0, nbins)
        nra_r = nra.take(row)
        b = np.where(b < 0, b + nra_r, b)  # wrap across RA = 0
        b = np.where(b >= nra_r, b - nra_r, b)
        b += self.base.take(zone.take(row))
        return point.take(row), b

    @staticmethod
    def _small_half_width(dec: FloatArray, r: FloatArray, r_distinct: FloatArray) -> FloatArray:
        """Each cone's largest RA half-width, asin(sin r / cos dec) (degrees; inf if the cone
        holds a pole). Used for cones much smaller than a zone, which span one or two zones.
        ``r_distinct`` is ``r`` or, when all radii are equal, its first value."""
        cos_d = _cos_sin_deg(dec)[0]
        sin_r = _cos_sin_deg(r_distinct)[1]
        with np.errstate(invalid="ignore", divide="ignore"):
            half = np.degrees(np.arcsin(np.minimum(sin_r / cos_d, 1.0)))
        half = half * (1.0 + 1e-12) + 1e-10
        half[(np.abs(dec) + r >= 90.0) | ~np.isfinite(half)] = np.inf
        return half

    def _zone_half_width(
        self, dec: FloatArray, r: FloatArray, point: IntArray, zone: IntArray
    ) -> FloatArray:
        """Largest RA half-width (degrees) of each cone within each of its zones; inf if the
        cone holds a pole (the whole band is then covered)."""
        cos_r = _cos_sin_deg(r)[0]
        cos_d, sin_d = _cos_sin_deg(dec)
        polar = np.abs(dec) + r >= 90.0
        hav_r = _cos_sin_deg(r * 0.5)[1] ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            # The cone is widest in RA at latitude asin(sin d / cos r): clamp it into each band.
            widest = np.degrees(np.arcsin(np.maximum(np.minimum(sin_d / cos_r, 1.0), -1.0)))
        d = dec.take(point)
        rr = r.take(point)
        h = self.height
        lo = np.maximum(-90.0 + zone * h - PAD_DEG, d - rr)
        hi = np.minimum(-90.0 + (zone + 1) * h + PAD_DEG, d + rr)
        phi = np.minimum(np.maximum(widest.take(point), lo), hi)
        hav_dphi = _cos_sin_deg((phi - d) * 0.5)[1] ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            hav_a = (hav_r.take(point) - hav_dphi) / (_cos_sin_deg(phi)[0] * cos_d.take(point))
            half = np.degrees(2.0 * np.arcsin(np.sqrt(np.maximum(np.minimum(hav_a, 1.0), 0.0))))
        half = half * (1.0 + 1e-12) + 1e-10
        half[polar.take(point) | (half >= 180.0) | ~np.isfinite(half)] = np.inf
        return half


def zone_grid(cell_deg: float) -> ZoneGrid:
    """The grid whose zones are at least ``cell_deg`` high (at most :data:`MAX_ZONES`)."""
    nz = int(np.clip(np.floor(180.0 / max(cell_deg, 1e-12)), 1, MAX_ZONES))
    h = 180.0 / nz
    mid = -90.0 + (np.arange(nz) + 0.5) * h
    nra = np.maximum(1, np.floor(360.0 * np.cos(np.radians(mid)) / h)).astype(np.int64)
    base = np.zeros(nz + 1, dtype=np.int64)
    np.cumsum(nra, out=base[1:])
    return ZoneGrid(nzones=nz, nra=nra, base=base, scale=nra * _RA_SCALE)


@cache
def _compiled_cover() -> Any:
    """The compiled cover of small cones (:mod:`daxa.sky._cover_kernel`), or None without
    numba."""
    try:
        from daxa.sky import _cover_kernel
    except ImportError:
        return None
    return _cover_kernel.small_cover
