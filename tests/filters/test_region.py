"""Rectangular regions: the real CalPV box, boxes across RA = 0 against brute force, corners."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from hypothesis import given, settings
from hypothesis import strategies as st

from daxa.errors import InputError
from daxa.filters import FilterWarning, Region
from daxa.filters._examples import observation_table


def test_real_calpv_box_selects_300007_to_300010(calpv):
    box = Region(129, 145, 1, 2)
    got = calpv.filter(box.mask(calpv, mission="erosita_calpv"))["obs_id"].to_list()
    assert got == ["300007", "300008", "300009", "300010"]


def test_box_across_ra_zero_is_the_short_strip():
    table = observation_table(
        "xmm_pointed", [350.0, 355.0, 0.0, 5.0, 10.0, 180.0, 345.0], [0.0] * 7
    )
    got = table.filter(Region(350, 10, -1, 1).mask(table, mission="xmm_pointed"))["ra"].to_list()
    assert got == [350.0, 355.0, 0.0, 5.0, 10.0]  # bounds inclusive; not the 340-degree complement
    everything = Region(0, 360, -90, 90).mask(table, mission="xmm_pointed")
    assert everything.all()


ra_values = st.floats(0, 360, exclude_max=True, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(
    ras=st.lists(ra_values, min_size=1, max_size=60),
    decs=st.lists(st.floats(-90, 90), min_size=60, max_size=60),
    ra_min=ra_values,
    ra_max=ra_values,
    dec_a=st.floats(-90, 90),
    dec_b=st.floats(-90, 90),
)
def test_region_equals_brute_force(ras, decs, ra_min, ra_max, dec_a, dec_b):
    table = observation_table("xmm_pointed", ras, decs[: len(ras)])
    lo, hi = min(dec_a, dec_b), max(dec_a, dec_b)
    got = Region(ra_min, ra_max, lo, hi).mask(table, mission="xmm_pointed").to_list()
    ra, dec = table["ra"].to_numpy(), table["dec"].to_numpy()
    inside = (ra >= ra_min) & (ra <= ra_max)
    crossing = (ra >= ra_min) | (ra <= ra_max)  # from ra_min up to 360, then 0 up to ra_max
    in_ra = inside if ra_min <= ra_max else crossing
    want = in_ra & (dec >= lo) & (dec <= hi)
    assert got == want.tolist()


def test_from_corners_takes_the_shorter_span_and_warns_when_ambiguous():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Region.from_corners((350, -5), (10, 5)).params() == Region(350, 10, -5, 5).params()
        assert Region.from_corners((30, -7), (39, -3)).params() == Region(30, 39, -7, -3).params()
    # DAXA's XXL-North example: corners at RA 39 and 30 mean the 9-degree strip
    with pytest.warns(FilterWarning, match="ambiguous"):
        xxl = Region.from_corners([39, -7], [30, -3])
    assert (xxl.ra_min, xxl.ra_max, xxl.ra_span) == (30, 39, 9)
    with pytest.warns(FilterWarning, match="ambiguous"):
        assert Region.from_corners((10, 0), (350, 1)).ra_span == 20
    literal = Region.from_corners((39, -7), (30, -3), shorter_span=False)
    assert literal.ra_span == 351
    sky = Region.from_corners(SkyCoord(350, -5, unit="deg"), SkyCoord(10, 5, unit="deg"))
    assert sky.ra_span == 20
    gal = SkyCoord(l=[96.0, 97.0], b=[-60.0, -59.0], unit="deg", frame="galactic")
    region = Region.from_corners(gal[0], gal[1])
    icrs = gal.icrs
    assert region.ra_min == pytest.approx(min(icrs.ra.deg)) and region.dec_max == pytest.approx(
        max(icrs.dec.deg)
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 10, 5, -5), "dec_min=5.0 is above dec_max=-5.0"),
        ((0, 10, -95, 5), "dec_min=-95.0 is outside"),
        ((-10, 10, 0, 5), "ra_min=-10.0 is outside"),
        ((0, "ten", 0, 5), "ra_max='ten' is not a number"),
        ((0, np.nan, 0, 5), "must be finite"),
    ],
)
def test_bad_regions(args, message):
    with pytest.raises(InputError, match=message):
        Region(*args)
