"""Place a detector shape on the sky: tangent-plane offsets → RA/Dec by gnomonic deprojection.

The detector's ``y`` axis points at position angle ``angle`` (degrees east of north) and its
``x`` axis 90° further on (east at angle 0, so east is left on a north-up map). A point with
tangent-plane coordinates (ξ, η) (east, north) about the pointing ``r0`` is the unit vector of
``r0 + ξ·e + η·n`` with ``e``, ``n`` the local east and north unit vectors: the TAN (gnomonic)
projection, exact at any declination including the poles, because straight lines in the
tangent plane are great circles on the sky.

>>> t = float(np.tan(np.radians(1.0)))
>>> ra, dec = place_vertices([t], [0.0], [0.0], [0.0])  # 1° along x: east of (0, 0)
>>> round(float(ra[0, 0]), 9), round(float(dec[0, 0]), 9)
(1.0, 0.0)
>>> ra, dec = place_vertices([0.0], [t], [0.0], [0.0], angle_deg=[90.0])  # y turned east
>>> round(float(ra[0, 0]), 9), round(float(dec[0, 0]), 9)
(1.0, 0.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from daxa.errors import InputError
from daxa.footprints.shapes import Shape

FloatArray = npt.NDArray[np.float64]


def local_frame(ra_deg: Any, dec_deg: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(r0, east, north) unit vectors, each (n, 3), at the pointings ``ra_deg, dec_deg``."""
    a = np.radians(np.asarray(ra_deg, dtype=np.float64))
    d = np.radians(np.asarray(dec_deg, dtype=np.float64))
    ca, sa, cd, sd = np.cos(a), np.sin(a), np.cos(d), np.sin(d)
    r0 = np.stack([cd * ca, cd * sa, sd], axis=-1)
    east = np.stack([-sa, ca, np.zeros_like(a)], axis=-1)
    north = np.stack([-sd * ca, -sd * sa, cd], axis=-1)
    return r0, east, north


def rotate(x: Any, y: Any, angle_deg: Any) -> tuple[FloatArray, FloatArray]:
    """Detector (x, y) → tangent-plane (ξ east, η north) for the ``y`` axis at ``angle_deg``."""
    t = np.radians(np.asarray(angle_deg, dtype=np.float64))
    c, s = np.cos(t), np.sin(t)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return x * c + y * s, -x * s + y * c


def unrotate(xi: Any, eta: Any, angle_deg: Any) -> tuple[FloatArray, FloatArray]:
    """Inverse of :func:`rotate`: tangent-plane (ξ, η) → detector (x, y)."""
    t = np.radians(np.asarray(angle_deg, dtype=np.float64))
    c, s = np.cos(t), np.sin(t)
    xi, eta = np.asarray(xi, dtype=np.float64), np.asarray(eta, dtype=np.float64)
    return xi * c - eta * s, xi * s + eta * c


def deproject(ra_deg: Any, dec_deg: Any, xi: Any, eta: Any) -> tuple[FloatArray, FloatArray]:
    """Gnomonic deprojection: (ξ, η) tangent-plane coordinates about each pointing → RA/Dec.

    ``ra_deg, dec_deg`` have shape (n,); ``xi, eta`` (n, k) (or broadcastable). RA in [0, 360).
    """
    r0, east, north = local_frame(ra_deg, dec_deg)
    xi, eta = np.asarray(xi, dtype=np.float64), np.asarray(eta, dtype=np.float64)
    v = r0[..., None, :] + xi[..., None] * east[..., None, :] + eta[..., None] * north[..., None, :]
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    ra = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    dec = np.degrees(np.arcsin(np.clip(v[..., 2], -1.0, 1.0)))
    return ra, dec


def project(
    ra_deg: Any, dec_deg: Any, pos_ra: Any, pos_dec: Any
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Gnomonic projection of positions about pointings (element-wise): (ξ, η, cos θ).

    ``cos θ`` is the cosine of the separation; where it is ≤ 0 the position is on the far
    hemisphere and (ξ, η) are meaningless (returned as inf).
    """
    r0, east, north = local_frame(ra_deg, dec_deg)
    p, _, _ = local_frame(pos_ra, pos_dec)
    z = np.einsum("...i,...i->...", p, r0)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(z > 0, 1.0 / z, np.inf)
        xi = np.einsum("...i,...i->...", p, east) * inv
        eta = np.einsum("...i,...i->...", p, north) * inv
    return xi, eta, z


def place_vertices(
    x_tan: Any,
    y_tan: Any,
    ra_deg: Any,
    dec_deg: Any,
    angle_deg: Any = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """Vertices (detector tangent-plane coordinates ``x_tan``, ``y_tan``, each (k,)) placed at
    each of n pointings, turned by ``angle_deg`` (scalar or (n,)): RA/Dec arrays, (n, k)."""
    x = np.atleast_1d(np.asarray(x_tan, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y_tan, dtype=np.float64))
    ra = np.atleast_1d(np.asarray(ra_deg, dtype=np.float64))
    dec = np.atleast_1d(np.asarray(dec_deg, dtype=np.float64))
    angle = np.broadcast_to(np.asarray(angle_deg, dtype=np.float64), ra.shape)
    xi, eta = rotate(x[None, :], y[None, :], angle[:, None])
    return deproject(ra, dec, xi, eta)


def shape_on_sky(
    shape: Shape, ra_deg: Any, dec_deg: Any, angle_deg: Any = 0.0, *, circle_vertices: int = 48
) -> tuple[FloatArray, FloatArray]:
    """The outline of ``shape`` at n pointings: RA/Dec (n, k), in the shape's vertex order.

    Circles become regular ``circle_vertices``-gons through the circle (inscribed polygon);
    eRASS1 boxes are not placed here (their corners come from the table).
    """
    if shape.kind == "box":
        raise InputError("eRASS1 boxes come from the table's ra_min..dec_max, not from a pointing")
    if shape.kind == "circle":
        t = np.linspace(0.0, 2 * np.pi, circle_vertices, endpoint=False)
        r = np.tan(np.radians(shape.radius_arcmin / 60.0))
        return place_vertices(r * np.cos(t), r * np.sin(t), ra_deg, dec_deg, 0.0)
    v = shape.tangent_vertices
    return place_vertices(v[:, 0], v[:, 1], ra_deg, dec_deg, angle_deg)
