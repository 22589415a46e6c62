"""All-sky maps of observation centres: one Mollweide map of every mission, or one per mission.

One job: place observations (and optional positions) on the whole sky, RA increasing to the
left with 0h at the centre, in the registry's colours, with field-of-view circles for small
selections.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from matplotlib.figure import Figure

from daxa.plots.common import (
    _legend_handle,
    _pretty,
    mission_colour,
    missions_present,
    observations_frame,
    positions_arrays,
)
from daxa.plots.fields import _circle_points, fov_radius

#: Draw field-of-view circles when a sky map has at most this many observations.
FOV_CIRCLE_LIMIT = 300


def _sky_xy(
    ra_deg: npt.ArrayLike, dec_deg: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mollweide axes coordinates (radians) with RA increasing to the left, 0h at the centre."""
    ra = np.asarray(ra_deg, dtype=float)
    wrapped = (ra + 180.0) % 360.0 - 180.0
    return np.radians(-wrapped), np.radians(np.asarray(dec_deg, dtype=float))


def _circle_paths(
    ra_deg: npt.NDArray[np.float64],
    dec_deg: npt.NDArray[np.float64],
    radius_deg: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Small circles as one NaN-separated Mollweide polyline, split at the RA = 180° seam."""
    ra, dec = _circle_points(ra_deg, dec_deg, radius_deg)
    x, y = _sky_xy(ra, dec)
    jump = np.zeros_like(x, dtype=bool)
    jump[:, :-1] = np.abs(np.diff(x, axis=1)) > np.pi
    return np.where(jump, np.nan, x).ravel(), y.ravel()


def sky_map(
    observations: Any,
    positions: Any = None,
    *,
    fov: bool | None = None,
    title: str | None = None,
    position_label: str = "positions",
    figsize: tuple[float, float] = (11.0, 6.0),
) -> Figure:
    """Mollweide map of observation centres per mission, plus ``positions`` as stars.

    ``fov=None`` draws field-of-view circles (the largest default instrument's radius) only for
    selections of at most :data:`FOV_CIRCLE_LIMIT` observations, where they help; big tables
    would turn into solid paint. RA runs right to left, as on the sky.
    """
    frame = observations_frame(observations)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot(projection="mollweide")
    ax.grid(True, color="0.75", lw=0.5)
    draw_fov = frame.height <= FOV_CIRCLE_LIMIT if fov is None else fov
    missions = missions_present(frame["mission"])
    size = float(np.clip(20_000 / max(frame.height, 1), 2.0, 30.0))
    counts = {name: int((frame["mission"] == name).sum()) for name in missions}
    # the biggest tables are drawn first, so small missions stay visible on top
    layer = {name: i for i, name in enumerate(sorted(missions, key=lambda m: -counts[m]))}
    handles: list[Any] = []
    for name in missions:
        part = frame.filter(pl.col("mission") == name)
        colour = mission_colour(name)
        x, y = _sky_xy(part["ra"].to_numpy(), part["dec"].to_numpy())
        ax.scatter(
            x,
            y,
            s=size,
            color=colour,
            alpha=0.6 if part.height > 1000 else 0.9,
            lw=0,
            zorder=2 + layer[name] / 100,
            rasterized=part.height > 5000,
        )
        handles.append(_legend_handle(colour, "o", f"{_pretty(name)} ({part.height:,})"))
        if draw_fov and part.height:
            cx, cy = _circle_paths(part["ra"].to_numpy(), part["dec"].to_numpy(), fov_radius(part))
            ax.plot(cx, cy, color=colour, lw=0.8, alpha=0.8, zorder=2 + layer[name] / 100)
    pra, pdec = positions_arrays(positions)
    if len(pra):
        x, y = _sky_xy(pra, pdec)
        ax.scatter(
            x,
            y,
            marker="*",
            s=90 if len(pra) < 50 else (30 if len(pra) < 300 else 14),
            facecolor="gold",
            edgecolor="black",
            lw=0.5 if len(pra) < 300 else 0.2,
            zorder=5,
        )
        handles.append(_legend_handle("gold", "*", f"{position_label} ({len(pra):,})"))
    ticks = np.radians([-150, -120, -90, -60, -30, 0, 30, 60, 90, 120, 150])
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{round((-np.degrees(t)) % 360 / 15)}h" for t in ticks], fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    if handles:
        ax.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, -0.22),
            ncol=4,
            fontsize=8,
            frameon=False,
        )
    ax.set_title(title or f"{frame.height:,} observations (RA/Dec, degrees)", pad=14)
    return fig


def mission_sky_maps(
    observations: Any,
    positions: Any = None,
    *,
    ncols: int = 4,
    title: str | None = None,
    panel_size: tuple[float, float] = (4.2, 2.6),
) -> Figure:
    """One small Mollweide map per mission, so a dense table does not hide a sparse one.

    Same conventions as :func:`sky_map` (RA east to the left, registry colours); ``positions``
    are drawn in every panel.
    """
    frame = observations_frame(observations)
    missions = missions_present(frame["mission"])
    n = max(len(missions), 1)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.6), layout="constrained")
    pra, pdec = positions_arrays(positions)
    for i, name in enumerate(missions):
        ax = fig.add_subplot(nrows, ncols, i + 1, projection="mollweide")
        part = frame.filter(pl.col("mission") == name)
        x, y = _sky_xy(part["ra"].to_numpy(), part["dec"].to_numpy())
        size = float(np.clip(3_000 / max(part.height, 1), 0.3, 12.0))
        ax.scatter(
            x, y, s=size, color=mission_colour(name), lw=0,
            alpha=0.5 if part.height > 5000 else 0.9, rasterized=part.height > 5000,
        )  # fmt: skip
        if len(pra):
            px, py = _sky_xy(pra, pdec)
            ax.scatter(px, py, marker="*", s=30, facecolor="gold", edgecolor="black", lw=0.3)
        ax.set_xticklabels([])
        ax.set_yticklabels([])
        ax.grid(True, color="0.8", lw=0.4)
        ax.set_title(f"{_pretty(name)} ({part.height:,})", fontsize=9)
    fig.suptitle(title or "Observations per mission (RA east to the left, 0h at the centre)")
    return fig


__all__ = ["FOV_CIRCLE_LIMIT", "mission_sky_maps", "sky_map"]
