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
    total before its instruments), built from numpy arrays in one pass.

    ``mission`` and ``instrument`` come as the ``labels`` enums (the same for every chunk):
    gathering a code per row is cheaper than gathering strings, and the Parquet sink writes
    the codes as they are (:class:`~daxa.crossmatch.execution.ParquetSink`).
    """
    row, line, count, exposure, first, last = (np.concatenate(c) for c in zip(*parts, strict=True))
    keys = [HPX, "pos_index"] if opts.streaming else ["pos_index"]
    order = _placement([p[0] for p in parts], lines, _position_rank(positions, keys))
    row, line = row[order], line[order]
    cols: dict[str, Any] = {"pos_index": positions["pos_index"].gather(row)}
    if opts.with_id:
        cols["row_id"] = positions["row_id"].gather(row)
    missions, instruments = labels
    cols["mission"] = pl.Series([m for _, _, m, _ in lines], dtype=missions).gather(line)
    cols["instrument"] = pl.Series([i for _, _, _, i in lines], dtype=instruments).gather(line)
    cols["n_obs"] = count[order]
    cols["exposure"] = pl.Series(exposure[order] / 1000.0).fill_nan(None)
    cols["first_start"] = _times(first[order], BIG)
    cols["last_end"] = _times(last[order], SMALL)
    cols["pos_ra"] = positions["ra"].gather(row)
    cols["pos_dec"] = positions["dec"].gather(row)
    if opts.streaming:
        cols[HPX] = positions[HPX].gather(row)
    return pl.DataFrame(cols)


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


def _placement(
    hits: list[IntArray], lines: list[tuple[int, int, str, str | None]], position_rank: IntArray
) -> IntArray:
    """The order of the concatenated parts' rows that sorts them by position rank, then line
    (mission rank, the total before its instruments), by counting rather than sorting: each
    part holds a position at most once, so parts taken in line order fill each position's run
    of rows one slot at a time."""
    n = position_rank.size
    sizes = np.array([h.size for h in hits], dtype=np.int64)
    part_start = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    per_position = np.bincount(np.concatenate(hits), minlength=n) if hits else np.zeros(n, int)
    by_rank = np.empty(n, dtype=np.int64)
    by_rank[position_rank] = per_position
    cursor = (np.cumsum(by_rank) - by_rank)[position_rank]  # first slot of each position
    order = np.empty(int(sizes.sum()), dtype=np.int64)
    for k in sorted(range(len(hits)), key=lambda i: lines[i][:2]):
        h = hits[k]
        order[cursor[h]] = part_start[k] + np.arange(h.size)
        cursor[h] += 1
    return order


def _times(values: IntArray, missing: int) -> pl.Series:
    series = pl.Series(np.where(values == missing, 0, values)).cast(pl.Datetime("us"))
    series = series.dt.replace_time_zone("UTC")
    if (values == missing).any():
        series = pl.select(
            pl.when(pl.Series(values == missing)).then(None).otherwise(series)
        ).to_series()
    return series
