"""The instruments' fields of view as data: one shape per (mission, detector), each cited.

A shape is a convex polygon in the detector's tangent plane or a circle about the pointing.
Polygon vertices are given as *angular* offsets (arcmin) along the two detector axes, ``x``
(east at angle 0) and ``y`` (north at angle 0), counter-clockwise in those axes (as seen from
outside the sphere; on a sky map with east left they run clockwise); :mod:`daxa.footprints.polygons` turns each offset ``a`` into the gnomonic
tangent-plane coordinate ``tan(a)``, so a rectangle's edges are the great circles through its
edge midpoints at the quoted half-widths (what matters for BAT's 100° × 60° field).

Honesty rules: every entry names its source; ``approximate=True`` marks shapes that simplify
the real detector (chip gaps ignored, a circle for a detector that is not one, the aim point
assumed at a shape's centre or on the quoted chip). The zero point of the detector axes
against the table's roll angle is *not* calibrated per mission (each archive defines its roll
differently): :data:`ROLL_OFFSET_DEG` says what is assumed. Where the exact orientation
matters, a position between the inscribed and the circumscribed circle without a known angle
is reported as ``maybe``, never as ``yes``.

>>> shape = footprint("chandra", "ACIS-I")
>>> round(shape.inner_arcmin, 2), round(shape.outer_arcmin, 2)
(8.45, 11.95)
>>> footprint("xmm_pointed", "PN").kind
'circle'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from daxa.errors import InputError

Vertices = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Shape:
    """One field of view: a convex polygon (``vertices``, arcmin) or a circle (``radius``).

    ``kind='box'`` is eRASS1's owned RA/Dec box, read per row from the table (no vertices).
    """

    name: str
    kind: Literal["polygon", "circle", "box"]
    source: str
    approximate: bool
    vertices: Vertices = ()
    radius_arcmin: float = 0.0

    @property
    def tangent_vertices(self) -> np.ndarray:
        """(k, 2) gnomonic tangent-plane coordinates of the vertices (radians → tan)."""
        return np.tan(np.radians(np.asarray(self.vertices, dtype=np.float64) / 60.0))

    @property
    def inner_arcmin(self) -> float:
        """Radius of the largest circle about the pointing that lies inside the shape."""
        if self.kind != "polygon":
            return self.radius_arcmin
        v = self.tangent_vertices
        w = np.roll(v, -1, axis=0)
        edge = w - v
        # distance from the origin to each edge's line; atan turns it into an angle
        d = np.abs(edge[:, 0] * v[:, 1] - edge[:, 1] * v[:, 0]) / np.hypot(edge[:, 0], edge[:, 1])
        return float(np.degrees(np.arctan(d.min())) * 60.0)

    @property
    def outer_arcmin(self) -> float:
        """Radius of the smallest circle about the pointing that holds the whole shape."""
        if self.kind != "polygon":
            return self.radius_arcmin
        v = self.tangent_vertices
        return float(np.degrees(np.arctan(np.hypot(v[:, 0], v[:, 1]).max())) * 60.0)


def _rect(width: float, height: float, cx: float = 0.0, cy: float = 0.0) -> Vertices:
    """A width × height rectangle (arcmin) centred at (cx, cy), counter-clockwise."""
    x0, x1, y0, y1 = cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2
    return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))


def _square(side: float) -> Vertices:
    return _rect(side, side)


def _diamond(side: float) -> Vertices:
    """A square of ``side`` turned by 45°."""
    h = side / np.sqrt(2.0)
    return ((0.0, -h), (h, 0.0), (0.0, h), (-h, 0.0))


def _hexagon(corner_radius: float) -> Vertices:
    a = np.radians(np.arange(6) * 60.0)
    return tuple((float(corner_radius * np.cos(t)), float(corner_radius * np.sin(t))) for t in a)


def _poly(name: str, vertices: Vertices, source: str, approximate: bool = True) -> Shape:
    return Shape(name, "polygon", source, approximate, vertices=vertices)


def _circle(name: str, radius_arcmin: float, source: str, approximate: bool = True) -> Shape:
    return Shape(name, "circle", source, approximate, radius_arcmin=radius_arcmin)


_POG = "Chandra Proposers' Observatory Guide (POG), "
_XMM = "XMM-Newton Users Handbook §3.3 (EPIC), "

#: (mission, detector) → shape. Detector names are daxa's instrument names, except Chandra,
#: whose ``detector`` column (ACIS-I, ACIS-S, HRC-I, HRC-S) picks the shape.
SHAPES: dict[tuple[str, str], Shape] = {
    # Chandra: ACIS-I is 2 × 2 chips, 16.9′ × 16.9′ overall (POG ch. 6); chip gaps (~18″)
    # ignored, the aim point (on I3 near the array centre) taken as the centre.
    ("chandra", "ACIS-I"): _poly("ACIS-I", _square(16.9), _POG + "ch. 6: 2×2 chips, 16.9′"),
    # ACIS-S: six 8.3′ chips in a row (S0–S5, POG ch. 6); aim point at the centre of S3, the
    # fourth chip; gaps ignored; ACIS-S observations often switch off S0/S5 (not known here).
    ("chandra", "ACIS-S"): _poly(
        "ACIS-S",
        _rect(6 * 8.3, 8.3, cx=-0.5 * 8.3),
        _POG + "ch. 6: 6 chips of 8.3′ in a row, aim point on S3",
    ),
    # HRC-I: 30′ × 30′, its edges at 45° to the spacecraft axes (POG ch. 7).
    ("chandra", "HRC-I"): _poly("HRC-I", _diamond(30.0), _POG + "ch. 7: 30′×30′, turned 45°"),
    # HRC-S: three plates, 6′ × 99′ overall (POG ch. 7); aim point taken at the centre.
    ("chandra", "HRC-S"): _poly("HRC-S", _rect(99.0, 6.0), _POG + "ch. 7: 6′×99′ (3 plates)"),
    # XMM-Newton EPIC: ~30′ diameter; the pn and MOS chip layouts and gaps are ignored.
    ("xmm_pointed", "PN"): _circle("PN", 15.0, _XMM + "pn ~30′ diameter; chip gaps ignored"),
    ("xmm_pointed", "M1"): _circle("M1", 15.0, _XMM + "MOS ~30′ diameter; chip gaps ignored"),
    ("xmm_pointed", "M2"): _circle("M2", 15.0, _XMM + "MOS ~30′ diameter; chip gaps ignored"),
    ("xmm_pointed", "OM"): _poly("OM", _square(17.0), "XMM-Newton Users Handbook §3.5: 17′"),
    # RGS: no imaging field; daxa's 15′ radius kept as a circle.
    ("xmm_pointed", "R1"): _circle("R1", 15.0, "daxa's RGS field radius (no imaging field)"),
    ("xmm_pointed", "R2"): _circle("R2", 15.0, "daxa's RGS field radius (no imaging field)"),
    # NuSTAR: 12′ × 12′ per focal-plane module (NuSTAR Observatory Guide).
    ("nustar_pointed", "FPMA"): _poly("FPMA", _square(12.0), "NuSTAR Observatory Guide: 12′"),
    ("nustar_pointed", "FPMB"): _poly("FPMB", _square(12.0), "NuSTAR Observatory Guide: 12′"),
    # Swift (Swift Technical Handbook): XRT 23.6′ square, UVOT 17′ square, BAT partially coded
    # field 100° × 60° (half-coded is smaller; this is the outer edge of any response).
    ("swift", "XRT"): _poly("XRT", _square(23.6), "Swift Technical Handbook: XRT 23.6′"),
    ("swift", "UVOT"): _poly("UVOT", _square(17.0), "Swift Technical Handbook: UVOT 17′"),
    ("swift", "BAT"): _poly(
        "BAT",
        _rect(100 * 60.0, 60 * 60.0),
        "Swift Technical Handbook: BAT partially coded 100°×60°",
    ),
    # Suzaku XIS: 17.8′ × 17.8′ (Suzaku Technical Description).
    **{
        ("suzaku", f"XIS{i}"): _poly(f"XIS{i}", _square(17.8), "Suzaku Technical Description")
        for i in range(4)
    },
    # ASCA (ASCA Technical Description): GIS 50′ diameter circle, SIS 22′ square.
    ("asca", "GIS2"): _circle("GIS2", 25.0, "ASCA Technical Description: GIS 50′ diameter"),
    ("asca", "GIS3"): _circle("GIS3", 25.0, "ASCA Technical Description: GIS 50′ diameter"),
    ("asca", "SIS0"): _poly("SIS0", _square(22.0), "ASCA Technical Description: SIS 22′"),
    ("asca", "SIS1"): _poly("SIS1", _square(22.0), "ASCA Technical Description: SIS 22′"),
    # ROSAT (ROSAT User's Handbook): PSPC 2° diameter circle, HRI 38′ square.
    ("rosat_pointed", "PSPCB"): _circle("PSPCB", 60.0, "ROSAT User's Handbook: PSPC 2°"),
    ("rosat_pointed", "PSPCC"): _circle("PSPCC", 60.0, "ROSAT User's Handbook: PSPC 2°"),
    ("rosat_pointed", "HRI"): _poly("HRI", _square(38.0), "ROSAT User's Handbook: HRI 38′"),
    # RASS sky fields: the table gives only centres; daxa's 3° radius kept as a circle.
    ("rosat_all_sky", "PSPC"): _circle("PSPC", 180.0, "daxa's RASS field radius (no shape)"),
    # XRISM (XRISM Quick Reference): Resolve 2.9′ square, Xtend 38′ square.
    ("xrism_pointed", "RESOLVE"): _poly("RESOLVE", _square(2.9), "XRISM Quick Reference"),
    ("xrism_pointed", "XTEND"): _poly("XTEND", _square(38.0), "XRISM Quick Reference"),
    # INTEGRAL (INTEGRAL AO documentation): JEM-X 4.8° diameter fully illuminated circle;
    # IBIS (ISGRI, PICsIT) 19° × 19° half-coded (zero response at 29° × 29°); SPI fully coded
    # field 16° corner to corner, taken as a regular hexagon.
    ("integral_pointed", "JEMX1"): _circle("JEMX1", 2.4 * 60, "INTEGRAL AO: JEM-X 4.8°"),
    ("integral_pointed", "JEMX2"): _circle("JEMX2", 2.4 * 60, "INTEGRAL AO: JEM-X 4.8°"),
    ("integral_pointed", "ISGRI"): _poly(
        "ISGRI", _square(19 * 60.0), "INTEGRAL AO: IBIS 19°×19° half-coded (29° zero response)"
    ),
    ("integral_pointed", "PICSIT"): _poly(
        "PICSIT", _square(19 * 60.0), "INTEGRAL AO: IBIS 19°×19° half-coded (29° zero response)"
    ),
    ("integral_pointed", "SPI"): _poly("SPI", _hexagon(8 * 60.0), "INTEGRAL AO: SPI 16° hexagon"),
    # eROSITA CalPV: the list gives one pointing per field and no extents; daxa's 4.5° radius
    # is kept as a circle (fields such as eFEDS are scans, not pointings).
    **{
        ("erosita_calpv", f"TM{i}"): _circle(f"TM{i}", 270.0, "daxa's CalPV radius (no extents)")
        for i in range(1, 8)
    },
    # eRASS1 DE: each tile owns the RA/Dec box ra_min..ra_max × dec_min..dec_max of its row.
    **{
        ("erosita_all_sky_de_dr1", f"TM{i}"): Shape(
            f"TM{i}", "box", "eRASS1 DE DR1 tile list: owned box per tile", approximate=False
        )
        for i in range(1, 8)
    },
}

#: Degrees added to the table's roll / position angle to get the angle of the detector's ``y``
#: axis east of north. Not calibrated per mission: 0 everywhere (an approximation, stated).
ROLL_OFFSET_DEG: dict[str, float] = {}

#: Normalised column holding the roll / position angle (degrees), where a mission has one.
ROLL_COLUMN = "roll_angle"


def footprint(mission: str, detector: str) -> Shape:
    """The shape of ``detector`` on ``mission`` (daxa instrument name, or Chandra detector)."""
    key = (mission, detector.upper())
    if key not in SHAPES:
        known = sorted(d for m, d in SHAPES if m == mission)
        raise InputError(
            f"no footprint for {detector!r} on {mission!r}; known: {', '.join(known) or 'none'}"
        )
    return SHAPES[key]


def outer_radius_deg(mission: str, instrument: str) -> float:
    """Circumscribed radius (degrees) over every shape ``instrument`` can take (Chandra: both
    ACIS-I and ACIS-S for ACIS); the candidate radius of a footprint search."""
    names = _detectors_of(mission, instrument)
    return max(SHAPES[(mission, n)].outer_arcmin for n in names) / 60.0


def _detectors_of(mission: str, instrument: str) -> tuple[str, ...]:
    if mission == "chandra":
        return (f"{instrument}-I", f"{instrument}-S")
    return (instrument,)
