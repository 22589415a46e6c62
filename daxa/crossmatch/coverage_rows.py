"""Coverage summary rows: the output schema and the rows of one chunk, from its totals.

:func:`summary_rows` turns the per-line totals of a chunk into one frame in position order
and, per position, mission order (the total before its instruments), placing rows by counting
rather than sorting; ``mission`` and ``instrument`` come as enums the same for every chunk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.coverage_totals import BIG, SMALL
from daxa.crossmatch.inputs import HPX, UTC_US
from daxa.crossmatch.mission_tables import MissionTable

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class SummaryOptions:
    with_id: bool
    by_instrument: bool
    streaming: bool
    method: Literal["auto", "pairs", "cells", "tree"]
    walk_threads: int | None = None  # threads of one chunk's tree walk (None: every core)


#: Summary columns that are never null (written as required Parquet columns).
NEVER_NULL = ("pos_index", "mission", "n_obs", "pos_ra", "pos_dec", HPX)


def summary_schema(opts: SummaryOptions, id_dtype: pl.DataType | None) -> dict[str, pl.DataType]:
    schema: dict[str, pl.DataType] = {"pos_index": pl.Int64()}
    if opts.with_id:
        schema["row_id"] = id_dtype or pl.String()
    schema.update(
        {
            "mission": pl.String(),
            "instrument": pl.String(),
            "n_obs": pl.Int64(),
            "exposure": pl.Float64(),
            "first_start": UTC_US,
            "last_end": UTC_US,
            "pos_ra": pl.Float64(),
            "pos_dec": pl.Float64(),
        }
    )
    if opts.streaming:
        schema[HPX] = pl.Int64()
    return schema


def summary_labels(tables: list[MissionTable]) -> tuple[pl.Enum, pl.Enum]:
    """The enums of the ``mission`` and ``instrument`` columns: every mission and instrument
    of the run, so that all chunks (and Dask workers) make the same dtype."""
    missions = dict.fromkeys(t.name for t in tables)
    instruments = dict.fromkeys(i for t in tables for i in t.instruments)
    return pl.Enum(list(missions)), pl.Enum(list(instruments))


def summary_rows(
    positions: pl.DataFrame,
    parts: list[tuple[IntArray, IntArray, IntArray, FloatArray, IntArray, IntArray]],
    lines: list[tuple[int, int, str, str | None]],
    opts: SummaryOptions,
    labels: tuple[pl.Enum, pl.Enum],
) -> pl.DataFrame:
    """One frame of summary rows, in position order and, per position, in mission order (the
    total before its instruments), each part's values put straight into their places.

    ``mission`` and ``instrument`` come as the ``labels`` enums (the same for every chunk):
    gathering a code per row is cheaper than gathering strings, and the Parquet sink writes
    the codes as they are (:class:`~daxa.crossmatch.sinks.ParquetSink`). Chunks in position
    order (the usual case) repeat each position's columns for its rows instead of gathering.
    """
    keys = [HPX, "pos_index"] if opts.streaming else ["pos_index"]
    rank = _position_rank(positions, keys)
    slots, per_rank = _slots([p[0] for p in parts], lines, rank)
    total = int(per_rank.sum())

    def placed(i: int, dtype: Any) -> npt.NDArray[Any]:
        out = np.empty(total, dtype=dtype)
        for where, part in zip(slots, parts, strict=True):
            out[where] = part[i]
        return out

    # positions in order (the usual case): row i's values, per_rank[i] times, no gather
    in_order = bool((rank == np.arange(rank.size)).all())
    row = None if in_order else placed(0, np.int64)

    def spread(name: str) -> pl.Series:
        column = positions[name]
        if row is None and column.dtype.is_numeric() and not column.null_count():
            return pl.Series(name, np.repeat(column.to_numpy(), per_rank), dtype=column.dtype)
        return column.gather(row if row is not None else _rows(per_rank))

    line = placed(1, np.int64)
    cols: dict[str, Any] = {"pos_index": spread("pos_index")}
    if opts.with_id:
        cols["row_id"] = spread("row_id")
    missions, instruments = labels
    cols["mission"] = pl.Series([m for _, _, m, _ in lines], dtype=missions).gather(line)
    cols["instrument"] = pl.Series([i for _, _, _, i in lines], dtype=instruments).gather(line)
    cols["n_obs"] = placed(2, np.int64)
    cols["exposure"] = pl.Series(placed(3, np.float64) / 1000.0).fill_nan(None)
    cols["first_start"] = _times(placed(4, np.int64), BIG)
    cols["last_end"] = _times(placed(5, np.int64), SMALL)
    cols["pos_ra"] = spread("ra").alias("pos_ra")
    cols["pos_dec"] = spread("dec").alias("pos_dec")
    if opts.streaming:
        cols[HPX] = spread(HPX)
    return pl.DataFrame(cols)


def _rows(per_rank: IntArray) -> IntArray:
    """Each output row's position, for positions in order with ``per_rank`` rows each."""
    return np.repeat(np.arange(per_rank.size, dtype=np.int64), per_rank)


def _position_rank(positions: pl.DataFrame, keys: list[str]) -> IntArray:
    """Each position's rank in the order of ``keys`` (lexicographic); chunks usually come
    sorted already (by HEALPix index, then row), which is checked in one pass."""
    columns = [positions[k].to_numpy() for k in keys]
    rank = np.arange(positions.height, dtype=np.int64)
    if not _lex_sorted(columns):
        rank[np.lexsort(columns[::-1])] = rank.copy()
    return rank


def _lex_sorted(columns: list[npt.NDArray[Any]]) -> bool:
    """Whether rows are in lexicographic order of ``columns``: each neighbour pair is in order
    by its first column that differs."""
    tied = np.ones(max(columns[0].size - 1, 0) if columns else 0, dtype=bool)
    for c in columns:
        if (c[1:][tied] < c[:-1][tied]).any():
            return False
        tied &= c[1:] == c[:-1]
    return True


def _slots(
    hits: list[IntArray], lines: list[tuple[int, int, str, str | None]], position_rank: IntArray
) -> tuple[list[IntArray], IntArray]:
    """Where each part's rows go in the output (sorted by position rank, then line: mission
    rank, the total before its instruments), and each position's number of rows, in rank
    order. Found by counting rather than sorting: each part holds a position at most once, so
    parts taken in line order fill each position's run of rows one slot at a time."""
    n = position_rank.size
    per_position = np.bincount(np.concatenate(hits), minlength=n) if hits else np.zeros(n, int)
    by_rank = np.empty(n, dtype=np.int64)
    by_rank[position_rank] = per_position
    cursor = (np.cumsum(by_rank) - by_rank)[position_rank]  # first slot of each position
    slots: list[IntArray] = [np.zeros(0, dtype=np.int64)] * len(hits)
    for k in sorted(range(len(hits)), key=lambda i: lines[i][:2]):
        h = hits[k]
        slots[k] = cursor[h]
        cursor[h] += 1
    return slots, by_rank


def _times(values: IntArray, missing: int) -> pl.Series:
    series = pl.Series(np.where(values == missing, 0, values)).cast(pl.Datetime("us"))
    series = series.dt.replace_time_zone("UTC")
    if (values == missing).any():
        series = pl.select(
            pl.when(pl.Series(values == missing)).then(None).otherwise(series)
        ).to_series()
    return series
