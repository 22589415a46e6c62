"""Is a position inside a footprint? Vectorised over (position, observation) pairs.

A footprint polygon's edges are great circles, so a position is inside exactly when its
gnomonic projection about the pointing (on the near hemisphere) is inside the planar polygon
in the tangent plane: one projection and one half-plane test per edge, for every pair at once.

Without a roll angle the orientation is unknown and the answer is honest: inside the inscribed
circle → :data:`YES`, outside the circumscribed circle → :data:`NO`, between → :data:`MAYBE`.

>>> from daxa.footprints.shapes import footprint
>>> acis_i = footprint("chandra", "ACIS-I")              # 16.9′ square
>>> status, off = classify(acis_i, [0.0, 0.0, 0.0], [0.1, 0.18, 0.18], 0.0, 0.0,
...                        [0.0, 0.0, float("nan")])
>>> [LABELS[s] for s in status], off.round(1).tolist()
(['yes', 'no', 'maybe'], [6.0, 10.8, 10.8])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from daxa.footprints.polygons import project, unrotate
from daxa.footprints.shapes import Shape
from daxa.sky.geometry import angular_separation

FloatArray = npt.NDArray[np.float64]
Status = npt.NDArray[np.int8]

NO, MAYBE, YES = np.int8(0), np.int8(1), np.int8(2)
#: Status code → the label used in result tables.
LABELS = ("no", "maybe", "yes")


def _broadcast(n: int, *values: Any) -> list[FloatArray]:
    return [np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)) for v in values]


def in_convex(x: FloatArray, y: FloatArray, vertices: FloatArray) -> npt.NDArray[np.bool_]:
    """Points (x, y) inside (or on) the convex polygon ``vertices`` (k, 2), counter-clockwise."""
    inside = np.isfinite(x) & np.isfinite(y)
    nxt = np.roll(vertices, -1, axis=0)
    for (x0, y0), (x1, y1) in zip(vertices, nxt, strict=True):
        inside &= (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) >= 0.0
    return inside


def classify(
    shape: Shape,
    pos_ra: Any,
    pos_dec: Any,
    obs_ra: Any,
    obs_dec: Any,
    angle_deg: Any,
) -> tuple[Status, FloatArray]:
    """Status (:data:`NO`/:data:`MAYBE`/:data:`YES`) and off-axis angle (arcmin) of each pair.

    Arguments are element-wise (broadcast to the longest); ``angle_deg`` NaN means unknown.
    Circles never need the angle. ``shape.kind == 'box'`` is handled by :func:`in_box`.
    """
    n = max(np.size(pos_ra), np.size(obs_ra), np.size(angle_deg))
    pra, pdec, ora, odec, angle = _broadcast(n, pos_ra, pos_dec, obs_ra, obs_dec, angle_deg)
    off = angular_separation(pra, pdec, ora, odec) * 60.0
    status = np.full(n, NO, dtype=np.int8)
    if shape.kind == "circle":
        status[off <= shape.radius_arcmin] = YES
        return status, off
    if shape.kind != "polygon":
        raise ValueError(f"classify() takes polygons and circles, not {shape.kind!r}")
    known = np.isfinite(angle)
    if known.any():
        k = np.flatnonzero(known & (off <= shape.outer_arcmin))
        xi, eta, _ = project(ora[k], odec[k], pra[k], pdec[k])
        x, y = unrotate(xi, eta, angle[k])
        status[k[in_convex(x, y, shape.tangent_vertices)]] = YES
    unknown = ~known
    status[unknown & (off <= shape.outer_arcmin)] = MAYBE
    status[unknown & (off <= shape.inner_arcmin)] = YES
    return status, off


def in_box(
    pos_ra: Any, pos_dec: Any, ra_min: Any, ra_max: Any, dec_min: Any, dec_max: Any
) -> npt.NDArray[np.bool_]:
    """Positions inside RA/Dec boxes (element-wise), half-open so neighbours never share one.

    RA in [ra_min, ra_max) (a box with ra_min > ra_max wraps through 0), Dec in
    [dec_min, dec_max), except that a box reaching +90° includes the pole.

    >>> in_box([10.0, 10.0, 359.0], [1.0, 2.0, 0.0], [8.0, 8.0, 358.0], [12.0, 12.0, 2.0],
    ...        [0.0, 0.0, -1.0], [2.0, 2.0, 1.0]).tolist()
    [True, False, True]
    """
    ra = np.asarray(pos_ra, dtype=np.float64) % 360.0
    dec = np.asarray(pos_dec, dtype=np.float64)
    lo, hi = np.asarray(ra_min, dtype=np.float64), np.asarray(ra_max, dtype=np.float64)
    dlo, dhi = np.asarray(dec_min, dtype=np.float64), np.asarray(dec_max, dtype=np.float64)
    wraps = lo > hi
    in_ra = np.where(wraps, (ra >= lo) | (ra < hi), (ra >= lo) & (ra < hi))
    in_ra |= (hi - lo) >= 360.0
    in_dec = (dec >= dlo) & ((dec < dhi) | ((dhi >= 90.0) & (dec <= 90.0)))
    return np.asarray(in_ra & in_dec)
