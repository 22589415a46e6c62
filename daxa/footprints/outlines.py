"""Each observation's placed footprints as numbers (circles and vertex arrays), the input of
a footprint MOC.

Unlike ``s_region`` (one outline per row: the widest instrument), an observation covers the
union of the footprints of every chosen instrument that observed, so every position the
footprint rule calls covered lies inside. Where the footprint is not known exactly the
outline is its circumscribed circle, which holds it whatever the roll: rows without a roll
angle, and Chandra rows whose detector is unknown. Loops run over instruments and detector
shapes, never over rows.

>>> from daxa.filters._examples import observation_table
>>> t = observation_table("swift", [0.0, 5.0], [0.0, 0.0], exposure_xrt=[1.0, 1.0],
...                       exposure_bat=[0.0, 0.0], roll_angle=[0.0, None])
>>> out = observation_outlines(t, "swift")
>>> [p[0].shape for p in out.polygons], out.circles[0].tolist(), out.circles[2].round(4).tolist()
([(1, 4)], [5.0], [0.2781])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.footprints.polygons import shape_on_sky
from daxa.footprints.shapes import Shape
from daxa.footprints.stcs import box_vertices
from daxa.missions.spec import Mission

FloatArray = npt.NDArray[np.float64]
#: Points per parallel edge of an eRASS1 box in a MOC: great-circle chords between them stray
#: under 2″ from the parallel even for the widest boxes near the poles.
MOC_BOX_EDGE_POINTS = 17


@dataclass
class Outlines:
    """``circles``: (ra, dec, radius) arrays in degrees; ``polygons``: (ra, dec) pairs of
    (n, k) vertex arrays, one pair per shape (k vertices each)."""

    circles: tuple[FloatArray, FloatArray, FloatArray] = field(
        default_factory=lambda: (np.zeros(0), np.zeros(0), np.zeros(0))
    )
    polygons: list[tuple[FloatArray, FloatArray]] = field(default_factory=list)

    def add_circles(self, ra: FloatArray, dec: FloatArray, radius_deg: float | FloatArray) -> None:
        """Append circles (radius in degrees, one or per circle) centred on ``ra``, ``dec``."""
        if ra.size:
            old_ra, old_dec, old_r = self.circles
            self.circles = (
                np.concatenate([old_ra, ra]),
                np.concatenate([old_dec, dec]),
                np.concatenate([old_r, np.broadcast_to(radius_deg, ra.shape)]),
            )


def _place(out: Outlines, shape: Shape, ra: FloatArray, dec: FloatArray, angle: FloatArray) -> None:
    """Add ``shape`` at these pointings: a circle, its polygon where the roll is known, its
    circumscribed circle where it is not."""
    if shape.kind == "circle":
        out.add_circles(ra, dec, shape.radius_arcmin / 60.0)
        return
    known = np.isfinite(angle)
    if known.any():
        vra, vdec = shape_on_sky(shape, ra[known], dec[known], angle[known])
        out.polygons.append((vra % 360.0, vdec))
    out.add_circles(ra[~known], dec[~known], shape.outer_arcmin / 60.0)


def observation_outlines(
    table: pl.DataFrame, mission: str | Mission, instruments: Iterable[str] | str | None = None
) -> Outlines:
    """The footprints of the chosen ``instruments`` (default: the mission's) that observed in
    each row of ``table``, placed at the row's pointing and roll; eRASS1: the owned boxes."""
    from daxa.footprints import assess as A
    from daxa.missions.coverage import chosen_instruments, observed_active
    from daxa.missions.registry import get_mission

    spec = get_mission(mission)
    chosen = chosen_instruments(spec, instruments)
    observed = observed_active(table, spec, chosen)
    out = Outlines()
    if A.is_box_mission(spec):
        A._require_boxes(table)
        lo, hi, dlo, dhi = (table[c].to_numpy().astype(np.float64) for c in A.BOX_COLUMNS)
        some = observed.any(axis=1)
        # a box all round a pole is a cap: a circle about the pole, not a polygon
        full = (hi - lo) >= 360.0
        south, north = some & full & (dlo <= -90.0), some & full & (dhi >= 90.0) & (dlo > -90.0)
        for cap, pole, radius in ((south, -90.0, 90.0 + dhi), (north, 90.0, 90.0 - dlo)):
            out.add_circles(np.zeros(cap.sum()), np.full(cap.sum(), pole), radius[cap])
        rows = np.flatnonzero(some & ~south & ~north)
        if rows.size:
            box = box_vertices(lo[rows], hi[rows], dlo[rows], dhi[rows], MOC_BOX_EDGE_POINTS)
            out.polygons.append(box)
        return out
    ra = table["ra"].to_numpy().astype(np.float64)
    dec = table["dec"].to_numpy().astype(np.float64)
    angle = A._row_angles(table, spec)
    for j, name in enumerate(chosen):
        at = observed[:, j]
        shapes = A._shapes_of(spec, name)
        if shapes[0][0] == -1:
            _place(out, shapes[0][1], ra[at], dec[at], angle[at])
            continue
        code = A.detector_codes(table, name)
        for c, shape in shapes:
            sel = at & (code == c)
            _place(out, shape, ra[sel], dec[sel], angle[sel])
        unknown = at & (code == 0)  # either detector: the wider circumscribed circle
        widest = max(s.outer_arcmin for _, s in shapes) / 60.0
        out.add_circles(ra[unknown], dec[unknown], widest)
    return out
