"""Time-window filter, and turning every time type users hold into UTC microseconds.

Tables store ``start``/``end`` as ``Datetime("us", "UTC")``, i.e. int64 microseconds since the
Unix epoch, so every time input is reduced to that: timezone-aware datetimes are converted,
naive ones (and ISO strings without an offset) are taken as UTC, astropy ``Time`` is read in its
UTC scale, numpy ``datetime64`` is taken as UTC. Bare numbers are refused: MJD, seconds and
microseconds are too easy to confuse.

>>> to_us("1970-01-01T00:00:01Z")
1000000
>>> TimeWindow("2019-11-03", "2019-11-04").describe()
'observed 2019-11-03T00:00:00Z – 2019-11-04T00:00:00Z (any overlap)'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.filters._base import Filter, as_mask, require_columns
from daxa.missions import Mission

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def to_us(value: Any, *, what: str = "time") -> int:
    """One time as int64 microseconds since 1970-01-01 UTC."""
    if isinstance(value, datetime):
        if value != value:  # pandas NaT
            raise InputError(f"{what} is NaT; give a real time")
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return (aware - _EPOCH) // _US
    if isinstance(value, date):
        return to_us(datetime(value.year, value.month, value.day), what=what)
    if isinstance(value, str):
        return _parse_iso(value, what=what)
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise InputError(f"{what} is NaT; give a real time")
        return int(value.astype("datetime64[us]").astype(np.int64))
    if type(value).__module__.startswith("astropy") and type(value).__name__ == "Time":
        if not value.isscalar:
            raise InputError(f"{what} must be one time, got {len(value)}")
        return int(_astropy_us(value))
    raise InputError(
        f"{what}={value!r} is not a time; give a datetime (naive means UTC), an ISO string, an "
        "astropy Time or a numpy datetime64 (bare numbers are ambiguous)"
    )


def to_us_array(values: Any, *, what: str = "times") -> npt.NDArray[np.int64]:
    """Many times as an int64 array of microseconds since 1970-01-01 UTC."""
    if type(values).__module__.startswith("astropy") and type(values).__name__ == "Time":
        return np.atleast_1d(_astropy_us(values)).astype(np.int64)
    if isinstance(values, pl.Series):
        return _polars_us(values, what=what)
    module = type(values).__module__
    if module.startswith("pandas"):
        return _polars_us(pl.Series(values), what=what)
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        if np.isnat(values).any():
            raise InputError(f"{what} holds NaT at index {int(np.argmax(np.isnat(values)))}")
        return values.astype("datetime64[us]").astype(np.int64)
    if isinstance(values, (str, datetime, date, np.datetime64)):
        return np.array([to_us(values, what=what)], dtype=np.int64)
    if not isinstance(values, Iterable):
        raise InputError(f"{what} must be times (a list, array, Series or astropy Time)")
    items = list(values)
    if items and all(isinstance(v, str) for v in items):
        fast = _numpy_iso(items)
        if fast is not None:
            return fast
    return np.array([to_us(v, what=f"{what}[{i}]") for i, v in enumerate(items)], dtype=np.int64)


def us_to_iso(us: int) -> str:
    """Microseconds since the epoch as a compact ISO string ending in ``Z``."""
    text = (_EPOCH + timedelta(microseconds=int(us))).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text.rstrip("0").removesuffix(".") + "Z"


def _parse_iso(text: str, *, what: str) -> int:
    try:
        return to_us(datetime.fromisoformat(text.strip()), what=what)
    except ValueError:
        pass
    try:
        from astropy.time import Time

        return int(_astropy_us(Time(text.strip(), scale="utc")))
    except ValueError:
        raise InputError(
            f"{what}={text!r} is not an ISO time (e.g. '2019-11-03T02:42:50.227', naive = UTC)"
        ) from None


def _numpy_iso(items: list[str]) -> npt.NDArray[np.int64] | None:
    """Vectorised parse of offset-free ISO strings; None when any string needs the slow path."""
    if any(("+" in s[10:]) or s.rstrip().endswith("Z") or s.count("-") > 2 for s in items):
        return None
    try:
        parsed = np.array([s.strip() for s in items], dtype="datetime64[us]")
    except ValueError:
        return None
    if np.isnat(parsed).any():
        return None
    return parsed.astype(np.int64)


def _astropy_us(value: Any) -> Any:
    ns = np.asarray(value.utc.datetime64).astype("datetime64[ns]").astype(np.int64)
    return (ns + 500) // 1000


def _polars_us(series: pl.Series, *, what: str) -> npt.NDArray[np.int64]:
    if series.dtype == pl.String():
        return to_us_array(series.to_list(), what=what)
    if not isinstance(series.dtype, pl.Datetime):
        if series.dtype == pl.Date():
            series = series.cast(pl.Datetime("us"))
        else:
            raise InputError(f"{what} must hold datetimes, got a {series.dtype} Series")
    dtype = series.dtype
    assert isinstance(dtype, pl.Datetime)
    if dtype.time_zone is not None:
        series = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    if series.null_count():
        raise InputError(f"{what} holds nulls (first at {int(series.is_null().arg_max() or 0)})")
    return series.dt.cast_time_unit("us").cast(pl.Int64).to_numpy()


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
    (naive = UTC), ISO strings, astropy Time or numpy datetime64; they are saved as given.
    """

    start: Any
    end: Any
    over_run: bool = True

    name = "time"

    def __post_init__(self) -> None:
        start_us, end_us = to_us(self.start, what="start"), to_us(self.end, what="end")
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
