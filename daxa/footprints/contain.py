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

from daxa.footprints.shapes import Shape
from daxa.sky.geometry import angular_separation

FloatArray = npt.NDArray[np.float64]
Status = npt.NDArray[np.int8]

NO, MAYBE, YES = np.int8(0), np.int8(1), np.int8(2)
#: Status code → the label used in result tables.
LABELS = ("no", "maybe", "yes")


def _broadcast(n: int, *values: Any) -> list[FloatArray]:
    return [np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)) for v in values]


Vec = tuple[FloatArray, FloatArray, FloatArray]


def detector_axes(ra: Any, dec: Any, angle_deg: Any) -> tuple[Vec, Vec, Vec]:
    """Per pointing: the pointing ``r0`` and the detector axes ``X``, ``Y`` as unit 3-vectors
    (component arrays), for the ``y`` axis at ``angle_deg`` east of north (NaN: unknown)."""
    from daxa.sky.geometry import xyz

    ra = np.asarray(ra, dtype=np.float64)
    dec = np.asarray(dec, dtype=np.float64)
    r0 = xyz(ra, dec)
    a, d = np.radians(ra), np.radians(dec)
    east = (-np.sin(a), np.cos(a), np.zeros_like(a))
    north = (-np.sin(d) * np.cos(a), -np.sin(d) * np.sin(a), np.cos(d))
    t = np.radians(np.asarray(angle_deg, dtype=np.float64))
    c, s = np.cos(t), np.sin(t)
    # x = ξ c − η s and y = ξ s + η c (see polygons.unrotate), with ξ = p·east / p·r0 ...
    axis_x = tuple(c * e - s * n for e, n in zip(east, north, strict=True))
    axis_y = tuple(s * e + c * n for e, n in zip(east, north, strict=True))
    return r0, axis_x, axis_y  # type: ignore[return-value]


def detector_xy(p: Vec, r0: Vec, axis_x: Vec, axis_y: Vec) -> tuple[FloatArray, FloatArray]:
    """Element-wise detector tangent-plane coordinates of positions ``p`` (unit vectors);
    infinite on the far hemisphere, NaN where the axes are unknown."""
    z = p[0] * r0[0] + p[1] * r0[1] + p[2] * r0[2]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(z > 0, 1.0 / z, np.inf)
        x = (p[0] * axis_x[0] + p[1] * axis_x[1] + p[2] * axis_x[2]) * inv
        y = (p[0] * axis_y[0] + p[1] * axis_y[1] + p[2] * axis_y[2]) * inv
    return x, y


def in_convex(x: FloatArray, y: FloatArray, vertices: FloatArray) -> npt.NDArray[np.bool_]:
    """Points (x, y) inside (or on) the convex polygon ``vertices`` (k, 2), counter-clockwise."""
    inside = np.isfinite(x) & np.isfinite(y)
    nxt = np.roll(vertices, -1, axis=0)
    with np.errstate(invalid="ignore"):  # inf × 0 on the far hemisphere: NaN, i.e. outside
        for (x0, y0), (x1, y1) in zip(vertices, nxt, strict=True):
            inside &= (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) >= 0.0
    return inside


def decide(
    shape: Shape,
    off: FloatArray,
    known: npt.NDArray[np.int64],
    x: FloatArray,
    y: FloatArray,
) -> Status:
    """Status of each pair from its off-axis angle ``off`` (arcmin); ``known`` indexes the
    pairs whose roll is known, and ``x``, ``y`` are their detector coordinates (same order).
    Pairs with an unknown roll are decided by the inscribed / circumscribed circles."""
    status = np.zeros(off.size, dtype=np.int8)
    if shape.kind == "circle":
        status[off <= shape.radius_arcmin] = YES
        return status
    if shape.kind != "polygon":
        raise ValueError(f"decide() takes polygons and circles, not {shape.kind!r}")
    if known.size < off.size:
        status[off <= shape.outer_arcmin] = MAYBE
        status[off <= shape.inner_arcmin] = YES
    if known.size:
        status[known] = np.where(in_convex(x, y, shape.tangent_vertices), YES, NO)
    return status


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
    from daxa.sky.geometry import xyz

    n = max(np.size(pos_ra), np.size(obs_ra), np.size(angle_deg))
    pra, pdec, ora, odec, angle = _broadcast(n, pos_ra, pos_dec, obs_ra, obs_dec, angle_deg)
    off = angular_separation(pra, pdec, ora, odec) * 60.0
    known = np.flatnonzero(np.isfinite(angle))
    axes = detector_axes(ora[known], odec[known], angle[known])
    x, y = detector_xy(xyz(pra[known], pdec[known]), *axes)
    return decide(shape, off, known, x, y), off


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
