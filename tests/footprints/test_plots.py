"""Footprint maps carry the right outlines and positions; the density map the right counts."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

pytest.importorskip("matplotlib")

from matplotlib.collections import LineCollection  # noqa: E402

from daxa.filters._examples import observation_table  # noqa: E402
from daxa.plots.footprints import footprint_map, outlines, sky_density  # noqa: E402


def test_footprint_map_draws_each_field_where_it_is():
    swift = observation_table(
        "swift", ra=[10.0, 10.2], dec=[-30.0, -30.1], exposure_xrt=[1.0, 1.0],
        exposure_bat=[0.0, 0.0], roll_angle=[0.0, None],
    )  # fmt: skip
    fig = footprint_map({"swift": swift}, pl.DataFrame({"ra": [10.05], "dec": [-30.02]}))
    ax = fig.axes[0]
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    paths = lines.get_segments()
    assert len(paths) == 2
    # the first is XRT's square (4 corners + closing point), the second its circumscribed circle
    assert len(paths[0]) == 5 and len(paths[1]) > 40
    # the outlines are in world coordinates: the square's corners are 11.8′ from the pointing
    # along both axes at roll 0
    square = np.asarray(paths[0])
    assert np.allclose(np.ptp(square[:, 1]), 23.6 / 60, atol=1e-3)
    assert ax.wcs.wcs.cdelt[0] < 0 < ax.wcs.wcs.cdelt[1]  # east to the left
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["swift (2)", "positions (1)"]


def test_outlines_close_every_polygon():
    (out,) = outlines(pl.Series(["POLYGON ICRS 1 0 0 0 0 1"]))
    assert out.tolist() == [[1, 0], [0, 0], [0, 1], [1, 0]]


def test_sky_density_integrates_to_the_row_count():
    rng = np.random.default_rng(0)
    n = 5000
    table = pl.DataFrame(
        {"ra": rng.uniform(0, 360, n), "dec": np.degrees(np.arcsin(rng.uniform(-1, 1, n)))}
    )
    fig = sky_density(table, nside=8)
    mesh = fig.axes[0].collections[0]
    assert "5,000 rows" in fig.axes[1].get_xlabel()
    values = np.asarray(mesh.get_array()).ravel()
    assert np.nanmax(values) > 0
    # each pixel is 4π/768 sr: the mean density over the sky is n / 41253 deg²
    assert np.nanmean(values) == pytest.approx(n / 41252.96, rel=0.1)
