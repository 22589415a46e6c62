"""Filter parameters to JSON and back, keeping their types.

A saved selection must replay exactly, so every parameter type a filter accepts survives the
trip: SkyCoord (any frame, with its frame attributes), Quantity, datetimes, astropy Time, numpy
arrays and datetime64, tuples, and frames of positions (polars, pandas, astropy Table). Plain
JSON values pass through; everything else becomes a small dict tagged with ``"__type__"``.

>>> import json, astropy.units as u
>>> value = {"radius": 30 * u.arcmin, "ids": ("0201903501",)}
>>> back = decode(json.loads(json.dumps(encode(value))))
>>> back["radius"], back["ids"]
(<Quantity 30. arcmin>, ('0201903501',))
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import polars as pl

from daxa.errors import InputError, SelectionError

TAG = "__type__"

#: polars dtypes a saved frame column may have, by their ``str()`` spelling.
_POLARS_DTYPES: dict[str, pl.DataType] = {
    str(t): t
    for t in (
        pl.Float64(),
        pl.Float32(),
        pl.Int64(),
        pl.Int32(),
        pl.Int16(),
        pl.Int8(),
        pl.UInt64(),
        pl.UInt32(),
        pl.UInt16(),
        pl.UInt8(),
        pl.Boolean(),
        pl.String(),
        pl.Date(),
    )
}


def encode(value: Any) -> Any:
    """``value`` as JSON-able data that :func:`decode` turns back into the same type."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        return value
    if isinstance(value, np.generic):
        return _encode_numpy_scalar(value)
    if type(value).__module__.startswith("astropy"):
        return _encode_astropy(value)
    if isinstance(value, datetime):
        return {TAG: "datetime", "value": value.isoformat()}
    if isinstance(value, date):
        return {TAG: "date", "value": value.isoformat()}
    if isinstance(value, np.ndarray):
        return _encode_ndarray(value)
    if isinstance(value, tuple):
        return {TAG: "tuple", "items": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and TAG not in value:
            return {k: encode(v) for k, v in value.items()}
        return {TAG: "dict", "items": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, pl.Series):
        return {TAG: "polars.Series", "name": value.name, **_encode_series(value)}
    if isinstance(value, pl.DataFrame):
        return {TAG: "polars.DataFrame", "columns": _encode_columns(value)}
    module = type(value).__module__
    if module.startswith("pandas") and type(value).__name__ == "DataFrame":
        return {TAG: "pandas.DataFrame", "columns": _encode_columns(pl.from_pandas(value))}
    if module.startswith("pandas") and type(value).__name__ == "Series":
        series = pl.from_pandas(value)
        assert isinstance(series, pl.Series)
        return {TAG: "pandas.Series", "name": value.name, **_encode_series(series)}
    raise InputError(
        f"cannot save a filter parameter of type {type(value).__name__} ({value!r:.60}); pass "
        "numbers, strings, datetimes, arrays, Quantity, SkyCoord, Time or a frame of positions"
    )


def decode(data: Any) -> Any:
    """The value :func:`encode` was given (inverse of encode, after a JSON round trip).

    Saved data are untrusted: a damaged tagged value raises :class:`SelectionError` naming its
    type and the field that is wrong, never a bare ``KeyError`` or ``TypeError``.

    >>> decode({"__type__": "Quantity", "value": 3.0})
    Traceback (most recent call last):
    ...
    daxa.errors.SelectionError: saved Quantity lacks its 'unit' field
    """
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    kind = data.get(TAG)
    if kind is None:
        return {k: decode(v) for k, v in data.items()}
    decoder = _DECODERS.get(kind) if isinstance(kind, str) else None
    if decoder is None:
        raise SelectionError(
            f"saved parameter of unknown type {str(kind)[:40]!r}; was it saved by a newer daxa?"
        )
    try:
        return decoder(data)
    except SelectionError:
        raise
    except KeyError as exc:
        raise SelectionError(f"saved {kind} lacks its {exc.args[0]!r} field") from None
    except Exception as exc:  # untrusted input: any failure means the saved value is damaged
        text = " ".join(str(exc).split())[:160]
        raise SelectionError(f"saved {kind} is damaged ({type(exc).__name__}: {text})") from None


# --------------------------------------------------------------------------------------------
# numpy


def _encode_numpy_scalar(value: np.generic) -> Any:
    if isinstance(value, np.datetime64):
        unit = np.datetime_data(value.dtype)[0]
        return {TAG: "datetime64", "value": str(np.datetime_as_string(value)), "unit": unit}
    if isinstance(value, np.bool_):
        return bool(value)
    return {TAG: "numpy", "dtype": value.dtype.str, "value": value.item()}


def _encode_ndarray(array: np.ndarray) -> dict[str, Any]:
    if array.dtype.kind == "M":
        data: Any = np.datetime_as_string(array).tolist()
    elif array.dtype.kind in "biufUS":
        data = array.tolist()
    elif array.dtype.kind == "O":
        data = encode(array.tolist())
    else:
        raise InputError(f"cannot save a numpy array of dtype {array.dtype}")
    return {TAG: "ndarray", "dtype": array.dtype.str, "shape": list(array.shape), "data": data}


#: Largest item a saved array or scalar may have (bytes): a damaged dtype such as ``<U999999999``
#: must not allocate gigabytes.
MAX_ITEMSIZE = 4096


def _saved_dtype(text: Any) -> np.dtype[Any]:
    """A dtype from a saved file, limited to the kinds encode writes and to sane item sizes."""
    if not isinstance(text, str):
        raise SelectionError(f"saved dtype must be text, not {type(text).__name__}")
    dtype = np.dtype(text)
    if dtype.kind not in "biufUSMO" or dtype.itemsize > MAX_ITEMSIZE:
        raise SelectionError(f"saved dtype {text[:40]!r} is not one daxa writes")
    return dtype


def _decode_ndarray(data: dict[str, Any]) -> np.ndarray:
    dtype = _saved_dtype(data["dtype"])
    shape = data["shape"]
    values = decode(data["data"]) if dtype.kind == "O" else data["data"]
    if not isinstance(values, list):
        raise SelectionError("saved ndarray 'data' must be a list")
    if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
        raise SelectionError("saved ndarray 'shape' must be a list of sizes")
    if dtype.kind == "O":
        if int(np.prod(shape)) != len(values):
            raise SelectionError(f"saved ndarray of shape {shape} holds {len(values)} values")
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    array = np.asarray(values, dtype=dtype)
    if array.size != int(np.prod(shape, dtype=np.float64)):
        raise SelectionError(f"saved ndarray of shape {shape} holds {array.size} values")
    return array.reshape(shape)


def _decode_numpy_scalar(data: dict[str, Any]) -> Any:
    return _saved_dtype(data["dtype"]).type(data["value"])


def _decode_datetime64(data: dict[str, Any]) -> np.datetime64:
    return np.datetime64(data["value"], data["unit"])


# --------------------------------------------------------------------------------------------
# frames


def _encode_series(series: pl.Series) -> dict[str, Any]:
    dtype = series.dtype
    if isinstance(dtype, pl.Datetime):
        values = series.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f").to_list()
        return {
            "dtype": "Datetime",
            "time_unit": dtype.time_unit,
            "time_zone": dtype.time_zone,
            "data": values,
        }
    if str(dtype) not in _POLARS_DTYPES:
        raise InputError(f"cannot save column {series.name!r} of type {dtype}")
    data = series.to_list()
    if dtype == pl.Date():
        data = [None if d is None else d.isoformat() for d in data]
    return {"dtype": str(dtype), "data": data}


def _decode_series(name: str, data: dict[str, Any]) -> pl.Series:
    if data["dtype"] == "Datetime":
        naive = pl.Series(name, data["data"], dtype=pl.String).str.to_datetime(
            "%Y-%m-%dT%H:%M:%S%.6f", time_unit=data["time_unit"]
        )
        zone = data.get("time_zone")
        return naive.dt.replace_time_zone(zone) if zone else naive
    dtype = _POLARS_DTYPES[data["dtype"]]
    if dtype == pl.Date():
        return pl.Series(name, data["data"], dtype=pl.String).str.to_date("%Y-%m-%d")
    return pl.Series(name, data["data"], dtype=dtype)


def _encode_columns(frame: pl.DataFrame) -> dict[str, Any]:
    return {name: _encode_series(frame[name]) for name in frame.columns}


def _decode_polars_frame(data: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame([_decode_series(n, c) for n, c in data["columns"].items()])


def _decode_polars_series(data: dict[str, Any]) -> pl.Series:
    return _decode_series(data["name"], data)


def _decode_pandas_frame(data: dict[str, Any]) -> Any:
    return _decode_polars_frame(data).to_pandas()


def _decode_pandas_series(data: dict[str, Any]) -> Any:
    return _decode_series(data["name"] or "", data).to_pandas().rename(data["name"])


# --------------------------------------------------------------------------------------------
# astropy


def _encode_astropy(value: Any) -> dict[str, Any]:
    from astropy.coordinates import SkyCoord, UnitSphericalRepresentation
    from astropy.table import Table
    from astropy.time import Time
    from astropy.units import Quantity

    if isinstance(value, SkyCoord):
        frame = value.frame
        sph = frame.represent_as(UnitSphericalRepresentation)
        names = list(frame.representation_component_names)[:2]
        attrs: dict[str, Any] = {}
        for attr in ("equinox", "obstime"):
            if attr in frame.frame_attributes and getattr(frame, attr, None) is not None:
                attrs[attr] = _encode_astropy(getattr(frame, attr))
        return {
            TAG: "SkyCoord",
            "frame": frame.name,
            "components": names,
            "lon": sph.lon.deg.tolist(),
            "lat": sph.lat.deg.tolist(),
            "unit": "deg",
            "attrs": attrs,
        }
    if isinstance(value, Time):
        if value.format in ("jd", "mjd", "unix", "cxcsec", "gps", "decimalyear", "jyear", "byear"):
            fmt, out = value.format, value.value
        else:
            exact = value.copy()
            exact.precision = 9
            fmt, out = "isot", exact.isot
        if isinstance(out, np.ndarray):
            out = out.tolist()
        return {TAG: "Time", "format": fmt, "scale": value.scale, "value": out}
    if isinstance(value, Quantity):
        out = value.value.tolist() if not value.isscalar else float(value.value)
        return {TAG: "Quantity", "value": out, "unit": value.unit.to_string()}
    if isinstance(value, Table):
        columns = {}
        for name in value.colnames:
            col = value[name]
            unit = getattr(col, "unit", None)
            array = np.asarray(col)
            columns[name] = {
                "unit": None if unit is None else unit.to_string(),
                "data": _encode_ndarray(array),
            }
        return {TAG: "astropy.Table", "columns": columns}
    raise InputError(f"cannot save a filter parameter of type {type(value).__name__}")


def _decode_skycoord(data: dict[str, Any]) -> Any:
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    attrs = {k: decode(v) for k, v in data.get("attrs", {}).items()}
    lon = np.asarray(data["lon"], dtype=np.float64)
    lat = np.asarray(data["lat"], dtype=np.float64)
    return SkyCoord(lon * u.deg, lat * u.deg, frame=data["frame"], **attrs)


def _decode_time(data: dict[str, Any]) -> Any:
    from astropy.time import Time

    return Time(data["value"], format=data["format"], scale=data["scale"])


def _decode_quantity(data: dict[str, Any]) -> Any:
    import astropy.units as u

    return u.Quantity(data["value"], u.Unit(data["unit"]))


def _decode_astropy_table(data: dict[str, Any]) -> Any:
    import astropy.units as u
    from astropy.table import Table

    table = Table()
    for name, col in data["columns"].items():
        values = _decode_ndarray(col["data"])
        table[name] = values * u.Unit(col["unit"]) if col["unit"] else values
    return table


_DECODERS: dict[str, Any] = {
    "datetime": lambda d: datetime.fromisoformat(d["value"]),
    "date": lambda d: date.fromisoformat(d["value"]),
    "tuple": lambda d: tuple(decode(v) for v in d["items"]),
    "dict": lambda d: {decode(k): decode(v) for k, v in d["items"]},
    "numpy": _decode_numpy_scalar,
    "datetime64": _decode_datetime64,
    "ndarray": _decode_ndarray,
    "polars.Series": _decode_polars_series,
    "polars.DataFrame": _decode_polars_frame,
    "pandas.DataFrame": _decode_pandas_frame,
    "pandas.Series": _decode_pandas_series,
    "SkyCoord": _decode_skycoord,
    "Time": _decode_time,
    "Quantity": _decode_quantity,
    "astropy.Table": _decode_astropy_table,
}
