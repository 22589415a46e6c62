"""Plots of observation tables: where (sky map), when (timeline) and how much (exposure).

Every function takes observations as a polars DataFrame in daxa's schema (one mission or many,
told apart by the ``mission`` column), a ``{mission: table}`` mapping, or anything with a
``.table`` attribute (a Selection); it returns a matplotlib :class:`~matplotlib.figure.Figure`
without touching pyplot's global state, so scripts save it and notebooks display it.
Colours follow the mission registry, so a mission has the same colour in every plot.

>>> import polars as pl
>>> from datetime import datetime, UTC
>>> obs = pl.DataFrame({"mission": ["chandra", "xmm_pointed"], "obs_id": ["1", "0201903501"],
...     "ra": [10.0, 200.0], "dec": [-5.0, 40.0],
...     "start": [datetime(2001, 1, 1, tzinfo=UTC), datetime(2004, 6, 1, tzinfo=UTC)],
...     "end": [datetime(2001, 1, 2, tzinfo=UTC), datetime(2004, 6, 2, tzinfo=UTC)],
...     "exposure": [5e4, 3e4]})
>>> fig = sky_map(obs)
>>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
['XMM-Newton Pointed (1)', 'Chandra (1)']
>>> exposure_per_year(obs).axes[0].get_ylabel()
'exposure (Ms)'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

try:
    from matplotlib.figure import Figure
except ImportError as exc:  # matplotlib is the optional "plot" extra
    raise ImportError(
        "daxa.plots needs matplotlib: pip install 'daxa[plot]' (or pip install matplotlib)"
    ) from exc

from daxa.errors import InputError
from daxa.missions import get_mission, mission_names

_COLUMNS = ("mission", "obs_id", "ra", "dec", "start", "end", "exposure")

#: Draw field-of-view circles when a sky map has at most this many observations.
FOV_CIRCLE_LIMIT = 300


#: One distinct colour per registry mission (tab10 plus two dark tones), in registry order.
_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
    "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
)  # fmt: skip


def mission_colour(mission: str) -> str:
    """The colour ``mission`` has in every daxa plot (unknown names get black).

    >>> mission_colour("xmm_pointed")
    '#1f77b4'
    """
    names = mission_names()
    return _PALETTE[names.index(mission) % len(_PALETTE)] if mission in names else "#000000"


def observations_frame(observations: Any) -> pl.DataFrame:
    """The columns plots need from any accepted observations input, as one DataFrame.

    Keeps ``instrument`` and ``exposure_<inst>`` columns too: they say which instrument's
    field of view to draw for each row.
    """
    if hasattr(observations, "table") and isinstance(observations.table, pl.DataFrame):
        observations = observations.table
    if isinstance(observations, Mapping):
        return _concat([observations_frame(t) for t in observations.values()])
    if isinstance(observations, pl.DataFrame):
        missing = [c for c in ("mission", "ra", "dec") if c not in observations.columns]
        if missing:
            raise InputError(
                f"observations need columns {', '.join(missing)}; they have "
                f"{', '.join(observations.columns[:12])}"
            )
        extra = [c for c in observations.columns if c == "instrument" or c.startswith("exposure_")]
        frame = observations.select([c for c in _COLUMNS if c in observations.columns] + extra)
        frame = frame.with_columns(
            pl.lit(None, dtype=_DTYPES[c]).alias(c) for c in _COLUMNS if c not in frame.columns
        )
        return frame.select([*_COLUMNS, *extra])
    if isinstance(observations, Iterable) and not isinstance(observations, str | bytes):
        return _concat([observations_frame(t) for t in observations])
    raise InputError(
        f"cannot plot {type(observations).__name__}: give a DataFrame in daxa's schema, a "
        "{mission: table} mapping or a Selection"
    )


def _concat(parts: list[pl.DataFrame]) -> pl.DataFrame:
    parts = [p for p in parts if p.height] or parts[:1]
    return pl.concat(parts, how="diagonal_relaxed") if parts else _empty()


_DTYPES: dict[str, pl.DataType] = {
    "mission": pl.String(),
    "obs_id": pl.String(),
    "ra": pl.Float64(),
    "dec": pl.Float64(),
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "exposure": pl.Float64(),
}


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=_DTYPES)


def positions_arrays(positions: Any) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(ra, dec) degree arrays from a frame with ra/dec, a SkyCoord, or an (ra, dec) pair."""
    if positions is None:
        return np.empty(0), np.empty(0)
    if hasattr(positions, "icrs") and hasattr(positions, "ra"):  # SkyCoord
        c = positions.icrs
        return np.atleast_1d(c.ra.deg).astype(float), np.atleast_1d(c.dec.deg).astype(float)
    if hasattr(positions, "columns"):
        cols = {str(c).lower(): c for c in positions.columns}
        ra_key = cols.get("ra")
        dec_key = cols.get("dec") or cols.get("declination")
        if ra_key is None or dec_key is None:
            raise InputError("positions need 'ra' and 'dec' columns (degrees)")
        return (
            np.asarray(positions[ra_key], dtype=float),
            np.asarray(positions[dec_key], dtype=float),
        )
    ra, dec = positions
    return np.atleast_1d(np.asarray(ra, dtype=float)), np.atleast_1d(np.asarray(dec, dtype=float))


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


def _pretty(name: str) -> str:
    try:
        return get_mission(name).pretty_name
    except Exception:
        return name


def _legend_handle(colour: str, marker: str, label: str) -> Any:
    """A legend entry with a readable marker, whatever size the plotted points have."""
    from matplotlib.lines import Line2D

    return Line2D(
        [],
        [],
        ls="none",
        marker=marker,
        ms=9 if marker == "*" else 6,
        color=colour,
        markeredgecolor="black" if marker == "*" else colour,
        markeredgewidth=0.5,
        label=label,
    )


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
    missions = [m for m in mission_names() if m in set(frame["mission"].to_list())]
    missions += sorted(set(frame["mission"].to_list()) - set(missions))
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
    present = set(frame["mission"].to_list())
    missions = [m for m in mission_names() if m in present] + sorted(present - set(mission_names()))
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
    missions = [m for m in mission_names() if m in set(frame["mission"].to_list())]
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


def merge_intervals(start: Any, end: Any) -> list[tuple[np.datetime64, np.datetime64]]:
    """The union of [start, end] windows as sorted, disjoint intervals (naive UTC datetimes).

    Shading each of many overlapping windows would darken where they pile up; the union
    shades "some window is open" evenly.

    >>> from datetime import datetime
    >>> merged = merge_intervals(
    ...     [datetime(2020, 1, 1), datetime(2020, 1, 5), datetime(2021, 1, 1)],
    ...     [datetime(2020, 1, 10), datetime(2020, 2, 1), datetime(2021, 2, 1)])
    >>> [(str(lo)[:10], str(hi)[:10]) for lo, hi in merged]
    [('2020-01-01', '2020-02-01'), ('2021-01-01', '2021-02-01')]
    """
    s = pl.Series(start).cast(pl.Datetime("us"))
    e = pl.Series(end).cast(pl.Datetime("us"))
    if s.dtype.time_zone is not None:  # type: ignore[attr-defined]
        s, e = s.dt.replace_time_zone(None), e.dt.replace_time_zone(None)
    if s.len() == 0:
        return []
    order = np.argsort(s.to_numpy(), kind="stable")
    starts, ends = s.to_numpy()[order], e.to_numpy()[order]
    reach = np.maximum.accumulate(ends)
    new = np.concatenate([[True], starts[1:] > reach[:-1]])
    first = np.flatnonzero(new)
    return list(zip(starts[first], np.maximum.reduceat(ends, first), strict=True))


#: Lanes with more observations than this show how many started per month instead of bars.
DENSITY_LANE_ROWS = 400


def _density_lane(ax: Any, start: npt.NDArray[Any], lane: int, colour: str) -> None:
    """Observations started per month, drawn as a filled profile inside the lane."""
    months = start.astype("datetime64[M]")
    edges = np.arange(months.min(), months.max() + np.timedelta64(2, "M"), dtype="datetime64[M]")
    counts, _ = np.histogram(months.astype(np.int64), bins=edges.astype(np.int64))
    height = 0.8 * counts / max(counts.max(), 1)
    x = edges.astype("datetime64[us]")
    y = np.append(height, height[-1])
    ax.fill_between(x, lane + 0.4, lane + 0.4 - y, step="post", color=colour, alpha=0.85, lw=0)


def timeline(
    observations: Any,
    windows: Any = None,
    *,
    title: str | None = None,
    figsize: tuple[float, float] = (11.0, 4.5),
) -> Figure:
    """Observation windows per mission against time, one lane per mission.

    Small selections show each observation as a bar from start to end with a tick at its
    start; a lane with more than :data:`DENSITY_LANE_ROWS` observations shows how many
    started each month instead (the profile's height is relative within the lane).

    ``windows`` (a frame with ``start`` and ``end``, e.g. the time windows of a positions-at-
    time search) are shaded behind the lanes, so matches can be checked by eye.
    """
    frame = observations_frame(observations).filter(pl.col("start").is_not_null())
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    missions = [m for m in mission_names() if m in set(frame["mission"].to_list())]
    missions += sorted(set(frame["mission"].to_list()) - set(missions))
    for lane, name in enumerate(missions):
        part = frame.filter(pl.col("mission") == name)
        start = part["start"].dt.replace_time_zone(None).to_numpy()
        colour = mission_colour(name)
        if part.height > DENSITY_LANE_ROWS:
            _density_lane(ax, start, lane, colour)
            continue
        end = part["end"].fill_null(part["start"]).dt.replace_time_zone(None).to_numpy()
        ax.hlines(np.full(len(start), lane), start, end, color=colour, lw=8, alpha=0.8)
        ax.scatter(start, np.full(len(start), lane), marker="|", s=200, color=colour, lw=1.2)
    if windows is not None:
        w = windows.table if hasattr(windows, "table") else windows
        if not isinstance(w, pl.DataFrame):
            w = pl.DataFrame(w)
        for s, e in merge_intervals(w["start"], w["end"]):
            ax.axvspan(s, e, color="0.6", alpha=0.2, lw=0, zorder=0)  # type: ignore[arg-type]
    ax.set_yticks(range(len(missions)))
    ax.set_yticklabels([_pretty(m) for m in missions], fontsize=9)
    ax.set_ylim(-0.7, max(len(missions), 1) - 0.3)
    ax.invert_yaxis()
    ax.grid(True, axis="x", color="0.85", lw=0.5)
    ax.set_xlabel("date (UTC)")
    ax.set_title(title or f"Observation windows ({frame.height:,} observations)")
    return fig


def days_since_event(
    observations: pl.DataFrame,
    event: str | pl.Series,
    *,
    window_days: tuple[float, float] | None = None,
    event_label: str = "event",
    title: str | None = None,
    figsize: tuple[float, float] = (11.0, 4.0),
) -> Figure:
    """When each observation started relative to its position's event (days), per mission.

    For transients (supernovae, GRBs, flares) the useful clock is the event's, not the
    calendar: ``event`` is a column of ``observations`` (or a Series aligned with its rows)
    holding each row's event time, e.g. a supernova's discovery date in a positions-at-time
    search result. ``window_days`` shades the searched window, e.g. ``(-20, 365)``.
    """
    if observations.height == 0:
        raise InputError("no observations to plot")
    times = observations[event] if isinstance(event, str) else event
    days = (observations["start"] - times).dt.total_microseconds().to_numpy() / 86_400e6
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    present = set(observations["mission"].to_list())
    missions = [m for m in mission_names() if m in present]
    lanes = observations["mission"].replace_strict(
        {m: i for i, m in enumerate(missions)}, return_dtype=pl.Int64
    )
    for lane, name in enumerate(missions):
        rows = (lanes == lane).to_numpy()
        ax.scatter(
            days[rows], np.full(int(rows.sum()), lane), marker="|", s=220,
            color=mission_colour(name), lw=1.2, alpha=0.8 if rows.sum() < 500 else 0.4,
        )  # fmt: skip
    if window_days is not None:
        ax.axvspan(window_days[0], window_days[1], color="0.6", alpha=0.15, lw=0, zorder=0)
    ax.axvline(0, color="black", lw=1, ls="--")
    ax.text(0, -0.6, f" {event_label}", fontsize=8, va="bottom")
    ax.set_yticks(range(len(missions)))
    ax.set_yticklabels(
        [f"{_pretty(m)} ({int((lanes == i).sum()):,})" for i, m in enumerate(missions)],
        fontsize=9,
    )
    ax.set_ylim(-0.7, max(len(missions), 1) - 0.3)
    ax.invert_yaxis()
    ax.grid(True, axis="x", color="0.85", lw=0.5)
    ax.set_xlabel(f"days since {event_label} (observation start)")
    ax.set_title(title or f"Observations relative to each {event_label}")
    return fig


def exposure_by_year(observations: Any) -> pl.DataFrame:
    """Total exposure (Ms) per mission per calendar year of the observation start.

    >>> import polars as pl
    >>> from datetime import datetime, UTC
    >>> t = pl.DataFrame({"mission": ["swift", "swift", "chandra"], "ra": [1.0, 2, 3],
    ...     "dec": [0.0, 0, 0], "start": [datetime(2010, 3, 1, tzinfo=UTC),
    ...     datetime(2010, 9, 1, tzinfo=UTC), datetime(2011, 1, 1, tzinfo=UTC)],
    ...     "exposure": [1e6, 5e5, 2e6]})
    >>> exposure_by_year(t).rows()
    [('chandra', 2011, 2.0), ('swift', 2010, 1.5)]
    """
    frame = observations_frame(observations)
    return (
        frame.filter(pl.col("start").is_not_null())
        .group_by("mission", pl.col("start").dt.year().alias("year"))
        .agg((pl.col("exposure").fill_null(0).sum() / 1e6).alias("exposure_ms"))
        .sort("mission", "year")
    )


def exposure_per_year(
    observations: Any, *, title: str | None = None, figsize: tuple[float, float] = (11.0, 4.5)
) -> Figure:
    """Stacked bars of exposure (Ms) per mission per year of observation."""
    per_year = exposure_by_year(observations)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    if per_year.height:
        year_of = per_year["year"].to_numpy()
        years = np.arange(year_of.min(), year_of.max() + 1)
        bottom = np.zeros(len(years))
        missions = [m for m in mission_names() if m in set(per_year["mission"].to_list())]
        for name in missions:
            part = per_year.filter(pl.col("mission") == name)
            values = np.zeros(len(years))
            values[part["year"].to_numpy() - years[0]] = part["exposure_ms"].to_numpy()
            ax.bar(
                years,
                values,
                bottom=bottom,
                color=mission_colour(name),
                label=_pretty(name),
                width=0.85,
            )
            bottom += values
        ax.legend(fontsize=8, ncol=2, frameon=False, loc="upper left")
    ax.set_xlabel("year of observation start")
    ax.set_ylabel("exposure (Ms)")
    ax.grid(True, axis="y", color="0.85", lw=0.5)
    ax.set_axisbelow(True)
    ax.set_title(title or "Exposure per mission per year")
    return fig


def save(fig: Figure, path: str | Path, *, dpi: int = 110) -> Path:
    """Write ``fig`` as an image (the suffix picks the format) and return the path.

    Written beside ``path`` and renamed into place, so a failure leaves the old image.
    """
    from daxa.atomic import atomic_path

    path = Path(path)
    kind = path.suffix.lstrip(".").lower() or "png"
    with atomic_path(path) as temp:
        fig.savefig(temp, dpi=dpi, format=kind)
    return path


__all__ = [
    "FOV_CIRCLE_LIMIT",
    "days_since_event",
    "exposure_by_year",
    "exposure_per_year",
    "field_map",
    "merge_intervals",
    "mission_sky_maps",
    "fov_radius",
    "mission_colour",
    "observations_frame",
    "save",
    "sky_map",
    "timeline",
]
