"""Box masks at the RA = 0 seam, where modular arithmetic used to round a tiny RA onto 360."""

import polars as pl

from daxa.sky.cone import box_mask


def test_tiny_ra_east_of_zero_is_outside_a_box_ending_at_zero():
    t = pl.DataFrame({"ra": [2.1e-158, 0.0, 359.5, 1.0], "dec": [0.0, 0.0, 0.0, 0.0]})
    assert box_mask(t, 350.0, 0.0, -1.0, 1.0).to_list() == [False, True, True, False]
    assert box_mask(t, 0.0, 0.5, -1.0, 1.0).to_list() == [True, True, False, False]


def test_bounds_given_outside_0_360_wrap():
    t = pl.DataFrame({"ra": [355.0, 5.0, 180.0], "dec": [0.0, 0.0, 0.0]})
    assert box_mask(t, -10.0, 10.0, -1.0, 1.0).to_list() == [True, True, False]
    assert box_mask(t, 0.0, 360.0, -1.0, 1.0).to_list() == [True, True, True]
