"""What every daxa plot shares: the accepted inputs, the mission colours, the legend style, saving.

One job: turn any observations input (a DataFrame in daxa's schema, a ``{mission: table}``
mapping, a Selection) or positions input into plain columns, give each registry mission its
one colour and pretty name, and write a figure to disk atomically. The sky, field and time
plots of :mod:`daxa.plots` all build on these.
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


def missions_present(column: pl.Series, *, unknown: bool = True) -> list[str]:
    """The missions named in ``column``, in registry order (then any others, sorted, when
    ``unknown``): one pass over the distinct values, not one set of the whole column per
    mission.

    >>> missions_present(pl.Series(["swift", "xmm_pointed", "swift", "mine"]))
    ['xmm_pointed', 'swift', 'mine']
    """
    present = set(column.unique().to_list())
    known = [m for m in mission_names() if m in present]
    return known + (sorted(present - set(known)) if unknown else [])


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


__all__ = ["mission_colour", "observations_frame", "positions_arrays", "save"]
