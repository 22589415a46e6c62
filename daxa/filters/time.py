"""Time-window filter, and turning every time type users hold into UTC microseconds.

Tables store ``start``/``end`` as ``Datetime("us", "UTC")``, i.e. int64 microseconds since the
Unix epoch, so every time input is reduced to that by :mod:`daxa.inputs.times`: timezone-aware
datetimes are converted, naive ones (and ISO strings without an offset) are taken as UTC,
astropy ``Time`` is read in its UTC scale, numpy ``datetime64`` is taken as UTC. Bare numbers
need ``time_format`` (``'mjd'``...): MJD, seconds and microseconds are too easy to confuse.

>>> to_us("1970-01-01T00:00:01Z")
1000000
>>> TimeWindow("2019-11-03", "2019-11-04").describe()
'observed 2019-11-03T00:00:00Z – 2019-11-04T00:00:00Z (any overlap)'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.filters._base import Filter, as_mask, require_columns
from daxa.inputs.times import to_us, to_us_array, us_to_iso
from daxa.missions import Mission

__all__ = ["TimeWindow", "to_us", "to_us_array", "us_to_iso", "window_mask"]


def window_mask(
    start_us: pl.Expr, end_us: pl.Expr, win_start: int, win_end: int, *, over_run: bool
) -> pl.Expr:
    """Rows whose [start, end] overlaps (``over_run``) or lies inside [win_start, win_end].

    Bounds are inclusive; rows without a start or end never pass.
    """
    if over_run:
        expr = (start_us <= win_end) & (end_us >= win_start)
    else:
        expr = (start_us >= win_start) & (end_us <= win_end)
    return expr.fill_null(False)


@dataclass(frozen=True, eq=False)
class TimeWindow(Filter):
    """Keep observations taken within [start, end] (inclusive).

    ``over_run=True`` keeps any overlap (starts inside, ends inside, or spans the window);
    ``False`` keeps only observations wholly inside it. ``start``/``end`` may be datetimes
    (naive = UTC), pandas Timestamps, ISO strings, astropy Time or numpy datetime64, or numbers
    with ``time_format`` (``'mjd'``, ``'jd'``, ...); they are saved as given.
    """

    start: Any
    end: Any
    over_run: bool = True
    time_format: str | None = None

    name = "time"

    def __post_init__(self) -> None:
        fmt = self.time_format
        start_us = to_us(self.start, what="start", time_format=fmt)
        end_us = to_us(self.end, what="end", time_format=fmt)
        if start_us > end_us:
            raise InputError(
                f"start {us_to_iso(start_us)} is after end {us_to_iso(end_us)}; swap them"
            )
        if not isinstance(self.over_run, (bool, np.bool_)):
            raise InputError(f"over_run must be True or False, got {self.over_run!r}")
        object.__setattr__(self, "_start_us", start_us)
        object.__setattr__(self, "_end_us", end_us)

    @property
    def start_us(self) -> int:
        return int(self.__dict__["_start_us"])

    @property
    def end_us(self) -> int:
        return int(self.__dict__["_end_us"])

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        require_columns(table, ("start", "end"), what="the time filter")
        expr = window_mask(
            pl.col("start").dt.epoch("us"),
            pl.col("end").dt.epoch("us"),
            self.start_us,
            self.end_us,
            over_run=bool(self.over_run),
        )
        return as_mask(table.select(expr.alias("mask")).to_series(), table)

    def describe(self) -> str:
        how = "any overlap" if self.over_run else "wholly inside"
        return f"observed {us_to_iso(self.start_us)} – {us_to_iso(self.end_us)} ({how})"
