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

from collections.abc import Iterable
from typing import Any

import numpy as np
import polars as pl

from daxa.footprints.polygons import shape_on_sky
from daxa.footprints.shapes import Shape
from daxa.missions.spec import Mission

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


def box_vertices(
    ra_min: Any, ra_max: Any, dec_min: Any, dec_max: Any, points: int = BOX_EDGE_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """RA/Dec (n, 2 × ``points``) of RA/Dec boxes: westward along the lower parallel, back
    along the upper (``points`` per parallel: its edges are not great circles)."""
    lo = np.atleast_1d(np.asarray(ra_min, dtype=np.float64))
    hi = np.atleast_1d(np.asarray(ra_max, dtype=np.float64))
    dlo = np.atleast_1d(np.asarray(dec_min, dtype=np.float64))
    dhi = np.atleast_1d(np.asarray(dec_max, dtype=np.float64))
    width = (hi - lo) % 360.0
    width = np.where((hi - lo) >= 360.0, 360.0, width)
    t = np.linspace(1.0, 0.0, points)
    bottom = (lo[:, None] + width[:, None] * t[None, :]) % 360.0
    top = bottom[:, ::-1]
    ras = np.concatenate([bottom, top], axis=1)
    decs = np.concatenate(
        [np.repeat(dlo[:, None], t.size, axis=1), np.repeat(dhi[:, None], t.size, axis=1)], axis=1
    )
    return ras, decs


def box_strings(ra_min: Any, ra_max: Any, dec_min: Any, dec_max: Any, frame: str) -> list[str]:
    """STC-S polygons of RA/Dec boxes (:func:`box_vertices`).

    >>> box_strings([10.0], [12.0], [0.0], [1.0], "fk5")[0]  # doctest: +ELLIPSIS
    'POLYGON FK5 12.000000 0.000000 11.500000 0.000000 ... 12.000000 1.000000'
    """
    ras, decs = box_vertices(ra_min, ra_max, dec_min, dec_max)
    return _format("POLYGON", frame, np.stack([ras, decs], axis=-1).reshape(ras.shape[0], -1))


def observation_regions(
    table: pl.DataFrame, mission: str | Mission, instruments: Iterable[str] | None = None
) -> pl.Series:
    """The ObsCore ``s_region`` of each observation: the footprint of the widest chosen
    instrument that observed in the row (Chandra: the row's detector), at its pointing and
    roll; eRASS1: the owned box. Null where no chosen instrument observed.

    >>> from daxa.filters._examples import observation_table
    >>> t = observation_table("swift", [0.0], [0.0], exposure_xrt=[1.0], exposure_bat=[0.0],
    ...                       roll_angle=[0.0])
    >>> observation_regions(t, "swift").item()[:30]
    'POLYGON FK5 359.803333 0.19666'
    """
    from daxa.footprints import assess as A
    from daxa.missions.coverage import chosen_instruments, observed_active
    from daxa.missions.registry import get_mission

    spec = get_mission(mission)
    chosen = chosen_instruments(spec, instruments)
    observed = observed_active(table, spec, chosen)
    text = np.full(table.height, None, dtype=object)
    if A.is_box_mission(spec):
        A._require_boxes(table)
        rows = np.flatnonzero(observed.any(axis=1))
        lo, hi, dlo, dhi = (table[c].to_numpy()[rows] for c in A.BOX_COLUMNS)
        text[rows] = box_strings(lo, hi, dlo, dhi, spec.frame)
        return pl.Series("s_region", text.tolist(), dtype=pl.String)
    outer = np.column_stack([A.outer_per_row(table, spec, n) for n in chosen])
    outer = np.where(observed, outer, -np.inf)
    widest = np.argmax(outer, axis=1)
    some = np.isfinite(outer.max(axis=1, initial=-np.inf))
    ra, dec = table["ra"].to_numpy(), table["dec"].to_numpy()
    angle = A._row_angles(table, spec)
    for j, name in enumerate(chosen):
        at = some & (widest == j)
        shapes = A._shapes_of(spec, name)
        if shapes[0][0] == -1:
            parts = [(shapes[0][1], at, 1.0)]
        else:
            code = A.detector_codes(table, name)
            wider = max((s for _, s in shapes), key=lambda s: s.outer_arcmin)
            parts = [(s, at & (code == c), 1.0) for c, s in shapes]
            parts.append((wider, at & (code == 0), np.nan))
        for shape, mask, factor in parts:
            sel = np.flatnonzero(mask)
            if sel.size:
                text[sel] = region_strings(
                    shape, ra[sel], dec[sel], factor * angle[sel], spec.frame
                )
    return pl.Series("s_region", text.tolist(), dtype=pl.String)
