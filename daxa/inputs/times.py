"""Times as users hold them, reduced to int64 microseconds since 1970-01-01 UTC.

Accepted: ISO strings (naive = UTC), ``datetime``/``date`` and pandas ``Timestamp`` (naive =
UTC), numpy ``datetime64`` (UTC), astropy ``Time`` (read in its UTC scale), polars/pandas
Series of any of these, and numbers only with ``time_format`` (``'mjd'``, ``'jd'``, ``'unix'``,
... any astropy ``Time`` format, UTC scale): a bare number could be MJD, seconds or
microseconds, so it gets an error with a hint instead of a guess.

>>> to_us("1970-01-01T00:00:01Z")
1000000
>>> us_to_iso(to_us(51544.5, time_format="mjd"))
'2000-01-01T12:00:00Z'
>>> utc_series(pl.Series(["2023-07-26 08:16:47", None])).to_list()[0]
datetime.datetime(2023, 7, 26, 8, 16, 47, tzinfo=zoneinfo.ZoneInfo(key='UTC'))
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.inputs._text import TIME_FORMS, short
from daxa.utc import mjd_to_utc

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
UTC_US = pl.Datetime("us", "UTC")


def _number_hint(value: Any, what: str) -> InputError:
    return InputError(
        f"{what}={short(value)} is a bare number (MJD? seconds? years?): pass "
        "time_format='mjd' (or 'jd', 'unix', 'decimalyear') to say which, or give an ISO "
        "string, a datetime or pandas Timestamp, a numpy datetime64 or an astropy Time"
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _from_format(values: Any, time_format: str, what: str) -> npt.NDArray[np.int64]:
    from astropy.time import Time

    try:
        return np.atleast_1d(_astropy_us(Time(values, format=time_format, scale="utc")))
    except Exception as exc:
        raise InputError(
            f"{what}={short(values)} cannot be read with time_format={time_format!r} ({exc}); "
            f"give {TIME_FORMS}"
        ) from None


def to_us(value: Any, *, what: str = "time", time_format: str | None = None) -> int:
    """One time as int64 microseconds since 1970-01-01 UTC."""
    if isinstance(value, datetime):
        if value != value:  # pandas NaT
            raise InputError(f"{what} is NaT; give a real time")
        if hasattr(value, "value") and hasattr(value, "tz_localize"):  # pandas Timestamp
            stamp: Any = value
            ns = int(stamp.tz_convert("UTC").value if stamp.tzinfo else stamp.value)
            return (ns + 500) // 1000
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
    if _is_number(value):
        if time_format is None:
            raise _number_hint(value, what)
        return int(_from_format(float(value), time_format, what)[0])
    raise InputError(f"{what}={short(value)} is not a time; give {TIME_FORMS}")


def to_us_array(
    values: Any, *, what: str = "times", time_format: str | None = None
) -> npt.NDArray[np.int64]:
    """Many times as an int64 array of microseconds since 1970-01-01 UTC."""
    if type(values).__module__.startswith("astropy") and type(values).__name__ == "Time":
        return np.atleast_1d(_astropy_us(values)).astype(np.int64)
    if isinstance(values, pl.Series):
        return _polars_us(values, what=what, time_format=time_format)
    module = type(values).__module__
    if module.startswith("pandas") and type(values).__name__ in (
        "Series",
        "DatetimeIndex",
        "Index",
    ):
        return _polars_us(pl.Series(values), what=what, time_format=time_format)
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        if np.isnat(values).any():
            raise InputError(f"{what} holds NaT at index {int(np.argmax(np.isnat(values)))}")
        return values.astype("datetime64[us]").astype(np.int64).ravel()
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        if time_format is None:
            raise _number_hint(values, what)
        return _from_format(values.ravel(), time_format, what)
    if isinstance(values, (str, datetime, date, np.datetime64)) or _is_number(values):
        return np.array([to_us(values, what=what, time_format=time_format)], dtype=np.int64)
    if not isinstance(values, Iterable):
        raise InputError(f"{what}={short(values)} is not times; give {TIME_FORMS}")
    items = list(values)
    if items and all(isinstance(v, str) for v in items):
        fast = _numpy_iso(items)
        if fast is not None:
            return fast
    if items and time_format is not None and all(_is_number(v) for v in items):
        return _from_format(np.asarray(items, dtype=np.float64), time_format, what)
    return np.array(
        [to_us(v, what=f"{what}[{i}]", time_format=time_format) for i, v in enumerate(items)],
        dtype=np.int64,
    )


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
        raise InputError(f"{what}={short(text)} is not a time; give {TIME_FORMS}") from None


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


def _polars_us(
    series: pl.Series, *, what: str, time_format: str | None = None
) -> npt.NDArray[np.int64]:
    if series.null_count():
        raise InputError(f"{what} holds nulls (first at {int(series.is_null().arg_max() or 0)})")
    return utc_series(series, what=what, time_format=time_format).dt.epoch("us").to_numpy()


def utc_series(
    series: pl.Series, *, what: str = "time column", time_format: str | None = None
) -> pl.Series:
    """A column of times as ``Datetime(us, UTC)``, nulls kept: datetimes (naive = UTC),
    dates, ISO strings, astropy-readable strings, or numbers with ``time_format`` (a column
    whose name says ``mjd`` is read as MJD)."""
    dtype = series.dtype
    if isinstance(dtype, pl.Datetime):
        out = series.dt.cast_time_unit("us")
        if dtype.time_zone is None:
            return out.dt.replace_time_zone("UTC")
        return out.dt.convert_time_zone("UTC")
    if dtype == pl.Date:
        return series.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if dtype == pl.Null:
        return series.cast(UTC_US)
    if dtype.is_numeric():
        fmt = time_format or ("mjd" if "mjd" in series.name.lower() else None)
        if fmt is None:
            first = series.drop_nulls().head(1).to_list()
            raise _number_hint(first[0] if first else series.name, f"{what} {series.name!r}")
        values = series.cast(pl.Float64)
        if fmt == "mjd":  # the archives' own convention (UTC, leap-second days), vectorised
            bad = values.is_not_null() & values.is_not_nan() & (values <= 0)
            if bad.any():
                raise InputError(
                    f"{what} {series.name!r} holds MJD {values.filter(bad)[0]!r}, which is not "
                    f"after 1858-11-17; give MJDs (UTC) of real dates, or another time_format"
                )
            converted = pl.select(mjd_to_utc(pl.lit(values), resolution="us")).to_series()
            return converted.alias(series.name)
        good = values.is_not_null() & values.is_not_nan()
        parsed = np.zeros(series.len(), dtype=np.int64)
        parsed[good.to_numpy()] = _from_format(values.filter(good).to_numpy(), fmt, what)
        us = pl.Series(parsed).set(~good, None)  # type: ignore[arg-type]
        return us.cast(pl.Datetime("us")).dt.replace_time_zone("UTC").alias(series.name)
    if dtype in (pl.String, pl.Utf8):
        return _strings(series, what)
    raise InputError(f"{what} {series.name!r} holds {dtype}, not times; give {TIME_FORMS}")


def _strings(series: pl.Series, what: str) -> pl.Series:
    text = series.str.strip_chars()
    missing = text.is_null() | text.is_in(["", "nan", "NaN", "NaT", "null", "--"])
    text = text.set(missing, None)  # type: ignore[arg-type]
    try:
        parsed = text.str.to_datetime(time_unit="us", strict=False, time_zone="UTC")
    except Exception:
        parsed = pl.Series(series.name, [None] * series.len(), dtype=UTC_US)
    bad = parsed.is_null() & text.is_not_null()
    if bad.any():  # what polars cannot read, astropy may (e.g. '2019-11-03T02:42:50.2+0000')
        idx = np.flatnonzero(bad.to_numpy())
        try:
            slow = to_us_array(text.gather(idx).to_list(), what=f"{what} {series.name!r}")
        except InputError:  # name the first row that cannot be read
            for i in idx.tolist():
                to_us(text[i], what=f"{what} {series.name!r}[{i}]")
            raise
        us = parsed.dt.epoch("us").scatter(idx, slow)
        parsed = us.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return parsed.alias(series.name)
