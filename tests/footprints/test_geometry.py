"""Footprint placement against hand-computed corners and astropy; containment against a
brute-force spherical polygon test (winding angle in 3-D, no projection)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from hypothesis import assume, given
from hypothesis import strategies as st

from daxa.footprints.contain import MAYBE, NO, YES, classify
from daxa.footprints.polygons import shape_on_sky
from daxa.footprints.shapes import SHAPES, footprint
from daxa.sky.geometry import unit_vectors

POLYGONS = sorted(k for k, s in SHAPES.items() if s.kind == "polygon")
ANGLES = [0.0, 30.0, 90.0, 217.5]
POINTINGS = [(0.0, 0.0), (359.99, -0.5), (123.4, 89.9), (0.0, -89.7), (250.0, 45.0)]


def test_acis_i_corner_at_ra0_by_hand():
    """ACIS-I (16.9′ square) at (0, 0), roll 0: the north-east corner is 8.45′ east along the
    equator's great circle (RA exactly 8.45′) and at Dec atan(tan b / sqrt(1 + tan² a))."""
    ra, dec = shape_on_sky(footprint("chandra", "ACIS-I"), [0.0], [0.0], [0.0])
    a = b = math.radians(8.45 / 60)
    want_dec = math.degrees(math.atan(math.tan(b) / math.sqrt(1 + math.tan(a) ** 2)))
    # vertices are counter-clockwise from the south-west corner: SW, SE, NE, NW (x east)
    assert ra[0, 2] == pytest.approx(8.45 / 60, abs=1e-12)
    assert dec[0, 2] == pytest.approx(want_dec, abs=1e-12)
    assert ra[0, 0] == pytest.approx(360 - 8.45 / 60, abs=1e-12)
    assert dec[0, 0] == pytest.approx(-want_dec, abs=1e-12)


def test_roll_90_turns_north_to_east_by_hand():
    """HRC-S (99′ × 6′, long axis along x) at roll 90°: the long axis lies north-south."""
    ra, dec = shape_on_sky(footprint("chandra", "HRC-S"), [0.0], [0.0], [90.0])
    assert np.max(np.abs(dec)) == pytest.approx(
        math.degrees(
            math.atan(
                math.tan(math.radians(49.5 / 60))
                / math.sqrt(1 + math.tan(math.radians(3 / 60)) ** 2)
            )
        ),
        abs=1e-12,
    )
    assert np.max(np.abs(((ra + 180) % 360) - 180)) < 3.01 / 60


@pytest.mark.parametrize("key", POLYGONS, ids=lambda k: f"{k[0]}:{k[1]}")
def test_corners_match_astropy_offsets(key):
    """Every vertex, at every pointing (RA 0, RA 359.99, both poles) and roll angle, is where
    astropy's directional_offset_by puts it: separation atan(|ξ, η|), position angle
    atan2(ξ, η) east of north, with (ξ, η) the vertex turned by the roll."""
    shape = SHAPES[key]
    v = shape.tangent_vertices
    for ra0, dec0 in POINTINGS:
        for angle in ANGLES:
            ra, dec = shape_on_sky(shape, [ra0], [dec0], [angle])
            t = math.radians(angle)
            xi = v[:, 0] * math.cos(t) + v[:, 1] * math.sin(t)
            eta = -v[:, 0] * math.sin(t) + v[:, 1] * math.cos(t)
            sep = np.degrees(np.arctan(np.hypot(xi, eta)))
            pa = np.degrees(np.arctan2(xi, eta))
            want = SkyCoord(ra0 * u.deg, dec0 * u.deg).directional_offset_by(
                pa * u.deg, sep * u.deg
            )
            got = SkyCoord(ra[0] * u.deg, dec[0] * u.deg)
            assert np.all(got.separation(want).to_value(u.arcsec) < 1e-6), (ra0, dec0, angle)


def _winding_inside(p: np.ndarray, verts: np.ndarray) -> tuple[bool, float]:
    """Brute force: the signed angles subtended at p by the polygon's edges sum to ±2π
    inside and to 0 outside; also the distance (sin) of p from the nearest edge's circle."""
    total, nearest = 0.0, 1.0
    k = len(verts)
    for i in range(k):
        a, b = verts[i], verts[(i + 1) % k]
        ta = a - p * (p @ a)
        tb = b - p * (p @ b)
        total += math.atan2(float(np.cross(ta, tb) @ p), float(ta @ tb))
        n = np.cross(a, b)
        nearest = min(nearest, abs(float(n @ p)) / float(np.linalg.norm(n)))
    return abs(total) > math.pi, nearest


@given(
    key=st.sampled_from(POLYGONS),
    ra0=st.floats(0, 360, exclude_max=True),
    dec0=st.floats(-89.99, 89.99),
    angle=st.floats(-360, 360),
    r=st.floats(0, 1.4),
    phi=st.floats(0, 360),
)
def test_containment_matches_brute_force(key, ra0, dec0, angle, r, phi):
    shape = SHAPES[key]
    reach = shape.outer_arcmin / 60 * r
    pos = SkyCoord(ra0 * u.deg, dec0 * u.deg).directional_offset_by(phi * u.deg, reach * u.deg)
    pra, pdec = float(pos.ra.deg), float(pos.dec.deg)
    vra, vdec = shape_on_sky(shape, [ra0], [dec0], [angle])
    inside, nearest = _winding_inside(unit_vectors([pra], [pdec])[0], unit_vectors(vra[0], vdec[0]))
    assume(nearest > 1e-9)
    status, off = classify(shape, [pra], [pdec], ra0, dec0, angle)
    assert status[0] == (YES if inside else NO)
    assert off[0] == pytest.approx(reach * 60, abs=1e-6)


@given(
    key=st.sampled_from(POLYGONS),
    dec0=st.floats(-89.9, 89.9),
    r=st.floats(0, 1.3),
    phi=st.floats(0, 360),
)
def test_unknown_angle_is_honest(key, dec0, r, phi):
    """Without a roll angle: yes only if inside at every angle, no only if outside at every
    angle (checked on 36 angles), maybe otherwise."""
    shape = SHAPES[key]
    reach = shape.outer_arcmin / 60 * r
    pos = SkyCoord(10 * u.deg, dec0 * u.deg).directional_offset_by(phi * u.deg, reach * u.deg)
    pra, pdec = float(pos.ra.deg), float(pos.dec.deg)
    status, _ = classify(shape, [pra], [pdec], 10.0, dec0, float("nan"))
    angles = np.arange(0, 360, 10.0)
    each, _ = classify(shape, pra, pdec, 10.0, dec0, angles)
    if status[0] == YES:
        assert np.all(each == YES)
    elif status[0] == NO:
        assert np.all(each == NO)
    else:
        assert status[0] == MAYBE


def test_circles_ignore_the_angle():
    pn = footprint("xmm_pointed", "PN")
    status, off = classify(pn, [0.0, 0.0], [14.9 / 60, 15.1 / 60], 0.0, 0.0, float("nan"))
    assert status.tolist() == [YES, NO]
    assert off.tolist() == pytest.approx([14.9, 15.1])


def test_inner_and_outer_radii_by_hand():
    acis_s = footprint("chandra", "ACIS-S")  # 6 × 8.3′ row, aim point at the centre of S3
    assert acis_s.inner_arcmin == pytest.approx(4.15, rel=1e-5)
    assert acis_s.outer_arcmin == pytest.approx(math.hypot(3.5 * 8.3, 4.15), rel=1e-4)
    hrc_i = footprint("chandra", "HRC-I")  # 30′ square turned 45°
    assert hrc_i.inner_arcmin == pytest.approx(15.0, rel=1e-5)
    assert hrc_i.outer_arcmin == pytest.approx(15.0 * math.sqrt(2), rel=1e-4)


def test_every_shape_cites_a_source():
    for key, shape in SHAPES.items():
        assert shape.source, key
        if shape.kind == "polygon":
            assert shape.inner_arcmin <= shape.outer_arcmin
