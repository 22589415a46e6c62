"""Positions at time: each position has its own time window (e.g. a transient's lifetime).

An observation passes when it is within the radius of a position AND its [start, end] overlaps
(``over_run=True``) or lies inside (``False``) that same position's window; bounds inclusive.
The search is one vectorised sky-and-time pair search (DAXA loops over positions in Python);
with narrow windows it joins on time first so wide-field instruments (Swift BAT 50°) do not
make the candidate pairs explode.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.filters import radius as _radius
from daxa.filters._association import association_frame, with_row_id
from daxa.filters._base import Filter, as_mask, context, require_columns
from daxa.filters.positions import Positions
from daxa.filters.time import to_us_array, us_to_iso
from daxa.missions import Mission


def _windows(
    start: Any, end: Any, n: int, time_format: str | None = None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    starts = to_us_array(start, what="start", time_format=time_format)
    ends = to_us_array(end, what="end", time_format=time_format)
    if starts.size == 1 and n > 1:
        starts = np.full(n, starts[0], dtype=np.int64)
    if ends.size == 1 and n > 1:
        ends = np.full(n, ends[0], dtype=np.int64)
    if starts.size != n or ends.size != n:
        raise InputError(
            f"{starts.size} starts and {ends.size} ends given for {n} positions; give one window "
            "per position (or one window for all)"
        )
    bad = starts > ends
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"window {i}: start {us_to_iso(int(starts[i]))} is after end "
            f"{us_to_iso(int(ends[i]))}; every start must be before its end"
        )
    return starts, ends


@dataclass(frozen=True, eq=False)
class PositionsAtTime(Filter):
    """Keep observations within ``radius`` of a position and overlapping its own window.

    ``positions`` and ``radius`` as for :class:`~daxa.filters.positions.Positions`; ``start``
    and ``end`` one time per position (or one for all): lists or arrays of datetimes, ISO
    strings, pandas Timestamps, numpy datetime64, a polars/pandas Series, astropy Time, or
    numbers with ``time_format`` (``'mjd'``...). ``positions`` takes every form of
    :func:`daxa.inputs.read_positions`.
    """

    positions: Any
    start: Any
    end: Any
    radius: Any = None
    over_run: bool = True
    time_format: str | None = None

    name = "positions_at_time"

    def __post_init__(self) -> None:
        inner = Positions(self.positions, self.radius)
        object.__setattr__(self, "positions", inner.positions)
        starts, ends = _windows(self.start, self.end, inner.n_positions, self.time_format)
        if not isinstance(self.over_run, (bool, np.bool_)):
            raise InputError(f"over_run must be True or False, got {self.over_run!r}")
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_starts", starts)
        object.__setattr__(self, "_ends", ends)

    @property
    def n_positions(self) -> int:
        return int(self.__dict__["_inner"].n_positions)

    def _pairs(
        self, table: pl.DataFrame, mission: Mission, instruments: tuple[str, ...]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], Any]:
        """(position index, table row, separation, radius plan) of every matching pair."""
        from daxa.sky.intervals import sky_time_pairs

        require_columns(
            table, ("ra", "dec", "_healpix_29", "start", "end"), what="the positions-at-time filter"
        )
        inner: Positions = self.__dict__["_inner"]
        ra, dec = inner.parsed.in_frame(mission.frame)
        plan = _radius.plan(inner.__dict__["_radius"], table, mission, instruments)
        timed = (table["start"].is_not_null() & table["end"].is_not_null()).to_numpy()
        rows = plan.rows if plan.rows is not None else np.arange(table.height, dtype=np.int64)
        radius = plan.radius
        usable = timed[rows]
        if not usable.all():
            if plan.radius_of == "right":
                radius = np.asarray(radius)[usable]
            rows = rows[usable]
        # observations on the left (``inside`` means the left interval lies in the right one),
        # positions with their windows on the right; the plan's sides swap accordingly
        pairs = sky_time_pairs(
            table["ra"].to_numpy()[rows],
            table["dec"].to_numpy()[rows],
            table["start"].dt.epoch("us").to_numpy()[rows],
            table["end"].dt.epoch("us").to_numpy()[rows],
            ra,
            dec,
            self.__dict__["_starts"],
            self.__dict__["_ends"],
            radius,
            radius_of="left" if plan.radius_of == "right" else "right",
            mode="overlap" if self.over_run else "inside",
            left_hpx29=table["_healpix_29"].to_numpy()[rows],
        )
        return (
            np.asarray(pairs.right, dtype=np.int64),
            rows[np.asarray(pairs.left, dtype=np.int64)],
            np.asarray(pairs.separation, dtype=np.float64),
            plan,
        )

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        spec, chosen = context(table, mission, instruments)
        _, rows, _, _ = self._pairs(table, spec, chosen)
        keep = np.zeros(table.height, dtype=bool)
        keep[rows] = True
        return as_mask(keep, table)

    def associate(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.DataFrame:
        """The association table (as for Positions) of pairs that also match in time."""
        spec, chosen = context(table, mission, instruments)
        pos_index, rows, separation, plan = self._pairs(table, spec, chosen)
        parsed = self.__dict__["_inner"].parsed
        ra, dec = parsed.in_frame(spec.frame)
        found = association_frame(spec, table, pos_index, rows, separation, plan, chosen, ra, dec)
        return with_row_id(found, parsed)

    def describe(self) -> str:
        how = "overlapping" if self.over_run else "inside"
        inner = self.__dict__["_inner"].describe()
        return f"{inner}, {how} each position's time window"
