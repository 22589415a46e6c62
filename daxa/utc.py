"""UTC times as daxa stores them (``Datetime(us, UTC)``) and as the archives write them (MJD).

One conversion each way, used by the normalisers, the input layer and the writers: an MJD on
the UTC scale counts days of 86,400 s except on the days that end with a leap second, which
have 86,401 (astropy's ``Time(mjd, format="mjd", scale="utc")`` reads them so). Treating every
day as 86,400 s puts a time up to 1 s off on those 27 days.

>>> import polars as pl
>>> pl.select(mjd_to_utc(pl.lit(57753.75))).item()  # 2016-12-31 had a leap second
datetime.datetime(2016, 12, 31, 18, 0, 0, 750000, tzinfo=zoneinfo.ZoneInfo(key='UTC'))
>>> day, frac = utc_to_mjd(np.array([1483228800_000000 - 21600_000000]))  # 2016-12-31T18:00
>>> float(day[0]), round(float(frac[0]) * 86401, 6)
(57753.0, 64800.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

#: MJD of the Unix epoch (1970-01-01T00:00:00 UTC).
MJD_UNIX_EPOCH = 40587.0

_MS_PER_DAY = 86_400_000.0
_US_PER_DAY = 86_400_000_000


def _leap_days() -> list[float]:
    """MJDs of the UTC days that end with a leap second (86,401 s long), from ERFA's table.

    Only the whole-second leaps from 1972 on: before that UTC ran at a different rate, and no
    archive here holds such times.
    """
    import erfa

    days = []
    for year, month, _ in erfa.leap_seconds.get():
        if year > 1972 or (year == 1972 and month > 1):
            _, mjd = erfa.cal2jd(year, month, 1)
            days.append(float(mjd) - 1.0)
    return days


#: UTC days 86,401 s long (the day before each leap second, 1972 on).
LEAP_SECOND_DAYS: tuple[float, ...] = tuple(_leap_days())


def mjd_to_utc(
    expr: pl.Expr, sentinels: Sequence[float] = (), *, resolution: str = "ms"
) -> pl.Expr:
    """MJD (UTC) floats → ``Datetime(us, UTC)``, rounded to ``resolution`` (``"ms"`` or ``"us"``).

    The fraction of a leap-second day is read over 86,401 s. A time inside the leap second itself
    (23:59:60.x, which a datetime cannot hold) comes out as 00:00:00.x of the next day, as
    astropy's ``to_datetime(leap_second_strict="silent")`` gives it.

    ``sentinels`` are placeholder values that mean "no date" (HEASARC uses 0, 416422 or 88068
    for unknown public dates); they, NaN, null and any MJD at or below 0 (1858, long before
    X-ray astronomy: NuSTAR writes ``time = 0`` for approved, not yet observed targets) give
    null. Archives give MJDs with at most 8 decimals (0.9 ms), so rounding to 1 ms removes
    float noise without losing data.
    """
    if resolution not in ("ms", "us"):
        raise ValueError(f"resolution must be 'ms' or 'us', not {resolution!r}")
    scale = 1.0 if resolution == "ms" else 1000.0
    x = expr.cast(pl.Float64, strict=False).fill_nan(None)
    x = pl.when(x > 0).then(x)
    if sentinels:
        x = pl.when(x.is_in(list(sentinels))).then(None).otherwise(x)
    day = x.floor()
    day_len = pl.when(day.is_in(LEAP_SECOND_DAYS)).then(_MS_PER_DAY + 1000.0).otherwise(_MS_PER_DAY)
    ticks = (day - MJD_UNIX_EPOCH) * _MS_PER_DAY * scale + ((x - day) * day_len * scale).round(0)
    us = ticks.cast(pl.Int64) * (1000 if resolution == "ms" else 1)
    return us.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def utc_to_mjd(
    microseconds: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(whole MJD day, fraction of that day) of UTC microseconds since 1970, exact to the
    microsecond; the fraction of a leap-second day is over 86,401 s (the inverse of
    :func:`mjd_to_utc`, and what ``Time(day, frac, format="mjd", scale="utc")`` expects)."""
    days, rest = np.divmod(np.asarray(microseconds, dtype=np.int64), _US_PER_DAY)
    mjd = (days + MJD_UNIX_EPOCH).astype(np.float64)
    length = np.where(np.isin(mjd, LEAP_SECOND_DAYS), _US_PER_DAY + 1_000_000, _US_PER_DAY)
    return mjd, rest / length
