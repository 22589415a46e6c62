"""Result frames as astropy tables: ``Time`` (UTC), ``SkyCoord`` and ``Quantity`` columns.

:func:`to_astropy` is what Python users get; :func:`file_table` is the flat form the FITS and
VOTable writers start from (times as MJD doubles, NaN where unknown). Units, UCDs and
descriptions come from :mod:`daxa.outputs.units`.

>>> import polars as pl
>>> from datetime import datetime, timezone
>>> frame = pl.DataFrame({"obs_id": ["0001"], "ra": [83.633], "dec": [22.0145],
...     "start": [datetime(2020, 1, 1, 12, tzinfo=timezone.utc)], "exposure": [None]},
...     schema_overrides={"exposure": pl.Float64})
>>> t = to_astropy(frame)
>>> str(t["start"].isot[0]), t["start"].scale, str(t["exposure"].unit), t["coord"].frame.name
('2020-01-01T12:00:00.000', 'utc', 's', 'icrs')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.outputs.units import column_info
from daxa.utc import utc_to_mjd

#: Pairs of (RA, Dec) columns that also become one SkyCoord column, and its name.
COORDINATE_PAIRS = (("ra", "dec", "coord"), ("pos_ra", "pos_dec", "pos_coord"))


def as_frame(obj: Any) -> pl.DataFrame:
    """A result as a polars frame: polars/pandas/Arrow/astropy tables, a Selection (its
    selected rows) or the path of a Parquet file a streaming match wrote."""
    if isinstance(obj, str | os.PathLike):
        path = Path(obj)
        if path.suffix.lower() not in (".parquet", ".pq"):
            raise InputError(f"{str(path)!r}: only Parquet result files can be converted here")
        return pl.read_parquet(path)
    table = getattr(obj, "table", None)
    if isinstance(table, pl.DataFrame):
        return table
    if type(obj).__module__.startswith("astropy") and hasattr(obj, "colnames"):
        return _from_astropy(obj)
    from daxa.frames import to_polars

    return to_polars(obj, what="result")


def _from_astropy(table: Any) -> pl.DataFrame:
    """An astropy table (e.g. from :func:`to_astropy`) back to polars: ``Time`` columns become
    UTC datetimes, ``Quantity`` their values (NaN: null), ``SkyCoord`` columns are left out
    (their RA/Dec columns carry the positions)."""
    from astropy.coordinates import SkyCoord
    from astropy.time import Time

    from daxa.frames import astropy_table_to_polars

    columns: dict[str, pl.Series] = {}
    rest = [n for n in table.colnames if not isinstance(table[n], SkyCoord | Time)]
    frame = astropy_table_to_polars(table[rest]) if rest else pl.DataFrame()
    for name in table.colnames:
        col = table[name]
        if isinstance(col, Time):
            values = col.utc.datetime64
            mask = np.asarray(col.mask) if col.masked else np.zeros(len(col), bool)
            series = pl.Series(name, np.where(mask, np.datetime64("NaT"), values))
            columns[name] = series.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        elif name in frame.columns and frame[name].dtype.is_float():
            columns[name] = frame[name].fill_nan(None)  # NaN is how to_astropy says unknown
        elif name in frame.columns:
            columns[name] = frame[name]
    return pl.DataFrame(columns)


def flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns every table format can hold: lists comma-joined, durations float seconds,
    enums and categoricals strings, structs JSON; times stay times."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.List | pl.Array):
            exprs.append(col.cast(pl.List(pl.String)).list.join(","))
        elif isinstance(dtype, pl.Duration):
            exprs.append(col.dt.total_microseconds().cast(pl.Float64) / 1e6)
        elif isinstance(dtype, pl.Enum | pl.Categorical):
            exprs.append(col.cast(pl.String))
        elif isinstance(dtype, pl.Struct):
            exprs.append(col.struct.json_encode())
        elif isinstance(dtype, pl.Object | pl.Null):
            exprs.append(col.cast(pl.String))
        elif isinstance(dtype, pl.Decimal):
            exprs.append(col.cast(pl.Float64))
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone not in (None, "UTC"):
            exprs.append(col.dt.convert_time_zone("UTC"))
        else:
            exprs.append(col)
    return frame.select(exprs)


def utc_microseconds(series: pl.Series) -> npt.NDArray[np.int64]:
    """Microseconds since 1970-01-01 UTC (naive times are taken as UTC); nulls become 0."""
    return series.dt.epoch("us").fill_null(0).to_numpy().astype(np.int64)


def mjd_parts(series: pl.Series) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(whole MJD days, fraction of the day) of a time column, exact to the microsecond (a
    leap-second day's fraction over 86,401 s: :func:`daxa.utc.utc_to_mjd`)."""
    return utc_to_mjd(utc_microseconds(series))


def to_time(series: pl.Series) -> Any:
    """A polars time column as an astropy ``Time`` (UTC, ISO format); nulls are masked."""
    from astropy.time import Time

    day, frac = mjd_parts(series)
    out = Time(day, frac, format="mjd", scale="utc")
    mask = series.is_null().to_numpy()
    if mask.any():
        out[mask] = np.ma.masked
    out.format = "isot"
    return out


def _describe(column: Any, name: str) -> None:
    info = column_info(name)
    if info is None:
        return
    if info.description:
        column.info.description = info.description
    if info.ucd:
        column.info.meta = {**(column.info.meta or {}), "ucd": info.ucd}


def _plain(series: pl.Series) -> Any:
    """A non-time, unit-less column as an astropy (Masked)Column."""
    from astropy.table import Column, MaskedColumn

    mask = series.is_null().to_numpy()
    if series.dtype == pl.String:
        data = series.fill_null("").to_numpy().astype(str)
    elif series.dtype == pl.Boolean:
        data = series.fill_null(False).to_numpy().astype(bool)
    elif series.dtype.is_integer():
        data = series.fill_null(0).to_numpy()
    else:
        data = series.to_numpy()
    if mask.any():
        return MaskedColumn(data, mask=mask)
    return Column(data)


def _numbers(series: pl.Series) -> npt.NDArray[np.float64]:
    return series.cast(pl.Float64).fill_null(np.nan).to_numpy()


def check_frame(frame: str) -> str:
    """``icrs`` or ``fk5`` (J2000): the celestial frames mission tables come in."""
    if frame.lower() not in ("icrs", "fk5"):
        raise InputError(f"frame={frame!r}: daxa's positions are 'icrs' or 'fk5' (J2000)")
    return frame.lower()


def to_astropy(result: Any, *, skycoord: bool = True, frame: str | None = None) -> Any:
    """``result`` as an astropy ``QTable``: times as ``Time`` (UTC), columns with a unit as
    ``Quantity`` (NaN where unknown), and a ``SkyCoord`` column ``coord`` (and ``pos_coord``
    for the input positions) when ``skycoord``.

    ``frame`` is the positions' frame, ``icrs`` or ``fk5`` (J2000); by default a Selection's
    mission frame, else ``icrs`` (the two differ by less than 0.1 arcsec).

    ``result``: a result frame (polars, pandas, Arrow), a :class:`~daxa.Selection` or a
    Parquet file a streaming match wrote. Descriptions and UCDs are in each column's
    ``info.description`` and ``info.meta['ucd']``.
    """
    import astropy.units as u
    from astropy.table import QTable

    spec = getattr(result, "spec", None)
    sky_frame = check_frame(frame or getattr(spec, "frame", None) or "icrs")
    frame_ = flatten(as_frame(result))
    table = QTable()
    for name in frame_.columns:
        series = frame_[name]
        info = column_info(name)
        if isinstance(series.dtype, pl.Datetime):
            column: Any = to_time(series)
        elif info is not None and info.unit and series.dtype.is_numeric():
            column = u.Quantity(_numbers(series), info.unit)
        else:
            column = _plain(series)
        table[name] = column
        _describe(table[name], name)
    if skycoord:
        from astropy.coordinates import SkyCoord

        for ra, dec, label in COORDINATE_PAIRS:
            if ra in frame_.columns and dec in frame_.columns and label not in frame_.columns:
                table[label] = SkyCoord(
                    _numbers(frame_[ra]) * u.deg,
                    _numbers(frame_[dec]) * u.deg,
                    frame=sky_frame,
                    **({"equinox": "J2000"} if sky_frame == "fk5" else {}),
                )
    table.meta.update(radesys_keywords(sky_frame))
    table.meta["TIMESYS"] = "UTC"
    return table


def radesys_keywords(frame: str) -> dict[str, Any]:
    """FITS keywords naming the positions' frame."""
    return {"RADESYS": "ICRS"} if frame == "icrs" else {"RADESYS": "FK5", "EQUINOX": 2000.0}


def file_table(frame: pl.DataFrame) -> tuple[Any, list[str]]:
    """The flat astropy ``Table`` the FITS and VOTable writers start from, and its time columns.

    Times are MJD (UTC) doubles in days with NaN where unknown; numbers with a unit carry it;
    every column known to :mod:`daxa.outputs.units` has its description and UCD.
    """
    from astropy.table import Column, Table

    frame = flatten(frame)
    table = Table()
    times: list[str] = []
    for name in frame.columns:
        series = frame[name]
        info = column_info(name)
        if isinstance(series.dtype, pl.Datetime):
            day, frac = mjd_parts(series)
            mjd = np.where(series.is_null().to_numpy(), np.nan, day + frac)
            column: Any = Column(mjd, unit="d")
            times.append(name)
        elif info is not None and info.unit and series.dtype.is_numeric():
            column = Column(_numbers(series), unit=info.unit)
        else:
            column = _plain(series)
        table[name] = column
        _describe(table[name], name)
    return table, times
