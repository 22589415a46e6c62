"""Fields of view around one position: each row's FoV radius, small circles, the field map.

One job: draw "which pointings cover my object, and with which instruments" to scale on a
local flat projection (:func:`field_map`), with the per-row field-of-view radius
(:func:`fov_radius`) and the small-circle geometry the all-sky maps reuse.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from matplotlib.figure import Figure

from daxa.missions import get_mission
from daxa.plots.common import (
    _legend_handle,
    _pretty,
    mission_colour,
    missions_present,
    observations_frame,
    positions_arrays,
)

#: Instruments wider than this (Swift BAT, 50°) are left out of FoV circles when the mission
#: has a narrower default instrument: a 50° ring around every Swift pointing hides the map.
WIDE_FIELD_DEG = 10.0


def fov_radius(frame: pl.DataFrame) -> npt.NDArray[np.float64]:
    """Each row's field-of-view radius (degrees) for drawing: the largest FoV among the
    mission's default narrow-field instruments that observed in that row.

    >>> import polars as pl
    >>> t = pl.DataFrame({"mission": ["swift", "xmm_pointed"], "ra": [0.0, 1.0],
    ...                   "dec": [0.0, 0.0], "exposure_xrt": [100.0, None],
    ...                   "exposure_bat": [100.0, None]})
    >>> fov_radius(t).round(4).tolist()
    [0.1967, 0.25]
    """
    from daxa.missions.coverage import default_row_radius

    out = np.zeros(frame.height)
    missions = frame["mission"].to_numpy()
    for name in np.unique(missions):
        spec = get_mission(str(name))
        chosen = [i for i in spec.instruments if i.default]
        narrow = [i.name for i in chosen if i.fov_deg <= WIDE_FIELD_DEG] or [i.name for i in chosen]
        rows = missions == name
        radius = default_row_radius(frame.filter(pl.Series(rows)), spec, narrow) / 1.2
        fallback = max(spec.instrument(n).fov_deg for n in narrow)
        out[rows] = np.where(np.isfinite(radius), radius, fallback)
    return out


def field_map(
    observations: Any,
    center: tuple[float, float],
    *,
    radius_deg: float = 1.0,
    label: str | None = None,
    max_circles: int = 10,
    positions: Any = None,
    position_label: str = "positions",
    title: str | None = None,
    figsize: tuple[float, float] = (9.5, 6.2),
) -> Figure:
    """The sky around one position: the fields of view of the observations that reach it.

    A local flat projection (offsets in degrees, east to the left, ``radius_deg`` around the
    target) on which fields of view are drawn to scale, so "which pointings cover my object,
    and with which instruments" can be read off. Observations whose centre is further than
    ``radius_deg`` plus their own FoV are left out. Popular targets have hundreds of pointings:
    every centre is marked, but circles are drawn for the ``max_circles`` nearest observations
    of each mission only, and not at all for fields wider than the map (INTEGRAL, Swift BAT),
    whose edges would only cross it as arcs. ``positions`` (e.g. a catalogue) are drawn as
    small black dots.
    """
    frame = observations_frame(observations)
    ra0, dec0 = float(center[0]) % 360.0, float(center[1])
    cos0 = max(np.cos(np.radians(dec0)), 1e-6)
    sep = _separation_deg(frame["ra"].to_numpy(), frame["dec"].to_numpy(), ra0, dec0)
    fov = fov_radius(frame) if frame.height else np.empty(0)
    keep = sep <= radius_deg + fov
    frame, fov, sep = frame.filter(pl.Series(keep)), fov[keep], sep[keep]

    def local(ra: npt.NDArray[np.float64], dec: npt.NDArray[np.float64]) -> Any:
        dra = (ra - ra0 + 180.0) % 360.0 - 180.0
        return -dra * cos0, dec - dec0

    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    missions = missions_present(frame["mission"], unknown=False)
    handles: list[Any] = []
    for name in missions:
        rows = (frame["mission"] == name).to_numpy()
        part, colour = frame.filter(pl.Series(rows)), mission_colour(name)
        ra, dec, radius = part["ra"].to_numpy(), part["dec"].to_numpy(), fov[rows]
        x, y = local(ra, dec)
        ax.scatter(x, y, s=14, color=colour, zorder=3)
        drawn = np.argsort(sep[rows], kind="stable")[:max_circles]
        drawn = drawn[radius[drawn] <= 2 * radius_deg]
        if drawn.size:
            cra, cdec = _circle_points(ra[drawn], dec[drawn], radius[drawn])
            cx, cy = local(cra, cdec)
            ax.plot(cx.ravel(), cy.ravel(), color=colour, lw=1.0, alpha=0.8, zorder=2)
        note = f", {drawn.size} circles" if drawn.size < part.height else ""
        handles.append(_legend_handle(colour, "o", f"{_pretty(name)} ({part.height:,}{note})"))
    pra, pdec = positions_arrays(positions)
    if len(pra):
        px, py = local(pra, pdec)
        ax.scatter(px, py, s=6 if len(pra) > 100 else 14, color="black", zorder=4, lw=0)
        handles.append(_legend_handle("black", ".", f"{position_label} ({len(pra):,})"))
    ax.scatter([0], [0], marker="*", s=260, facecolor="gold", edgecolor="black", zorder=5)
    handles.append(_legend_handle("gold", "*", label or "target"))
    ax.set_xlim(radius_deg, -radius_deg)
    ax.set_ylim(-radius_deg, radius_deg)
    ax.set_aspect("equal")
    ax.set_xlabel("ΔRA cos(Dec) (degrees, east to the left)")
    ax.set_ylabel("ΔDec (degrees)")
    ax.grid(True, color="0.9", lw=0.5)
    fig.legend(handles=handles, fontsize=8, loc="outside right upper")
    ax.set_title(
        title
        or f"{label or 'target'} (RA {ra0:.3f}, Dec {dec0:+.3f}): {frame.height:,} observations"
    )
    return fig


def _separation_deg(
    ra: npt.NDArray[np.float64], dec: npt.NDArray[np.float64], ra0: float, dec0: float
) -> npt.NDArray[np.float64]:
    """Great-circle distance (haversine, stable at small angles) in degrees."""
    r1, d1, r0, d0 = np.radians(ra), np.radians(dec), np.radians(ra0), np.radians(dec0)
    h = np.sin((d1 - d0) / 2) ** 2 + np.cos(d1) * np.cos(d0) * np.sin((r1 - r0) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0, 1))))


def _circle_points(
    ra_deg: npt.NDArray[np.float64],
    dec_deg: npt.NDArray[np.float64],
    radius_deg: npt.NDArray[np.float64],
    points: int = 72,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(n, points + 1) RA/Dec of small circles, the last column NaN to separate them."""
    ra0, dec0 = np.radians(ra_deg)[:, None], np.radians(dec_deg)[:, None]
    rad = np.radians(radius_deg)[:, None]
    bearing = np.linspace(0.0, 2 * np.pi, points)[None, :]
    sin_dec = np.sin(dec0) * np.cos(rad) + np.cos(dec0) * np.sin(rad) * np.cos(bearing)
    dec = np.arcsin(np.clip(sin_dec, -1, 1))
    ra = ra0 + np.arctan2(
        np.sin(bearing) * np.sin(rad) * np.cos(dec0), np.cos(rad) - np.sin(dec0) * sin_dec
    )
    sep = np.full((len(ra), 1), np.nan)
    return np.hstack([np.degrees(ra), sep]), np.hstack([np.degrees(dec), sep])


__all__ = ["WIDE_FIELD_DEG", "field_map", "fov_radius"]
