"""Coverage summary lines and their running totals.

A mission's summary lines (:func:`cover_classes`: the mission total and, ``by_instrument``,
one per instrument with its own exposure) and the per-position :class:`Totals` (count,
exposure in whole milliseconds, first start, last end) that every way of summing fills.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.mission_tables import MissionTable
from daxa.missions import get_mission

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Slack on instrument radii, as the association table's ``instruments`` list uses.
EDGE_DEG = 1e-9
#: Most pairs (or cell pairs) held at once.
MAX_PAIRS = 4_000_000
BIG = np.iinfo(np.int64).max
SMALL = np.iinfo(np.int64).min


@dataclass(frozen=True)
class CoverClass:
    """One summary line of a mission: the total (instrument None) or one instrument.

    ``radius``: per kept row, or None when the radius comes with each position; ``rows``:
    the kept rows this line can count (None: all).
    """

    instrument: str | None
    radius: FloatArray | None
    applies: BoolArray | None
    exposure: FloatArray
    #: False when the table knows no exposure for this line (eROSITA): the summary says null
    known: bool = True


def cover_classes(table: MissionTable, by_instrument: bool) -> list[CoverClass]:
    """The summary lines of a mission table (see the module docstring)."""
    n = table.ra.size
    if table.radius is None:
        base: FloatArray | None = None
    elif isinstance(table.radius, float):
        base = np.full(n, table.radius)
    else:
        base = table.radius
    extra = table.extra
    total_exp = _ms(extra["exposure"]) if "exposure" in extra.columns else np.zeros(n)
    total_known = "exposure" in extra.columns and _any_known(extra["exposure"])
    out = [CoverClass(None, base, None, total_exp, total_known)]
    # whole milliseconds: sums stay exact whatever the order (see Totals.add)
    spec = get_mission(table.name)
    if not by_instrument or len(table.instruments) < 2:
        return out
    radii = table.plan.instrument_radii
    for k, name in enumerate(table.instruments):
        col = spec.instrument(name).exposure_column
        if not (spec.one_instrument_per_obs or (col is not None and col in extra.columns)):
            continue
        if col is not None and col in extra.columns:
            exp, known = _ms(extra[col]), _any_known(extra[col])
        else:
            exp, known = total_exp, total_known
        if radii is not None:
            r: FloatArray | None = np.full(n, float(radii[k]) + EDGE_DEG)
        else:
            r = base
        out.append(CoverClass(name, r, table.plan.observed[:, k].copy(), exp, known))
    return out


def _any_known(series: pl.Series) -> bool:
    return bool(series.cast(pl.Float64).fill_nan(None).drop_nulls().len())


def _ms(series: pl.Series) -> FloatArray:
    """Seconds as whole milliseconds (float64 holding integers; NaN and null are 0)."""
    values = series.cast(pl.Float64).fill_null(0.0).fill_nan(0.0).to_numpy()
    return np.round(values * 1000.0)


# --------------------------------------------------------------------------- aggregation


@dataclass
class Totals:
    """Per-key running count, exposure sum, earliest start and latest end."""

    count: IntArray
    exposure: FloatArray
    first: IntArray
    last: IntArray

    @classmethod
    def zeros(cls, n: int) -> Totals:
        return cls(
            np.zeros(n, dtype=np.int64),
            np.zeros(n),
            np.full(n, BIG, dtype=np.int64),
            np.full(n, SMALL, dtype=np.int64),
        )

    def add(self, keys: IntArray, exposure: FloatArray, start: IntArray, end: IntArray) -> None:
        """Add one observation per entry of ``keys``.

        Exposures come in whole milliseconds, so every partial sum is an integer below 2**53
        and the totals do not depend on the order of addition (chunked = in memory = Dask).
        """
        if keys.size == 0:
            return
        n = self.count.size
        self.count += np.bincount(keys, minlength=n)
        self.exposure += np.bincount(keys, weights=exposure, minlength=n)
        np.minimum.at(self.first, keys, start)
        np.maximum.at(self.last, keys, end)

    def merge_from(self, other: Totals, index: IntArray) -> None:
        """Add ``other`` (per cell) into these (per position): position i gets cell index[i]."""
        self.count += other.count[index]
        self.exposure += other.exposure[index]
        np.minimum(self.first, other.first[index], out=self.first)
        np.maximum(self.last, other.last[index], out=self.last)


def starts_ends(table: MissionTable) -> tuple[IntArray, IntArray]:
    null = np.iinfo(np.int64).min
    start = np.where(table.start_us == null, BIG, table.start_us)
    end = np.where(table.end_us == null, SMALL, table.end_us)
    return start, end
