"""One chunk of positions against every mission: the association rows of :func:`match_observations`.

:func:`match_chunk` finds the pairs of a chunk of prepared positions with each mission table
(within the radius; the time-window overlap; with ``coverage="footprint"`` the instruments'
real fields decide) and builds the output rows a slice of pairs at a time, in the schema
:func:`output_schema` gives for the run's :class:`MatchOptions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.inputs import HPX
from daxa.crossmatch.mission_tables import NULL_US, MissionTable, chunk_cap, epoch_us, reachable
from daxa.errors import InputError
from daxa.missions import get_mission
from daxa.missions.coverage import covering_lists

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


def match_chunk(
    positions: pl.DataFrame,
    skipped: IntArray,
    opts: MatchOptions,
    shared: dict[str, Any],
) -> tuple[Iterable[pl.DataFrame], IntArray]:
    """The association rows of one chunk of prepared positions against every mission.

    The frames come lazily, a slice of pairs at a time (see :data:`FRAME_PAIRS`).

    Rows come in the chunk's row order (HEALPix order for sorted chunks), then mission
    (registry order), then table row: a stable radix sort on the row, no comparison sort.
    """
    from daxa.sky._join import stable_argsort_int

    tables: list[MissionTable] = shared["tables"]
    if positions.height == 0:
        return [], skipped
    cap = chunk_cap(positions["ra"].to_numpy(), positions["dec"].to_numpy())
    r_pos = float(positions["_radius"].max()) if "_radius" in positions.columns else 0.0  # type: ignore[arg-type]
    found = []
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
            found.append((t, left, trow, sep, flag, foot))
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

    def frames() -> Iterator[pl.DataFrame]:
        # the output is built a slice of pairs at a time, as the sink takes it: a chunk that
        # reaches many wide fields only ever holds its raw pairs (24 bytes each) in full
        for a in range(0, left.size, FRAME_PAIRS):
            b = min(left.size, a + FRAME_PAIRS)
            piece = None if overlap is None else overlap.slice(a, b - a)
            out = _frame(positions, tables, opts, left[a:b], which[a:b], trow[a:b], sep[a:b], piece)
            if feet is not None:
                out = _with_footprint(out, feet.slice(a, b - a))
            yield out

    return frames(), skipped


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
    """``frame`` with the footprint step's instruments and columns (same pairs, same order)."""
    extra = [c for c in feet.columns if c != "instruments"]
    tail = [HPX] if HPX in frame.columns else []
    order = [c for c in frame.columns if c != HPX] + extra + tail
    return frame.drop("instruments").hstack(feet).select(order)


def _frame(
    positions: pl.DataFrame,
    tables: list[MissionTable],
    opts: MatchOptions,
    left: IntArray,
    which: IntArray,
    trow: IntArray,
    sep: FloatArray,
    overlap: pl.Series | None,
) -> pl.DataFrame:
    """Output rows for pairs already in output order."""
    cols: dict[str, Any] = {"pos_index": positions["pos_index"].gather(left)}
    if opts.with_id:
        cols["row_id"] = positions["row_id"].gather(left)
    present = np.unique(which)
    names = pl.Series([tables[int(t)].name for t in present], dtype=pl.String)
    slot = np.zeros(len(tables), dtype=np.int64)
    slot[present] = np.arange(present.size)
    cols["mission"] = names.gather(slot[which])
    parts_ids, parts_inst, parts_pos = [], [], []
    for t in present.tolist():
        at = np.flatnonzero(which == t)
        table = tables[t]
        parts_ids.append(table.obs_id.gather(trow[at]))
        if not opts.footprint:  # the footprint step brings its own list
            parts_inst.append(
                covering_lists(
                    table.plan.observed,
                    trow[at],
                    sep[at],
                    table.plan.instrument_radii,
                    table.instruments,
                )
            )
        parts_pos.append(at)
    back = np.empty(left.size, dtype=np.int64)
    back[np.concatenate(parts_pos)] = np.arange(left.size)
    ids = pl.concat(parts_ids).gather(back)
    inst = (
        pl.concat(parts_inst).gather(back)
        if parts_inst
        else pl.Series("instruments", [None] * left.size, dtype=pl.List(pl.String))
    )
    cols["obs_id"] = ids
    cols["separation_deg"] = sep
    cols["instruments"] = inst
    cols["pos_ra"] = positions["ra"].gather(left)
    cols["pos_dec"] = positions["dec"].gather(left)
    if overlap is not None:
        cols["time_overlap"] = overlap
    for name in opts.keep:
        cols[name] = positions[name].gather(left)
    if opts.streaming:
        cols[HPX] = positions[HPX].gather(left)
    return pl.DataFrame(cols)
