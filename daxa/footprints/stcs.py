"""Footprints as ObsCore ``s_region`` strings (IVOA STC-S: ``POLYGON ICRS ra dec ...``).

Polygons list their vertices counter-clockwise as seen from inside the sphere, looking out at
the sky with east left (the DALI / STC-S convention: the inside is on the left of each edge);
daxa's shapes are counter-clockwise in (east, north), so they are written reversed. Circles are ``CIRCLE frame ra dec r``. Without a roll angle the detector's
orientation is unknown, so the region given is the shape's circumscribed circle (it holds the
field whatever the roll). eRASS1's owned boxes are polygons through their corners with extra
points along the parallels (edges of constant Dec are not great circles).

>>> from daxa.footprints.shapes import footprint
>>> region_strings(footprint("xmm_pointed", "PN"), [10.0], [-5.0], [float("nan")], "fk5")[0]
'CIRCLE FK5 10.000000 -5.000000 0.250000'
>>> region_strings(footprint("nustar_pointed", "FPMA"), [0.0], [0.0], [0.0], "icrs")[0][:40]
'POLYGON ICRS 359.900000 0.100000 0.10000'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from daxa.footprints.polygons import shape_on_sky
from daxa.footprints.shapes import Shape

#: Points per parallel (constant-Dec) edge of an eRASS1 box, corners included.
BOX_EDGE_POINTS = 5


def _format(kind: str, frame: str, values: np.ndarray) -> list[str]:
    """``kind FRAME v1 v2 ...`` per row of ``values`` (n, m), six decimals."""
    if values.shape[0] == 0:
        return []
    text = np.char.mod("%.6f", values)
    joined = text[:, 0]
    for j in range(1, values.shape[1]):
        joined = np.char.add(np.char.add(joined, " "), text[:, j])
    return list(np.char.add(f"{kind} {frame.upper()} ", joined).tolist())


def region_strings(shape: Shape, ra: Any, dec: Any, angle_deg: Any, frame: str) -> list[str]:
    """STC-S of ``shape`` at each pointing (roll NaN → circumscribed circle)."""
    ra = np.atleast_1d(np.asarray(ra, dtype=np.float64))
    dec = np.atleast_1d(np.asarray(dec, dtype=np.float64))
    angle = np.broadcast_to(np.asarray(angle_deg, dtype=np.float64), ra.shape)
    out = np.empty(ra.size, dtype=object)
    if shape.kind == "circle":
        r = np.full(ra.size, shape.radius_arcmin / 60.0)
        out[:] = _format("CIRCLE", frame, np.column_stack([ra, dec, r]))
        return list(out)
    known = np.isfinite(angle)
    k = np.flatnonzero(known)
    if k.size:
        vra, vdec = shape_on_sky(shape, ra[k], dec[k], angle[k])
        pairs = np.stack([vra[:, ::-1], vdec[:, ::-1]], axis=-1).reshape(k.size, -1)
        out[k] = _format("POLYGON", frame, pairs)
    u = np.flatnonzero(~known)
    if u.size:
        r = np.full(u.size, shape.outer_arcmin / 60.0)
        out[u] = _format("CIRCLE", frame, np.column_stack([ra[u], dec[u], r]))
    return list(out)


def box_strings(ra_min: Any, ra_max: Any, dec_min: Any, dec_max: Any, frame: str) -> list[str]:
    """STC-S polygons of RA/Dec boxes: westward along the lower parallel, back along the upper.

    >>> box_strings([10.0], [12.0], [0.0], [1.0], "fk5")[0]  # doctest: +ELLIPSIS
    'POLYGON FK5 12.000000 0.000000 11.500000 0.000000 ... 12.000000 1.000000'
    """
    lo = np.atleast_1d(np.asarray(ra_min, dtype=np.float64))
    hi = np.atleast_1d(np.asarray(ra_max, dtype=np.float64))
    dlo = np.atleast_1d(np.asarray(dec_min, dtype=np.float64))
    dhi = np.atleast_1d(np.asarray(dec_max, dtype=np.float64))
    width = (hi - lo) % 360.0
    width = np.where((hi - lo) >= 360.0, 360.0, width)
    t = np.linspace(1.0, 0.0, BOX_EDGE_POINTS)
    bottom = (lo[:, None] + width[:, None] * t[None, :]) % 360.0
    top = bottom[:, ::-1]
    ras = np.concatenate([bottom, top], axis=1)
    decs = np.concatenate(
        [np.repeat(dlo[:, None], t.size, axis=1), np.repeat(dhi[:, None], t.size, axis=1)], axis=1
    )
    return _format("POLYGON", frame, np.stack([ras, decs], axis=-1).reshape(lo.size, -1))
