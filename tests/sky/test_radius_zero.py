"""The radius-0 rule, the same on every path: a radius of 0 matches positions whose separation
is at most 1e-12 degrees (the same point up to the rounding of unit vectors; see
daxa.sky.geometry.REL_TOL), including at the poles, where one point has every RA."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import daxa.filters.positions as positions_module
from daxa.filters import Positions
from daxa.filters._examples import observation_table
from daxa.sky import angular_separation, cone_mask, healpix_index, nearest, pair_search
from daxa.sky.geometry import ABS_TOL_DEG

# observations at and next to the north pole: same point (other RA), 1e-14 deg, 1e-9 deg away
OBS_RA = np.array([0.0, 90.0, 180.0, 270.0, 33.3, 0.0, 10.0])
OBS_DEC = np.array([90.0, 90.0, 90.0 - 1e-14, 90.0 - 1e-14, 90.0, 90.0 - 1e-9, -90.0])
SAME_POINT = [True, True, True, True, True, False, False]


def _every_path(ra0: float, dec0: float, obs_ra, obs_dec) -> dict[str, list[bool]]:
    """Whether each observation is within radius 0 of (ra0, dec0), by every daxa path."""
    n = len(obs_ra)
    table = pl.DataFrame(
        {"ra": obs_ra, "dec": obs_dec, "_healpix_29": healpix_index(obs_ra, obs_dec)}
    )
    found = {}
    found["cone (declination band)"] = cone_mask(table.drop("_healpix_29"), ra0, dec0, 0.0)
    by_cell = table.with_row_index("i").sort("_healpix_29").set_sorted("_healpix_29")
    hit = cone_mask(by_cell, ra0, dec0, 0.0).to_numpy()
    found["cone (HEALPix ranges)"] = np.isin(np.arange(n), by_cell["i"].to_numpy()[hit])
    pairs = pair_search([ra0], [dec0], obs_ra, obs_dec, 0.0)
    found["pair_search"] = np.isin(np.arange(n), pairs.right)
    near = nearest(obs_ra, obs_dec, [ra0], [dec0], 0.0)
    found["nearest"] = np.isin(np.arange(n), near.left)
    obs = observation_table("xmm_pointed", list(obs_ra), list(obs_dec))
    found["Positions (pairs)"] = Positions([ra0, dec0], radius=0.0).mask(obs, mission="xmm_pointed")
    found["Positions (nearest)"] = np.isin(  # the path of large searches with one radius
        np.arange(n),
        positions_module._nearest_within(
            np.array([ra0]), np.array([dec0]), np.asarray(obs_ra), np.asarray(obs_dec), 0.0
        ),
    )
    far = _offset(ra0, dec0, 90.0, 0.0)  # a second position that reaches none of them
    with pytest.MonkeyPatch.context() as patch:  # the chunked path of per-position radii
        patch.setattr(positions_module, "MASK_PAIRS_LIMIT", 1e-30)
        found["Positions (per position)"] = Positions(
            [[ra0, dec0], list(far)], radius=[0.0, 1e-3]
        ).mask(obs, mission="xmm_pointed")
    return {k: list(np.asarray(v, dtype=bool)) for k, v in found.items()}


def _offset(ra: float, dec: float, by_deg: float, direction_deg: float) -> tuple[float, float]:
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    moved = SkyCoord(ra * u.deg, dec * u.deg).directional_offset_by(
        direction_deg * u.deg, by_deg * u.deg
    )
    return float(moved.ra.deg % 360.0), float(np.clip(moved.dec.deg, -90.0, 90.0))


@pytest.mark.parametrize("centre", [(45.0, 90.0), (0.0, 90.0 - 1e-14), (123.0, 90.0)])
def test_radius_zero_at_the_pole_is_the_same_on_every_path(centre):
    for path, got in _every_path(*centre, OBS_RA, OBS_DEC).items():
        assert got == SAME_POINT, path


def test_pole_points_with_other_ra_are_not_exactly_zero_apart():
    """Why the rule needs a tolerance: floating point puts them ~5e-15 degrees apart."""
    sep = angular_separation(0.0, 90.0, OBS_RA[:5], OBS_DEC[:5])
    assert (sep > 0).any() and (sep <= ABS_TOL_DEG).all()


@settings(max_examples=40, deadline=None)
@given(
    ra=st.floats(0, 360, exclude_max=True),
    dec=st.floats(-90, 90),
    offset=st.sampled_from([0.0, 1e-15, 1e-14, 1e-13, 5e-12, 1e-9, 1e-6]),
    direction=st.floats(0, 360),
)
def test_radius_zero_rule_everywhere(ra, dec, offset, direction):
    """An observation `offset` degrees from the centre matches radius 0 exactly when its
    computed separation is within the 1e-12 degree tolerance, on every path."""
    moved = _offset(ra, dec, offset, direction)
    obs_ra, obs_dec = np.array([ra, moved[0]]), np.array([dec, moved[1]])
    sep = angular_separation(ra, dec, obs_ra, obs_dec)
    want = list(sep <= ABS_TOL_DEG)
    assert want[0]  # a point always matches itself
    for path, got in _every_path(ra, dec, obs_ra, obs_dec).items():
        assert got == want, (path, sep)
