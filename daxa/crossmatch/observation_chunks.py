"""One chunk of positions against every mission: the association rows of :func:`match_observations`.

:func:`match_chunk` finds the pairs of a chunk of prepared positions with each mission table
(within the radius; the time-window overlap; with ``coverage="footprint"`` the instruments'
real fields decide) and builds the output rows a slice of pairs at a time, in the schema
:func:`output_schema` gives for the run's :class:`MatchOptions`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.inputs import HPX
from daxa.crossmatch.mission_tables import NULL_US, MissionTable, chunk_cap, epoch_us, reachable
from daxa.errors import InputError
from daxa.missions import get_mission
from daxa.missions.coverage import code_names, distinct_codes, pack_bits, reach_codes

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Output rows built at a time within a chunk.
FRAME_PAIRS = 500_000


def _pairs(
    positions: pl.DataFrame, table: MissionTable, rows: IntArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """(position row, table row, separation) of pairs within the radius."""
    from daxa.sky.pairs import pair_search

    if rows.size == 0 or positions.height == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e.copy(), np.zeros(0)
    ra, dec = positions["ra"].to_numpy(), positions["dec"].to_numpy()
    if table.radius is None:
        radius: Any = positions["_radius"].to_numpy()
        radius_of = "left"
    elif isinstance(table.radius, float):
        radius, radius_of = table.radius, "left"
    else:
        radius, radius_of = table.radius[rows], "right"
    p = pair_search(ra, dec, table.ra[rows], table.dec[rows], radius, radius_of=radius_of)  # type: ignore[arg-type]
    return p.left, rows[p.right], p.separation


def _overlap(
    positions: pl.DataFrame, table: MissionTable, left: IntArray, rows: IntArray
) -> pl.Series:
    """Does each pair's observation overlap the position's window (null: no window)?"""
    ws = epoch_us(positions["win_start"])[left]
    we = epoch_us(positions["win_end"])[left]
    os_, oe = table.start_us[rows], table.end_us[rows]
    timed = (os_ != NULL_US) & (oe != NULL_US)
    has_window = (ws != NULL_US) & (we != NULL_US)
    flag = timed & has_window & (os_ <= we) & (oe >= ws)
    series = pl.Series("time_overlap", flag)
    if not has_window.all():
        series = (
            pl.select(pl.when(pl.Series(has_window)).then(series).otherwise(None))
            .to_series()
            .alias("time_overlap")
        )
    return series


@dataclass(frozen=True)
class MatchOptions:
    with_id: bool
    with_window: bool
    overlap_only: bool
    streaming: bool
    keep: tuple[str, ...] = ()  # the user's columns carried into every pair
    footprint: bool = False


#: Association columns that are never null (written as required Parquet columns).
NEVER_NULL = ("pos_index", "mission", "separation_deg", "pos_ra", "pos_dec", HPX)


def output_schema(
    opts: MatchOptions, id_dtype: pl.DataType | None, kept: Mapping[str, pl.DataType] | None = None
) -> dict[str, pl.DataType]:
    """Column names and types of the association table."""
    from daxa.filters._base import ASSOCIATION_SCHEMA

    schema: dict[str, pl.DataType] = {"pos_index": pl.Int64()}
    if opts.with_id:
        schema["row_id"] = id_dtype or pl.String()
    schema.update({k: v for k, v in ASSOCIATION_SCHEMA.items() if k != "pos_index"})
    if opts.with_window:
        schema["time_overlap"] = pl.Boolean()
    for name in opts.keep:
        if name in schema:
            raise InputError(f"keep={name!r}: the result already has a column {name!r}")
        schema[name] = (kept or {}).get(name, pl.String())
    if opts.footprint:
        from daxa.footprints.assess import FOOTPRINT_SCHEMA

        schema.update(FOOTPRINT_SCHEMA)
    if opts.streaming:
        schema[HPX] = pl.Int64()
    return schema


@dataclass(frozen=True)
class Labels:
    """What the rows of every chunk point into, made once per run: the missions as an enum
    (in table order, which is registry order), the instruments' enum and every table's ObsIDs
    end to end (``offset[t]`` is table ``t``'s first), so an output row holds codes and one
    index until its strings are gathered, once, as its frame is built."""

    missions: pl.Series
    instruments: pl.Enum
    obs_id: pl.Series
    offset: IntArray
    codes: list[IntArray]  # per table: each row's observing instruments (observed_codes)


_LABELS_LOCK = threading.Lock()


def run_labels(tables: list[MissionTable], shared: dict[str, Any]) -> Labels:
    """The run's :class:`Labels`, made by the first chunk (chunks in flight share them)."""
    with _LABELS_LOCK:
        if "_labels" not in shared:
            names = [t.name for t in tables]
            sizes = np.array([t.obs_id.len() for t in tables], dtype=np.int64)
            obs = [t.obs_id for t in tables]
            shared["_labels"] = Labels(
                pl.Series("mission", names, dtype=pl.Enum(names)),
                pl.Enum(list(dict.fromkeys(i for t in tables for i in t.instruments))),
                pl.concat(obs).rechunk() if obs else pl.Series("obs_id", [], dtype=pl.String),
                np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64),
                [observed_codes(t) for t in tables],
            )
        return shared["_labels"]  # type: ignore[no-any-return]


def observed_codes(table: MissionTable) -> IntArray:
    """Each kept row's observing instruments as bits (bit ``b``: ``table.instruments[b]``)."""
    return pack_bits(table.plan.observed)


def _covering_patterns(
    table: MissionTable, codes: IntArray, trow: IntArray, sep: FloatArray
) -> tuple[IntArray, list[list[str]]]:
    """Each pair's covering instruments (the association table's rule, as
    :func:`daxa.missions.coverage.covering_lists` applies it) as an index into the few
    distinct lists; ``codes`` are :func:`observed_codes`."""
    code = codes[trow]
    radii = table.plan.instrument_radii
    k = len(table.instruments)
    if radii is not None and k:
        code &= reach_codes(sep, radii)
    present, index = distinct_codes(code, k)
    return index.astype(np.int64), code_names(present, table.instruments)


def match_chunk(
    positions: pl.DataFrame,
    skipped: IntArray,
    opts: MatchOptions,
    shared: dict[str, Any],
) -> tuple[list[pl.DataFrame], IntArray]:
    """The association rows of one chunk of prepared positions against every mission.

    The rows are built here, in the chunk's task (chunks run side by side), a slice of pairs
    at a time (see :data:`FRAME_PAIRS`): ``mission`` and ``instruments`` as enum codes (the
    sinks make them strings, or write them as Parquet dictionaries), ``obs_id`` gathered
    once from the run's :class:`Labels`.

    Rows come in the chunk's row order (HEALPix order for sorted chunks), then mission
    (registry order), then table row: a stable radix sort on the row, no comparison sort.
    """
    from daxa.sky._join import stable_argsort_int

    tables: list[MissionTable] = shared["tables"]
    if positions.height == 0:
        return [], skipped
    labels = run_labels(tables, shared)
    cap = chunk_cap(positions["ra"].to_numpy(), positions["dec"].to_numpy())
    r_pos = float(positions["_radius"].max()) if "_radius" in positions.columns else 0.0  # type: ignore[arg-type]
    found = []
    lists: list[list[str]] = []
    for t, table in enumerate(tables):
        rows = reachable(table, cap, r_pos)
        left, trow, sep = _pairs(positions, table, rows)
        if opts.with_window and left.size:
            flag = _overlap(positions, table, left, trow)
            if opts.overlap_only:
                keep = flag.fill_null(False).to_numpy()
                left, trow, sep, flag = left[keep], trow[keep], sep[keep], flag.filter(keep)
        else:
            flag = None
        foot = None
        if opts.footprint and left.size:
            left, trow, sep, flag, foot = _footprint_step(positions, table, left, trow, sep, flag)
        if left.size:
            pattern = None
            if foot is None:  # the footprint step brings its own lists
                index, distinct = _covering_patterns(table, labels.codes[t], trow, sep)
                pattern = index + len(lists)
                lists += distinct
            found.append((t, left, trow, sep, flag, foot, pattern))
    if not found:
        return [], skipped
    left = np.concatenate([f[1] for f in found])
    order = stable_argsort_int(left, positions.height)
    left = left[order]
    sep = np.concatenate([f[3] for f in found])[order]
    which = np.concatenate([np.full(f[1].size, f[0], dtype=np.int64) for f in found])[order]
    trow = np.concatenate([f[2] for f in found])[order]
    flags = [f[4] for f in found if f[4] is not None]
    overlap = pl.concat(flags).gather(order) if opts.with_window else None
    parts = [f[5] for f in found if f[5] is not None]
    feet = pl.concat(parts).gather(order) if opts.footprint else None
    pattern = None if opts.footprint else np.concatenate([f[6] for f in found])[order]
    lut = pl.Series("instruments", lists, dtype=pl.List(labels.instruments))
    frames = []
    for a in range(0, left.size, FRAME_PAIRS):
        b = min(left.size, a + FRAME_PAIRS)
        if feet is not None:
            inst = feet["instruments"].slice(a, b - a)
        else:
            assert pattern is not None
            inst = lut.gather(pattern[a:b])
        piece = None if overlap is None else overlap.slice(a, b - a)
        pairs = (left[a:b], which[a:b], trow[a:b], sep[a:b])
        out = _frame(positions, labels, opts, pairs, inst, piece)
        if feet is not None:
            out = _with_footprint(out, feet.slice(a, b - a))
        frames.append(out)
    return frames, skipped


def _footprint_step(
    positions: pl.DataFrame,
    table: MissionTable,
    left: IntArray,
    trow: IntArray,
    sep: FloatArray,
    flag: pl.Series | None,
) -> tuple[IntArray, IntArray, FloatArray, pl.Series | None, pl.DataFrame]:
    """Keep the pairs a footprint covers (yes / maybe); their footprint columns as a frame
    whose ``instruments`` replaces the circle rule's covering list."""
    from daxa.footprints.assess import assess_pairs
    from daxa.missions.coverage import instrument_lists

    assert table.footprint is not None
    spec = get_mission(table.name)
    pra, pdec = positions["ra"].to_numpy(), positions["dec"].to_numpy()
    cov = assess_pairs(
        table.footprint, spec, table.instruments, table.plan.observed, trow, pra, pdec, sep, left
    )
    keep = np.flatnonzero(cov.status > 0)
    cols = {
        "instruments": instrument_lists(cov.covers[keep], table.instruments),
        **cov.columns(keep),
    }
    flag = None if flag is None else flag.gather(keep)
    return left[keep], trow[keep], sep[keep], flag, pl.DataFrame(cols)


def _with_footprint(frame: pl.DataFrame, feet: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (which has the footprint step's instruments) with its other columns."""
    extra = [c for c in feet.columns if c != "instruments"]
    tail = [HPX] if HPX in frame.columns else []
    order = [c for c in frame.columns if c != HPX] + extra + tail
    return frame.hstack(feet.select(extra)).select(order)


def _frame(
    positions: pl.DataFrame,
    labels: Labels,
    opts: MatchOptions,
    pairs: tuple[IntArray, IntArray, IntArray, FloatArray],
    instruments: pl.Series,
    overlap: pl.Series | None,
) -> pl.DataFrame:
    """Output rows for pairs (position row, table, table row, separation) in output order."""
    left, which, trow, sep = pairs
    cols: dict[str, Any] = {"pos_index": positions["pos_index"].gather(left)}
    if opts.with_id:
        cols["row_id"] = positions["row_id"].gather(left)
    cols["mission"] = labels.missions.gather(which)
    cols["obs_id"] = labels.obs_id.gather(labels.offset[which] + trow)
    cols["separation_deg"] = sep
    cols["instruments"] = instruments.alias("instruments")
    cols["pos_ra"] = positions["ra"].gather(left)
    cols["pos_dec"] = positions["dec"].gather(left)
    if overlap is not None:
        cols["time_overlap"] = overlap
    for name in opts.keep:
        cols[name] = positions[name].gather(left)
    if opts.streaming:
        cols[HPX] = positions[HPX].gather(left)
    return pl.DataFrame(cols)
