"""Turning the frames users and services hand us (astropy, pandas, Arrow, polars) into polars."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from daxa.errors import InputError


def astropy_table_to_polars(table: Any) -> pl.DataFrame:
    """An astropy Table (e.g. a parsed VOTable or FITS table) as a polars DataFrame.

    Masked values become nulls; byte strings are decoded; multi-dimensional columns are kept as
    lists. Column names are kept as they are.
    """
    columns: dict[str, pl.Series] = {}
    for name in table.colnames:
        col = table[name]
        data = np.asarray(col)
        mask = np.ma.getmaskarray(col) if hasattr(col, "mask") else None
        if data.dtype.kind == "S":
            data = np.char.decode(data, "utf-8", errors="replace")
        if data.dtype.kind in "US":
            series = pl.Series(name, data.astype(str), dtype=pl.String).str.strip_chars()
        elif data.dtype.kind == "O":
            series = pl.Series(
                name,
                [None if v is None else (v.decode() if isinstance(v, bytes) else v) for v in data],
                strict=False,
            )
        elif data.ndim > 1:
            series = pl.Series(name, data.tolist())
        else:
            if data.dtype.byteorder not in ("=", "|"):
                data = data.astype(data.dtype.newbyteorder("="))
            series = pl.Series(name, data)
        if mask is not None and mask.ndim == 1 and mask.any():
            series = series.set(pl.Series(mask), None)  # type: ignore[arg-type]
        columns[name] = series
    return pl.DataFrame(columns)


def to_polars(obj: Any, *, what: str = "table") -> pl.DataFrame:
    """polars, pandas, pyarrow or astropy tables (and dicts of columns) as a polars DataFrame."""
    if isinstance(obj, pl.DataFrame):
        return obj
    if isinstance(obj, pl.LazyFrame):
        return obj.collect()
    module = type(obj).__module__
    if module.startswith("pandas"):
        return pl.from_pandas(obj)
    if module.startswith("pyarrow"):
        frame = pl.from_arrow(obj)
        if isinstance(frame, pl.DataFrame):
            return frame
    if module.startswith("astropy"):
        return astropy_table_to_polars(obj)
    if isinstance(obj, dict):
        return pl.DataFrame(obj)
    raise InputError(
        f"cannot use a {type(obj).__name__} as a {what}; pass a polars, pandas, pyarrow or "
        "astropy table"
    )
