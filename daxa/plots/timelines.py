"""When and how much: observation windows against time, times since an event, exposure per year.

One job: the plots (and the small tables behind them) whose axis is time: a lane per mission
of observation windows (:func:`timeline`), start times relative to each position's event
(:func:`days_since_event`), and exposure per mission per calendar year
(:func:`exposure_by_year`, :func:`exposure_per_year`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from matplotlib.figure import Figure

from daxa.errors import InputError
from daxa.missions import mission_names
from daxa.plots.common import _pretty, mission_colour, missions_present, observations_frame


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
    missions = missions_present(frame["mission"])
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
    """Total exposure (``exposure_s``, seconds) per mission per calendar year of the start.

    >>> import polars as pl
    >>> from datetime import datetime, UTC
    >>> t = pl.DataFrame({"mission": ["swift", "swift", "chandra"], "ra": [1.0, 2, 3],
    ...     "dec": [0.0, 0, 0], "start": [datetime(2010, 3, 1, tzinfo=UTC),
    ...     datetime(2010, 9, 1, tzinfo=UTC), datetime(2011, 1, 1, tzinfo=UTC)],
    ...     "exposure": [1e6, 5e5, 2e6]})
    >>> exposure_by_year(t).rows()
    [('chandra', 2011, 2000000.0), ('swift', 2010, 1500000.0)]
    """
    frame = observations_frame(observations)
    return (
        frame.filter(pl.col("start").is_not_null())
        .group_by("mission", pl.col("start").dt.year().alias("year"))
        .agg(pl.col("exposure").sum().alias("exposure_s"))  # seconds; unknown ones left out
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
        missions = missions_present(per_year["mission"], unknown=False)
        for name in missions:
            part = per_year.filter(pl.col("mission") == name)
            values = np.zeros(len(years))
            values[part["year"].to_numpy() - years[0]] = part["exposure_s"].to_numpy() / 1e6  # Ms
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


__all__ = [
    "DENSITY_LANE_ROWS",
    "days_since_event",
    "exposure_by_year",
    "exposure_per_year",
    "merge_intervals",
    "timeline",
]
