"""Plots: the figures carry the right data (positions, circles, counts), not just pixels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from daxa import plots


def _obs(
    mission: str, ra: list[float], dec: list[float], year: int = 2010, **extra
) -> pl.DataFrame:
    n = len(ra)
    start = [datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=i) for i in range(n)]
    return pl.DataFrame(
        {
            "mission": [mission] * n,
            "obs_id": [str(i) for i in range(n)],
            "ra": ra,
            "dec": dec,
            "start": start,
            "end": [s + timedelta(hours=10) for s in start],
            "exposure": [36_000.0] * n,
            **extra,
        }
    )


def _haversine(ra1, dec1, ra2, dec2):
    r1, d1, r2, d2 = map(np.radians, (ra1, dec1, ra2, dec2))
    h = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(h)))


def test_sky_map_puts_ra_east_to_the_left_and_counts_per_mission() -> None:
    obs = pl.concat(
        [_obs("chandra", [90.0, 270.0], [0.0, 30.0]), _obs("xmm_pointed", [0.0], [-45.0])]
    )
    fig = plots.sky_map(obs, positions=pl.DataFrame({"ra": [180.0], "dec": [60.0]}))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    offsets = [c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)]
    # registry order: XMM first, then Chandra, then the positions
    np.testing.assert_allclose(offsets[0], [[0.0, -np.pi / 4]])
    np.testing.assert_allclose(offsets[1], [[-np.pi / 2, 0.0], [np.pi / 2, np.pi / 6]])
    assert abs(abs(offsets[2][0, 0]) - np.pi) < 1e-9 and offsets[2][0, 1] == pytest.approx(
        np.pi / 3
    )
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["XMM-Newton Pointed (1)", "Chandra (2)", "positions (1)"]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "10h" and ticks[5] == "0h" and ticks[-1] == "14h"


def test_fov_circles_only_for_small_selections_and_at_the_right_radius() -> None:
    small = _obs("integral_pointed", [10.0, 100.0], [20.0, -70.0])
    fig = plots.sky_map(small)
    (line,) = fig.axes[0].get_lines()
    x, y = line.get_xdata(), line.get_ydata()
    ok = np.isfinite(x) & np.isfinite(y)
    ra, dec = (-np.degrees(x[ok])) % 360, np.degrees(y[ok])
    # INTEGRAL's default instruments: JEM-X 2.4°, ISGRI 4.15° -> circles of 4.15°
    sep = np.minimum(_haversine(ra, dec, 10.0, 20.0), _haversine(ra, dec, 100.0, -70.0))
    np.testing.assert_allclose(sep, 4.15, atol=1e-6)

    big = _obs("integral_pointed", list(np.linspace(0, 359, 400)), [0.0] * 400)
    assert plots.sky_map(big).axes[0].get_lines() == []
    assert len(plots.sky_map(big, fov=True).axes[0].get_lines()) == 1


def test_fov_radius_uses_the_instruments_that_observed_and_skips_wide_fields() -> None:
    table = pl.concat(
        [
            _obs("chandra", [1.0, 2.0], [0.0, 0.0], instrument=["ACIS", "HRC"]),
            _obs("swift", [3.0], [0.0], exposure_xrt=[100.0], exposure_bat=[100.0]),
        ],
        how="diagonal",
    )
    np.testing.assert_allclose(plots.fov_radius(table), [27.8 / 60, 49.5 / 60, 11.8 / 60])


@settings(max_examples=60, deadline=None)
@given(
    ra=st.floats(0, 360, exclude_max=True),
    dec=st.floats(-89.9, 89.9),
    radius=st.floats(0.01, 20.0),
)
def test_circle_points_lie_at_the_radius(ra: float, dec: float, radius: float) -> None:
    cra, cdec = plots._circle_points(np.array([ra]), np.array([dec]), np.array([radius]))
    sep = _haversine(cra[0, :-1], cdec[0, :-1], ra, dec)
    np.testing.assert_allclose(sep, radius, atol=1e-6)
    assert np.isnan(cra[0, -1])


def test_circle_paths_never_draw_across_the_ra_seam() -> None:
    x, _ = plots._circle_paths(np.array([180.0]), np.array([0.0]), np.array([5.0]))
    steps = np.abs(np.diff(x))
    assert np.nanmax(steps) < 0.5  # the circle is split, not joined across the map


def test_field_map_keeps_only_fields_reaching_the_target() -> None:
    near = _obs("xmm_pointed", [83.63, 83.9, 86.0], [22.01, 22.01, 22.01])  # 0, 0.25°, 2.2°
    fig = plots.field_map(near, (83.63, 22.01), radius_deg=0.5, label="Crab")
    ax = fig.axes[0]
    assert ax.get_title() == "Crab (RA 83.630, Dec +22.010): 2 observations"
    xy = ax.collections[0].get_offsets()
    # east to the left: a field at larger RA has a negative x offset
    np.testing.assert_allclose(xy[:, 0], [0.0, -0.27 * np.cos(np.radians(22.01))], atol=1e-9)
    assert ax.get_xlim() == (0.5, -0.5)
    (circles,) = ax.get_lines()
    assert np.isnan(circles.get_xdata()).sum() == 2  # one circle per field, NaN-separated

    # many pointings: every centre marked, circles only for the nearest max_circles
    crowd = _obs("xmm_pointed", list(83.63 + np.linspace(0, 0.3, 30)), [22.01] * 30)
    ax = plots.field_map(crowd, (83.63, 22.01), max_circles=5).axes[0]
    assert len(ax.collections[0].get_offsets()) == 30
    (circles,) = ax.get_lines()
    assert np.isnan(circles.get_xdata()).sum() == 5
    (legend,) = ax.figure.legends
    assert legend.get_texts()[0].get_text() == "XMM-Newton Pointed (30, 5 circles)"

    # extra positions (a catalogue) are drawn at their offsets
    ax = plots.field_map(
        near, (83.63, 22.01), radius_deg=0.5, positions=([83.63], [22.21]), position_label="cat"
    ).axes[0]
    np.testing.assert_allclose(ax.collections[1].get_offsets(), [[0.0, 0.2]], atol=1e-9)
    assert "cat (1)" in [t.get_text() for t in ax.figure.legends[0].get_texts()]

    # fields much wider than the map get no circle (INTEGRAL ISGRI 4.15 deg on a 0.5 deg map)
    wide = _obs("integral_pointed", [83.63], [22.01])
    assert plots.field_map(wide, (83.63, 22.01), radius_deg=0.5).axes[0].get_lines() == []


def test_timeline_bars_for_selections_and_profiles_for_whole_tables() -> None:
    sel = _obs("nustar_pointed", [1.0, 2.0, 3.0], [0.0, 0.0, 0.0])
    windows = pl.DataFrame({"start": [datetime(2010, 1, 1)], "end": [datetime(2010, 2, 1)]})
    ax = plots.timeline(sel, windows).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["NuSTAR Pointed"]
    (bars,) = [c for c in ax.collections if c.__class__.__name__ == "LineCollection"]
    assert len(bars.get_segments()) == 3
    assert len(ax.patches) == 1  # the shaded window

    rng = np.random.default_rng(0)
    n = plots.DENSITY_LANE_ROWS + 1
    big = _obs("swift", list(rng.uniform(0, 360, n)), [0.0] * n)
    ax = plots.timeline(big).axes[0]
    assert not [c for c in ax.collections if c.__class__.__name__ == "LineCollection"]


def test_exposure_per_year_stacks_missions() -> None:
    obs = pl.concat(
        [_obs("chandra", [1.0, 2.0], [0.0, 0.0], year=2001), _obs("swift", [1.0], [0.0], 2003)]
    )
    table = plots.exposure_by_year(obs)
    assert table.rows() == [("chandra", 2001, 72_000.0), ("swift", 2003, 36_000.0)]  # seconds
    ax = plots.exposure_per_year(obs).axes[0]
    heights = [(p.get_x() + p.get_width() / 2, p.get_height()) for p in ax.patches]
    assert (2001.0, pytest.approx(0.072)) in heights
    assert sum(h for _, h in heights) == pytest.approx(0.108)


def test_inputs_mapping_and_selection_like_objects() -> None:
    a, b = _obs("chandra", [1.0], [0.0]), _obs("asca", [2.0], [1.0])
    assert plots.observations_frame({"chandra": a, "asca": b}).height == 2

    class FakeSelection:
        table = a

    assert plots.observations_frame(FakeSelection()).height == 1
    with pytest.raises(plots.InputError, match="need columns"):
        plots.observations_frame(pl.DataFrame({"x": [1]}))


def test_save_writes_a_png(tmp_path) -> None:
    path = plots.save(plots.sky_map(_obs("chandra", [1.0], [0.0])), tmp_path / "d" / "sky.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_mission_sky_maps_one_panel_per_mission_in_registry_order() -> None:
    obs = pl.concat(
        [
            _obs("swift", [10.0, 20.0, 30.0], [0.0, 1.0, 2.0]),
            _obs("xmm_pointed", [40.0], [5.0]),
            _obs("chandra", [50.0, 60.0], [-5.0, -6.0]),
        ]
    )
    fig = plots.mission_sky_maps(obs, positions=([0.0], [0.0]), ncols=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["XMM-Newton Pointed (1)", "Chandra (2)", "Swift (3)"]
    swift = fig.axes[2].collections[0].get_offsets()
    np.testing.assert_allclose(swift[:, 0], -np.radians([10.0, 20.0, 30.0]))
    assert fig.axes[0].get_subplotspec().get_geometry()[:2] == (2, 2)


def test_merge_intervals_unions_overlapping_windows() -> None:
    start = [datetime(2020, 1, 5), datetime(2020, 1, 1), datetime(2020, 3, 1)]
    end = [datetime(2020, 2, 1), datetime(2020, 1, 10), datetime(2020, 3, 2)]
    merged = plots.merge_intervals(start, end)
    assert [(str(a)[:10], str(b)[:10]) for a, b in merged] == [
        ("2020-01-01", "2020-02-01"),
        ("2020-03-01", "2020-03-02"),
    ]
    assert plots.merge_intervals([], []) == []


def test_days_since_event_places_observations_on_the_event_clock() -> None:
    obs = pl.concat(
        [_obs("chandra", [1.0, 2.0], [0.0, 0.0]), _obs("swift", [3.0], [0.0], year=2011)]
    )
    # chandra starts 2010-01-01 and 2010-01-02, swift 2011-01-01
    events = pl.Series([datetime(2009, 12, 31, tzinfo=UTC)] * 3)
    fig = plots.days_since_event(obs, events, window_days=(-20, 365), event_label="discovery")
    ax = fig.axes[0]
    chandra, swift = (c.get_offsets() for c in ax.collections[:2])
    np.testing.assert_allclose(chandra[:, 0], [1.0, 2.0])
    np.testing.assert_allclose(swift[:, 0], [366.0])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Chandra (2)", "Swift (1)"]
    assert ax.get_xlabel() == "days since discovery (observation start)"
    with pytest.raises(plots.InputError):
        plots.days_since_event(obs.clear(), events.clear())
