"""Every in-memory table kind users hold, as one polars frame with its units and UCDs.

:func:`memory_table` takes polars (eager or lazy), pandas, Arrow, astropy ``Table``/``QTable``
(angle columns in any unit become degrees, ``Time`` columns UTC datetimes, ``SkyCoord``
columns ICRS ``ra``/``dec``, masked values nulls), a pyvo result or anything else with a
``.to_table()`` giving an astropy table, a ``SkyCoord`` (any frame: ICRS ``ra``/``dec``, the
SkyCoord itself kept for per-frame use), a dict of columns, ``[ra, dec]``, a list/array of
``[ra, dec]`` pairs, or a ``(ra_values, dec_values)`` tuple of two sequences. Paths are read by
:mod:`daxa.inputs.readers`; :func:`daxa.inputs.load.to_table` takes either.

>>> memory_table([[10, 1], [20, 2]]).frame.rows()
[(10.0, 1.0), (20.0, 2.0)]
>>> import astropy.units as u
>>> from astropy.coordinates import SkyCoord
>>> t = memory_table(SkyCoord(0 * u.deg, 0 * u.deg, frame="galactic"))
>>> [round(v, 3) for v in t.frame.row(0)]
[266.405, -28.936]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.inputs._text import TABLE_FORMS, short


@dataclass
class Table:
    """A user's table as polars: ``units`` and ``ucds`` by column (what the input declared),
    ``skycoord`` when the input was a SkyCoord, ``label`` names it in errors."""

    frame: pl.DataFrame
    label: str
    units: dict[str, str] = field(default_factory=dict)
    ucds: dict[str, str] = field(default_factory=dict)
    skycoord: Any = None


def is_skycoord(value: Any) -> bool:
    return type(value).__name__ == "SkyCoord" and type(value).__module__.startswith("astropy")


def is_astropy_table(value: Any) -> bool:
    return type(value).__module__.startswith("astropy") and hasattr(value, "colnames")


def native(array: np.ndarray) -> np.ndarray:
    """``array`` in native byte order (FITS data are big-endian)."""
    if array.dtype.byteorder not in ("=", "|") and array.dtype.byteorder != (
        "<" if np.little_endian else ">"
    ):
        return array.astype(array.dtype.newbyteorder("="))
    return array


def _icrs_degrees(coord: Any) -> tuple[np.ndarray, np.ndarray]:
    icrs = coord.icrs
    return (
        np.atleast_1d(np.asarray(icrs.ra.deg, dtype=np.float64)).ravel(),
        np.atleast_1d(np.asarray(icrs.dec.deg, dtype=np.float64)).ravel(),
    )


def from_astropy(table: Any, label: str = "the table") -> Table:
    """An astropy Table/QTable as polars (see the module docstring); columns polars cannot
    hold (multi-dimensional) are left out."""
    import astropy.units as u

    out: dict[str, pl.Series] = {}
    units: dict[str, str] = {}
    ucds: dict[str, str] = {}
    for name in table.colnames:
        col = table[name]
        kind = type(col).__name__
        if is_skycoord(col):
            ra, dec = _icrs_degrees(col)
            prefix = (
                "" if "ra" not in table.colnames and "dec" not in table.colnames else f"{name}_"
            )
            out[f"{prefix}ra"], out[f"{prefix}dec"] = pl.Series(ra), pl.Series(dec)
            units[f"{prefix}ra"] = units[f"{prefix}dec"] = "deg"
            continue
        if kind == "Time":
            values = np.asarray(col.utc.datetime64, dtype="datetime64[us]")
            out[name] = pl.Series(name, values).dt.replace_time_zone("UTC")
            continue
        meta = getattr(col, "meta", None) or {}
        info_ucd = getattr(getattr(col, "info", None), "meta", None) or {}
        ucd = meta.get("ucd") or info_ucd.get("ucd")
        if ucd:
            ucds[name] = str(ucd)
        unit = getattr(col, "unit", None)
        mask = np.ma.getmaskarray(col) if hasattr(col, "mask") else None
        data = np.asarray(getattr(col, "value", col)) if kind == "Quantity" else np.asarray(col)
        if unit is not None:
            units[name] = str(unit)
            if data.dtype.kind in "if":
                try:
                    if u.Unit(unit).physical_type == "angle":
                        data = (data * u.Unit(unit)).to_value(u.deg)
                        units[name] = "deg"
                except Exception:
                    pass
        if data.ndim > 1:
            continue
        if data.dtype.kind == "S":
            series = pl.Series(name, np.char.decode(data, "utf-8", "replace").astype(str))
        elif data.dtype.kind == "U":
            series = pl.Series(name, data.astype(str), dtype=pl.String)
        elif data.dtype.kind == "O":
            items = [v.decode() if isinstance(v, bytes) else v for v in data.tolist()]
            series = pl.Series(name, items, strict=False)
        else:
            series = pl.Series(name, native(data))
        if mask is not None and mask.ndim == 1 and mask.any():
            series = series.set(pl.Series(mask), None)  # type: ignore[arg-type]
        out[name] = series.alias(name)
    return Table(pl.DataFrame(out), label, units, ucds)


def _arrow_units(table: Any) -> dict[str, str]:
    units: dict[str, str] = {}
    for f in table.schema:
        meta = f.metadata or {}
        unit = meta.get(b"unit") or meta.get(b"units")
        if unit:
            units[f.name] = unit.decode()
    return units


def _pairs(value: Any, label: str) -> Table:
    """``[ra, dec]``, ``[[ra, dec], ...]``, an (n, 2) array (angle Quantity allowed), or a
    ``(ra_values, dec_values)`` tuple of arrays."""
    if isinstance(value, tuple) and len(value) == 2 and all(np.ndim(v) == 1 for v in value):
        ra, dec = (np.asarray(v, dtype=np.float64).ravel() for v in value)
        if ra.size != dec.size:
            raise InputError(f"{label}: {ra.size} RA values but {dec.size} Dec values")
        return Table(pl.DataFrame({"ra": ra, "dec": dec}), label, {"ra": "deg", "dec": "deg"})
    if isinstance(value, (list, tuple)) and any(is_skycoord(v) for v in value):
        raise InputError(f"{label}: a list of SkyCoords; combine them first, SkyCoord(the_list)")
    if type(value).__module__.startswith("astropy") and hasattr(value, "unit"):
        try:
            value = value.to_value("deg")
        except Exception:
            raise InputError(f"{label} {short(value)} are not angles") from None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"{label} {short(value)} are not [ra, dec] pairs of numbers; give {TABLE_FORMS}"
        ) from None
    if array.size == 0:
        raise InputError(f"no {label[4:]} given ({short(value)}); give at least one [ra, dec]")
    if array.shape == (2,):
        array = array.reshape(1, 2)
    if array.ndim != 2 or array.shape[1] != 2:
        raise InputError(
            f"{label} of shape {array.shape} ({short(value)}) are not [ra, dec] pairs; give "
            f"{TABLE_FORMS}"
        )
    frame = pl.DataFrame({"ra": array[:, 0].copy(), "dec": array[:, 1].copy()})
    return Table(frame, label, {"ra": "deg", "dec": "deg"})


def memory_table(obj: Any, *, what: str = "positions") -> Table:
    """``obj`` (any in-memory kind in the module docstring) as a :class:`Table`."""
    label = f"the {what}"
    if isinstance(obj, Table):
        return obj
    if isinstance(obj, pl.DataFrame):
        return Table(obj, label)
    if isinstance(obj, pl.LazyFrame):
        return Table(obj.collect(), label)
    if is_skycoord(obj):
        ra, dec = _icrs_degrees(obj)
        frame = pl.DataFrame({"ra": ra, "dec": dec})
        return Table(frame, label, {"ra": "deg", "dec": "deg"}, skycoord=obj)
    module, name = type(obj).__module__, type(obj).__name__
    if module.startswith("pandas") and name == "DataFrame":
        return Table(pl.from_pandas(obj.reset_index(drop=True)), label)
    if module.startswith("pyarrow") and name in ("Table", "RecordBatch"):
        arrow = pl.from_arrow(obj)
        assert isinstance(arrow, pl.DataFrame)
        return Table(arrow, label, _arrow_units(obj))
    if is_astropy_table(obj):
        return from_astropy(obj, label)
    if isinstance(obj, Mapping):
        try:
            return Table(pl.DataFrame({str(k): v for k, v in obj.items()}), label)
        except Exception as exc:
            raise InputError(f"cannot make a table of {label} {short(obj)}: {exc}") from None
    to_astropy = getattr(obj, "to_table", None)
    if callable(to_astropy):  # pyvo results, astroquery tables, ...
        try:
            table = to_astropy()
        except Exception as exc:
            raise InputError(f"{label} {short(obj)}: .to_table() failed ({exc})") from None
        if is_astropy_table(table):
            return from_astropy(table, label)
        return memory_table(table, what=what)
    if isinstance(obj, (list, tuple, np.ndarray)) or (
        module.startswith("astropy") and hasattr(obj, "unit")
    ):
        return _pairs(obj, label)
    raise InputError(f"cannot use {short(obj)} as {label}; give {TABLE_FORMS}")
