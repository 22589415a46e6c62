"""Chunk frames made of pieces without polars' thread pool.

A chunk's rows come as pieces: decoded row groups, slices of them, the strip around a chunk.
Joining and gathering them with polars (``pl.concat(rechunk=True)``, ``frame[rows]``) runs on
polars' thread pool, which the two chunk threads share, and some of its calls hold the GIL;
integer and float columns without nulls go through numpy in the calling thread instead, and
come out in one piece, so that later ``to_numpy`` calls are views. Other columns (text,
lists, nulls) go through polars as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

IntArray = npt.NDArray[np.int64]


def frame_of_arrow(table: Any) -> pl.DataFrame:
    """A decoded pyarrow table as a polars frame without a copy: numeric columns in one piece
    and without nulls (coordinates, HEALPix indices) through numpy views, which polars takes
    as they are; the others through ``pl.from_arrow``, which held the GIL a while per call
    (seen in a GIL profile of two chunk threads)."""
    import pyarrow as pa

    columns: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        simple = pa.types.is_integer(column.type) or column.type in (pa.float32(), pa.float64())
        if simple and column.num_chunks == 1 and column.null_count == 0:
            columns[name] = column.chunk(0).to_numpy()
        else:
            series = pl.from_arrow(column, rechunk=False)
            assert isinstance(series, pl.Series)
            columns[name] = series.alias(name)
    return pl.DataFrame(columns)


def _plain(series: pl.Series) -> bool:
    """Numbers without nulls: numpy can copy, join and gather them as well as polars."""
    dtype = series.dtype
    return (dtype.is_integer() or dtype.is_float()) and not series.has_nulls()


def take(series: pl.Series, rows: IntArray) -> pl.Series:
    """``series.gather(rows)``, through numpy in the calling thread for plain numbers: polars'
    gather held the GIL (seen in a GIL profile of two chunk threads), so one chunk thread
    waited on the other's, and in a harvest some gathers took 4 ms instead of 0.4 ms."""
    if _plain(series):
        return pl.Series(series.name, series.to_numpy()[rows])
    return series.gather(rows)


def take_rows(frame: pl.DataFrame, rows: IntArray) -> pl.DataFrame:
    """``frame[rows]`` column by column through :func:`take`.

    >>> take_rows(pl.DataFrame({"x": [1.5, 2.5, 3.5], "s": ["a", None, "c"]}), np.array([2, 0]))["s"].to_list()
    ['c', 'a']
    """
    return pl.DataFrame([take(s, rows) for s in frame.iter_columns()])


def join_frames(
    parts: Sequence[pl.DataFrame], columns: Sequence[str] | None = None
) -> pl.DataFrame:
    """The rows of ``parts`` one after the other in ``columns`` (those of the first part by
    default), each column in one piece, so that later ``to_numpy`` calls are views.

    Integer and float columns without nulls are joined by numpy in the calling thread:
    ``pl.concat(rechunk=True)`` copies on polars' thread pool, which the two chunk threads
    share (on 1e7 x 1e6 rows from Parquet, a best match took 0.39-0.42 s against 0.44-0.48 s,
    in four alternated pairs).

    >>> a = pl.DataFrame({"x": [1.0, 2.0], "s": ["a", "b"]})
    >>> join_frames([a, a.slice(1)]).to_dict(as_series=False)
    {'x': [1.0, 2.0, 2.0], 's': ['a', 'b', 'b']}
    """
    names = list(parts[0].columns if columns is None else columns)
    if len(parts) == 1 and all(parts[0][n].n_chunks() == 1 for n in names):
        return parts[0].select(names) if columns is not None else parts[0]
    out: dict[str, Any] = {}
    for name in names:
        pieces = [p[name] for p in parts]
        if all(_plain(s) and s.dtype == pieces[0].dtype for s in pieces):
            out[name] = pl.Series(name, np.concatenate([s.to_numpy() for s in pieces]))
        else:
            out[name] = pl.concat(pieces, rechunk=True)
    return pl.DataFrame(out)
