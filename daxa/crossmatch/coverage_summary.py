"""Coverage summary: per catalogue row and mission, what covers it, without listing every pair.

Survey-scale catalogues against wide-field instruments (Swift BAT 50°, INTEGRAL 2.4–7°, RASS
3°) make billions of (position, observation) pairs; most users want, per position, how many
observations cover it, their total exposure and the first and last dates. For each row and
mission :func:`coverage_summary` gives ``n_obs``, ``exposure`` (seconds: the sum of the known
exposures; null for a mission or instrument whose table gives none, such as eROSITA's),
``first_start`` and ``last_end``; with ``by_instrument`` also one row per chosen instrument
that has its own exposure column (or, for one-instrument-per-observation missions, its own
rows), counting the observations that instrument covers (the rule of the association table's
``instruments`` list). The mission totals have ``instrument`` null.

Narrow fields are summed over the pairs, a bounded batch at a time. Wide fields are summed
without the pairs: with numba (the ``fast`` extra) by the compiled dual-tree walk of
:mod:`daxa.sky.cap_cover` (HEALPix trees of positions and of fields; a cell pair wholly inside
adds a whole field cell's totals to a whole position cell), otherwise in numpy by HEALPix
cells of positions (a cell wholly inside an observation's radius is counted once for all its
positions). Either way only positions near a field's edge are decided one by one, so the work
scales with the edges of the fields rather than their areas, and every way gives the counts
the association table would.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.chunked import open_prepared
from daxa.crossmatch.execution import chunks_in_flight, row_id_dtype, run_positions
from daxa.crossmatch.inputs import (
    HPX,
    UTC_US,
    catalogue_input,
    check_row_radii,
    column_map,
    parse_bytes,
)
from daxa.crossmatch.observations import (
    MissionTable,
    chunk_cap,
    expected_pairs_per_position,
    load_missions,
    reachable,
)
from daxa.errors import InputError
from daxa.missions import get_mission
from daxa.sky import cap_cover
from daxa.sky.geometry import loosen

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Slack on instrument radii, as the association table's ``instruments`` list uses.
EDGE_DEG = 1e-9
#: Rounding guard when deciding that a whole cell is inside or outside a radius.
GUARD_DEG = 1e-9
#: Most pairs (or cell pairs) held at once.
MAX_PAIRS = 4_000_000
#: Above this many expected pairs per position a mission is summed by cells.
CELL_THRESHOLD = 24.0
#: With numba, the tree walk is used once a chunk's pairs exceed this many per field.
TREE_PAIRS_PER_FIELD = 20.0
_BIG = np.iinfo(np.int64).max
_SMALL = np.iinfo(np.int64).min
_MEMO_LOCK = threading.Lock()


@dataclass(frozen=True)
class CoverClass:
    """One summary line of a mission: the total (instrument None) or one instrument.

    ``radius``: per kept row, or None when the radius comes with each position; ``rows``:
    the kept rows this line can count (None: all).
    """

    instrument: str | None
    radius: FloatArray | None
    applies: BoolArray | None
    exposure: FloatArray
    #: False when the table knows no exposure for this line (eROSITA): the summary says null
    known: bool = True


def cover_classes(table: MissionTable, by_instrument: bool) -> list[CoverClass]:
    """The summary lines of a mission table (see the module docstring)."""
    n = table.ra.size
    if table.radius is None:
        base: FloatArray | None = None
    elif isinstance(table.radius, float):
        base = np.full(n, table.radius)
    else:
        base = table.radius
    extra = table.extra
    total_exp = _ms(extra["exposure"]) if "exposure" in extra.columns else np.zeros(n)
    total_known = "exposure" in extra.columns and _any_known(extra["exposure"])
    out = [CoverClass(None, base, None, total_exp, total_known)]
    # whole milliseconds: sums stay exact whatever the order (see Totals.add)
    spec = get_mission(table.name)
    if not by_instrument or len(table.instruments) < 2:
        return out
    radii = table.plan.instrument_radii
    for k, name in enumerate(table.instruments):
        col = spec.instrument(name).exposure_column
        if not (spec.one_instrument_per_obs or (col is not None and col in extra.columns)):
            continue
        if col is not None and col in extra.columns:
            exp, known = _ms(extra[col]), _any_known(extra[col])
        else:
            exp, known = total_exp, total_known
        if radii is not None:
            r: FloatArray | None = np.full(n, float(radii[k]) + EDGE_DEG)
        else:
            r = base
        out.append(CoverClass(name, r, table.plan.observed[:, k].copy(), exp, known))
    return out


def _any_known(series: pl.Series) -> bool:
    return bool(series.cast(pl.Float64).fill_nan(None).drop_nulls().len())


def _ms(series: pl.Series) -> FloatArray:
    """Seconds as whole milliseconds (float64 holding integers; NaN and null are 0)."""
    values = series.cast(pl.Float64).fill_null(0.0).fill_nan(0.0).to_numpy()
    return np.round(values * 1000.0)


# --------------------------------------------------------------------------- aggregation


@dataclass
class Totals:
    """Per-key running count, exposure sum, earliest start and latest end."""

    count: IntArray
    exposure: FloatArray
    first: IntArray
    last: IntArray

    @classmethod
    def zeros(cls, n: int) -> Totals:
        return cls(
            np.zeros(n, dtype=np.int64),
            np.zeros(n),
            np.full(n, _BIG, dtype=np.int64),
            np.full(n, _SMALL, dtype=np.int64),
        )

    def add(self, keys: IntArray, exposure: FloatArray, start: IntArray, end: IntArray) -> None:
        """Add one observation per entry of ``keys``.

        Exposures come in whole milliseconds, so every partial sum is an integer below 2**53
        and the totals do not depend on the order of addition (chunked = in memory = Dask).
        """
        if keys.size == 0:
            return
        n = self.count.size
        self.count += np.bincount(keys, minlength=n)
        self.exposure += np.bincount(keys, weights=exposure, minlength=n)
        np.minimum.at(self.first, keys, start)
        np.maximum.at(self.last, keys, end)

    def merge_from(self, other: Totals, index: IntArray) -> None:
        """Add ``other`` (per cell) into these (per position): position i gets cell index[i]."""
        self.count += other.count[index]
        self.exposure += other.exposure[index]
        np.minimum(self.first, other.first[index], out=self.first)
        np.maximum(self.last, other.last[index], out=self.last)


def _starts_ends(table: MissionTable) -> tuple[IntArray, IntArray]:
    null = np.iinfo(np.int64).min
    start = np.where(table.start_us == null, _BIG, table.start_us)
    end = np.where(table.end_us == null, _SMALL, table.end_us)
    return start, end


def _direct(
    positions: pl.DataFrame,
    table: MissionTable,
    classes: list[CoverClass],
    rows: IntArray,
    totals: list[Totals],
) -> None:
    """Sum over the pairs themselves, a bounded batch of positions at a time."""
    from daxa.sky.pairs import pair_search

    ra, dec = positions["ra"].to_numpy(), positions["dec"].to_numpy()
    start, end = _starts_ends(table)
    per_pos = max(1.0, expected_pairs_per_position([table], _pos_radius(positions)))
    step = max(1, int(MAX_PAIRS / per_pos))
    r_pos = positions["_radius"].to_numpy() if table.radius is None else None
    for a in range(0, ra.size, step):
        b = min(ra.size, a + step)
        if table.radius is None:
            assert r_pos is not None
            p = pair_search(ra[a:b], dec[a:b], table.ra[rows], table.dec[rows], r_pos[a:b])
        elif isinstance(table.radius, float):
            p = pair_search(ra[a:b], dec[a:b], table.ra[rows], table.dec[rows], table.radius)
        else:
            p = pair_search(
                ra[a:b],
                dec[a:b],
                table.ra[rows],
                table.dec[rows],
                table.radius[rows],
                radius_of="right",
            )
        left = p.left + a
        obs = rows[p.right]
        covers = None
        if table.footprint is not None:  # coverage="footprint": the real fields decide
            covers = _footprint_covers(table, obs, ra, dec, p.separation, left)
        for cls, tot in zip(classes, totals, strict=True):
            keep: Any
            if covers is not None:
                k = None if cls.instrument is None else table.instruments.index(cls.instrument)
                keep = covers.any(axis=1) if k is None else covers[:, k]
            elif cls.instrument is None:
                keep = slice(None)
            else:
                ok = cls.applies[obs] if cls.applies is not None else np.ones(obs.size, bool)
                if cls.radius is not None:
                    ok = ok & (p.separation <= loosen(cls.radius[obs]))  # the radius-0 rule
                keep = ok  # type: ignore[assignment]
            o = obs[keep]
            tot.add(left[keep], cls.exposure[o], start[o], end[o])


def _footprint_covers(
    table: MissionTable,
    obs: IntArray,
    ra: FloatArray,
    dec: FloatArray,
    separation: FloatArray,
    left: IntArray,
) -> BoolArray:
    """(pairs × instruments): does the instrument's footprint hold the position (yes/maybe)?"""
    from daxa.footprints.assess import assess_pairs

    assert table.footprint is not None
    spec = get_mission(table.name)
    cov = assess_pairs(
        table.footprint, spec, table.instruments, table.plan.observed, obs, ra, dec,
        separation, left,
    )  # fmt: skip
    return cov.covers


def _pos_radius(positions: pl.DataFrame) -> float:
    if "_radius" not in positions.columns:
        return 0.0
    value = positions["_radius"].max()
    return float(value) if value is not None else 0.0  # type: ignore[arg-type]


def _cell_order(n_pos: int, area_deg2: float, table: MissionTable) -> int:
    """The HEALPix order of position cells that makes the least work for this table."""
    assert isinstance(table.radius, np.ndarray)
    r = np.radians(np.minimum(table.radius, 180.0))
    best, best_cost = 8, math.inf
    for k in range(2, 13):
        side = math.sqrt(41253.0 / (12 * 4**k))
        rho = math.radians(0.8 * side)
        n_cells = min(n_pos, max(1.0, area_deg2 / side**2))
        cell_pairs = n_cells * float(((1 - np.cos(np.minimum(r + rho, np.pi))) / 2).sum())
        edge = float((np.sin(np.minimum(r, np.pi / 2)) * 2 * np.pi * 2 * rho / (4 * np.pi)).sum())
        cost = cell_pairs + n_pos * edge
        if cost < best_cost:
            best, best_cost = k, cost
    return best


def _by_cells(
    positions: pl.DataFrame,
    table: MissionTable,
    classes: list[CoverClass],
    rows: IntArray,
    totals: list[Totals],
    order: int,
) -> None:
    """Sum by HEALPix cells of positions; only cells on a radius edge go position by position."""
    from daxa.sky.geometry import angular_separation, loosen, separation_from_xyz, xyz
    from daxa.sky.pairs import pair_search

    assert isinstance(table.radius, np.ndarray)
    hpx = positions[HPX].to_numpy()
    sorter = np.argsort(hpx, kind="stable") if not positions[HPX].is_sorted() else None
    pos_idx = sorter if sorter is not None else np.arange(hpx.size)
    cell_key = hpx[pos_idx] >> (2 * (29 - order))
    first = np.flatnonzero(np.concatenate(([True], cell_key[1:] != cell_key[:-1])))
    n_cells = first.size
    bounds = np.append(first, cell_key.size)
    members = np.repeat(np.arange(n_cells), np.diff(bounds))  # cell of each sorted position
    ra_s = positions["ra"].to_numpy()[pos_idx]
    dec_s = positions["dec"].to_numpy()[pos_idx]
    x, y, z = xyz(ra_s, dec_s)
    cx = np.bincount(members, weights=x, minlength=n_cells)
    cy = np.bincount(members, weights=y, minlength=n_cells)
    cz = np.bincount(members, weights=z, minlength=n_cells)
    norm = np.sqrt(cx * cx + cy * cy + cz * cz)
    c_ra = np.degrees(np.arctan2(cy, cx)) % 360.0
    c_dec = np.degrees(np.arcsin(np.clip(cz / norm, -1.0, 1.0)))
    rho = np.zeros(n_cells)
    np.maximum.at(rho, members, angular_separation(ra_s, dec_s, c_ra[members], c_dec[members]))
    rho = rho * (1 + 1e-12) + GUARD_DEG
    rho_max = float(rho.max(initial=0.0))

    ox, oy, oz = xyz(table.ra, table.dec)
    start, end = _starts_ends(table)
    cell_totals = [Totals.zeros(n_cells) for _ in classes]
    bound_totals = [Totals.zeros(hpx.size) for _ in classes]
    o_ra, o_dec = table.ra[rows], table.dec[rows]
    search_r = np.minimum(table.radius[rows] + rho_max, 180.0)
    per_cell = max(1.0, expected_pairs_per_position([table], rho_max))
    step = max(1, int(MAX_PAIRS / per_cell))
    for a in range(0, n_cells, step):
        b = min(n_cells, a + step)
        p = pair_search(c_ra[a:b], c_dec[a:b], o_ra, o_dec, search_r, radius_of="right")
        cell = p.left + a
        obs = rows[p.right]
        s = p.separation
        r_cell = rho[cell]
        edge = np.zeros(cell.size, dtype=bool)
        parts: list[BoolArray] = []
        for cls, tot in zip(classes, cell_totals, strict=True):
            r = cls.radius[obs]  # type: ignore[index]
            near = s - r_cell <= r
            full = near & (s + r_cell <= r)
            if cls.applies is not None:
                ok = cls.applies[obs]
                full &= ok
                near &= ok
            part = near & ~full  # the radius edge crosses the cell: decide per position
            parts.append(part)
            edge |= part
            o = obs[full]
            tot.add(cell[full], cls.exposure[o], start[o], end[o])
        if not edge.any():
            continue
        e_cell, e_obs = cell[edge], obs[edge]
        e_parts = [part[edge] for part in parts]
        sizes = bounds[e_cell + 1] - bounds[e_cell]
        batch = max(1, int(MAX_PAIRS // max(1.0, float(sizes.mean()))))
        for lo in range(0, e_cell.size, batch):
            ec, eo, sz = e_cell[lo : lo + batch], e_obs[lo : lo + batch], sizes[lo : lo + batch]
            rep = np.repeat(np.arange(ec.size), sz)
            offs = np.arange(rep.size) - np.repeat(np.cumsum(sz) - sz, sz)
            pos = bounds[ec][rep] + offs  # index into the HEALPix-sorted positions
            ob = eo[rep]
            sep = separation_from_xyz(x[pos], y[pos], z[pos], ox[ob], oy[ob], oz[ob])
            for cls, tot, part in zip(classes, bound_totals, e_parts, strict=True):
                # only pairs whose cell the edge crosses for this line; the rest are done
                take = part[lo : lo + batch][rep]
                take &= sep <= loosen(cls.radius[ob])  # type: ignore[index]
                o = ob[take]
                tot.add(pos[take], cls.exposure[o], start[o], end[o])
    for tot, ctot, btot in zip(totals, cell_totals, bound_totals, strict=True):
        btot.merge_from(ctot, members)
        # back from sorted order to the chunk's row order
        if sorter is not None:
            inv = np.empty_like(sorter)
            inv[sorter] = np.arange(sorter.size)
            btot = Totals(btot.count[inv], btot.exposure[inv], btot.first[inv], btot.last[inv])
        tot.count += btot.count
        tot.exposure += btot.exposure
        np.minimum(tot.first, btot.first, out=tot.first)
        np.maximum(tot.last, btot.last, out=tot.last)


def _fields(table: MissionTable, classes: list[CoverClass]) -> cap_cover.Fields:
    """All rows of ``table`` as fields of the compiled walk, one class per summary line."""
    start, end = _starts_ends(table)
    radius = np.empty((len(classes), table.ra.size))
    weight = np.empty((len(classes), table.ra.size), dtype=np.int64)
    for c, cls in enumerate(classes):
        assert cls.radius is not None
        radius[c] = cls.radius if cls.applies is None else np.where(cls.applies, cls.radius, np.nan)
        weight[c] = cls.exposure  # whole milliseconds
    return cap_cover.prepare_fields(table.ra, table.dec, radius, weight, start, end)


def _by_tree(
    tree: cap_cover.SkyTree,
    fields: cap_cover.Fields,
    totals: list[Totals],
    threads: int | None = None,
) -> None:
    """Sum by the compiled walk of :mod:`daxa.sky.cap_cover` (numba): the fastest way."""
    got = cap_cover.cap_totals(tree, fields, threads=threads)
    for c, tot in enumerate(totals):
        tot.count += got.count[c]
        tot.exposure += got.weight[c]
        np.minimum(tot.first, got.first[c], out=tot.first)
        np.maximum(tot.last, got.last[c], out=tot.last)


# --------------------------------------------------------------------------- one chunk


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


def summarise_chunk(
    positions: pl.DataFrame,
    skipped: IntArray,
    opts: SummaryOptions,
    shared: dict[str, Any],
) -> tuple[pl.DataFrame, IntArray]:
    """The summary rows of one chunk of prepared positions against every mission."""
    tables: list[MissionTable] = shared["tables"]
    if positions.height == 0:
        return pl.DataFrame(), skipped
    cap = chunk_cap(positions["ra"].to_numpy(), positions["dec"].to_numpy())
    area = 2 * math.pi * (1 - math.cos(math.radians(min(cap[2], 180.0)))) * (180 / math.pi) ** 2
    parts: list[tuple[IntArray, IntArray, IntArray, FloatArray, IntArray, IntArray]] = []
    lines: list[tuple[int, int, str, str | None]] = []
    tree = None
    # what depends on the tables alone is worked out once, not once per chunk
    memo = shared.setdefault("_memo", {})
    for table in tables:
        rows = reachable(table, cap, _pos_radius(positions))
        if rows.size == 0:
            continue
        key = (table.name, opts.by_instrument)
        if key not in memo:
            memo[key] = (
                cover_classes(table, opts.by_instrument),
                expected_pairs_per_position([table]),
            )
        classes, per_position = memo[key]
        totals = [Totals.zeros(positions.height) for _ in classes]
        use_cells = (
            table.footprint is None
            and isinstance(table.radius, np.ndarray)
            and (
                opts.method in ("cells", "tree")
                or (opts.method == "auto" and per_position > CELL_THRESHOLD)
            )
        )
        # the walk costs a pass over every field: worth it once the pairs outnumber them
        many = positions.height * per_position > TREE_PAIRS_PER_FIELD * table.ra.size
        if use_cells and (
            opts.method == "tree" or opts.method == "auto" and cap_cover.available() and many
        ):
            if tree is None:
                hpx = positions[HPX].to_numpy()
                tree = cap_cover.build_tree(
                    positions["ra"].to_numpy(), positions["dec"].to_numpy(), hpx
                )
            fields_key = (*key, "fields")
            with _MEMO_LOCK:  # chunks in flight at once build a table's fields once
                if fields_key not in memo:
                    memo[fields_key] = _fields(table, classes)
            _by_tree(tree, memo[fields_key], totals, opts.walk_threads)
        elif use_cells:
            order = _cell_order(positions.height, max(area, 1e-6), table)
            _by_cells(positions, table, classes, rows, totals, order)
        else:
            _direct(positions, table, classes, rows, totals)
        for cls, tot in zip(classes, totals, strict=True):
            hit = np.flatnonzero(tot.count)
            if hit.size == 0:
                continue
            line = 0 if cls.instrument is None else 1 + table.instruments.index(cls.instrument)
            lines.append((table.rank, line, table.name, cls.instrument))
            parts.append(
                (
                    hit,
                    np.full(hit.size, len(lines) - 1, dtype=np.int64),
                    tot.count[hit],
                    tot.exposure[hit] if cls.known else np.full(hit.size, np.nan),
                    tot.first[hit],
                    tot.last[hit],
                )
            )
    if not parts:
        return pl.DataFrame(), skipped
    if "labels" not in memo:
        memo["labels"] = _labels(tables)
    return _summary_rows(positions, parts, lines, opts, memo["labels"]), skipped


def _labels(tables: list[MissionTable]) -> tuple[pl.Enum, pl.Enum]:
    """The enums of the ``mission`` and ``instrument`` columns: every mission and instrument
    of the run, so that all chunks (and Dask workers) make the same dtype."""
    missions = dict.fromkeys(t.name for t in tables)
    instruments = dict.fromkeys(i for t in tables for i in t.instruments)
    return pl.Enum(list(missions)), pl.Enum(list(instruments))


def _summary_rows(
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
    cols["first_start"] = _times(first[order], _BIG)
    cols["last_end"] = _times(last[order], _SMALL)
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


# --------------------------------------------------------------------------- public API


def coverage_summary(
    catalogue: Any,
    missions: Any = None,
    *,
    ra: str | None = None,
    dec: str | None = None,
    id: str | None = None,
    radius: Any = None,
    instruments: Mapping[str, Any] | None = None,
    by_instrument: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    tables: Mapping[str, pl.DataFrame] | None = None,
    method: Literal["auto", "pairs", "cells", "tree"] = "auto",
    output: str | os.PathLike[str] | None = None,
    output_format: Literal["parquet", "hats"] = "parquet",
    memory_budget: int | str = "2GB",
    chunk_rows: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    progress: bool = True,
    coverage: str = "circle",
) -> pl.DataFrame | Path:
    """Per catalogue row and mission: observations covering it, exposure, first/last dates.

    Arguments as for :func:`~daxa.crossmatch.match_observations` (no time windows).
    ``method`` chooses how wide fields are summed; all give the same numbers. ``'pairs'``
    sums the pairs; ``'cells'`` and ``'tree'`` sum by HEALPix cells of positions, in numpy or
    by the compiled walk of :mod:`daxa.sky.cap_cover` (needs numba, the ``fast`` extra);
    ``'auto'`` uses the tree (else cells) for missions whose fields cover many positions
    each, and pairs for the rest. Rows come
    sorted by ``pos_index`` and mission (registry order), the total before its instruments.
    ``coverage="footprint"`` counts the observations whose real field holds the row (covered
    yes or maybe, :mod:`daxa.footprints`); it sums over the pairs whatever ``method`` says.
    """
    from daxa.footprints.assess import check_coverage

    coverage = check_coverage(coverage)
    if method not in ("auto", "pairs", "cells", "tree"):
        raise InputError(f"method={method!r}: choose 'auto', 'pairs', 'cells' or 'tree'")
    if method == "tree" and not cap_cover.available():
        raise InputError(
            "method='tree' needs numba, which is not installed: pip install numba "
            "(or use method='cells', the same numbers more slowly)"
        )
    budget = parse_bytes(memory_budget)
    given = catalogue_input(catalogue, ra=ra, dec=dec, id=id, radius=radius)
    source, radius = given.source, given.radius
    per_row_radius, radius_column = given.per_row, given.radius_column
    cols = column_map(ra=given.ra, dec=given.dec, id=given.id, radius=radius_column)
    source.require(cols.needed())
    check_row_radii(per_row_radius, source.n_rows)
    per_row = per_row_radius is not None or radius_column is not None
    extra_cols = ["exposure", *{c for c in _exposure_columns()}]
    prepared_tables = load_missions(
        missions,
        tables=tables,
        cache_dir=cache_dir,
        instruments=instruments,
        radius=None if per_row else radius,
        per_row=per_row,
        extra_columns=extra_cols,
        coverage=coverage,
    )
    wide = _wide_tables(prepared_tables)
    _warn_if_slow(wide, method)
    if method == "tree" or (method == "auto" and wide):
        cap_cover.preload()  # numba loads the walk while the input is sorted
    prepared = open_prepared(source, cols, memory_budget=budget, radius=per_row_radius)
    streaming = output is not None
    in_flight = chunks_in_flight(client, scheduler)
    walk_threads = None if in_flight == 1 else max(1, (os.cpu_count() or 1) // in_flight)
    opts = SummaryOptions(cols.id is not None, by_instrument, streaming, method, walk_threads)
    id_dtype = None
    if cols.id is not None:
        id_dtype = row_id_dtype(prepared)
    schema = summary_schema(opts, id_dtype)
    # a third of the budget for the chunks in flight (the input and its sorted copy take most
    # of the rest; measured: 1e7 positions × 12 missions peaked at 1.64 GiB of a 2 GB budget)
    share = budget // 3 // in_flight
    rows = chunk_rows or max(20_000, share // _bytes_per_position(prepared_tables, by_instrument))
    plan = prepared.plan(rows)
    result = run_positions(
        prepared,
        plan,
        summarise_chunk,
        opts,
        tables=prepared_tables,
        n_rows=source.n_rows,
        schema=schema,
        output=output,
        output_format=output_format,
        client=client,
        scheduler=scheduler,
        progress=progress,
        desc="coverage summary",
    )
    if isinstance(result, Path):
        return result
    if result.height == 0:
        return pl.DataFrame(schema=schema)
    result = result.cast(schema)  # type: ignore[arg-type]  # the enum labels as strings
    if len(plan) > 1:
        rank = {t.name: t.rank for t in prepared_tables}
        line = pl.col("instrument").is_not_null().cast(pl.Int32)
        result = (
            result.with_columns(
                _r=pl.col("mission").replace_strict(rank, return_dtype=pl.Int32), _l=line
            )
            .sort("pos_index", "_r", "_l", maintain_order=True)
            .drop("_r", "_l")
        )
    return result.select(list(schema))


def _wide_tables(tables: list[MissionTable]) -> list[str]:
    """Missions whose fields are wide enough to be summed by cells or the tree in ``auto``."""
    return [
        t.name
        for t in tables
        if isinstance(t.radius, np.ndarray) and expected_pairs_per_position([t]) > CELL_THRESHOLD
    ]


def _warn_if_slow(wide: list[str], method: str) -> None:
    """Say so when wide fields will be summed in numpy because numba is missing."""
    if method != "auto" or cap_cover.available() or not wide:
        return
    warnings.warn(
        f"coverage_summary: {', '.join(wide)} have wide fields; without numba they are "
        "summed in numpy, hundreds of times more slowly. pip install numba",
        stacklevel=3,
    )


def _bytes_per_position(tables: list[MissionTable], by_instrument: bool = True) -> int:
    """Memory one position of a chunk takes: its totals, and the summary rows it is likely
    to get: one per summary line that covers it, a line with ``λ`` fields per position (on
    average over the sky) covering a position with the Poisson chance ``1 - exp(-λ)``."""
    total = 400
    for t in tables:
        for cls in cover_classes(t, by_instrument):
            if cls.radius is None:  # radii come with the positions
                pairs = expected_pairs_per_position([t])
            else:
                cap = 0.5 * (1.0 - np.cos(np.radians(np.minimum(cls.radius, 180.0))))
                pairs = float(np.nansum(cap if cls.applies is None else cap * cls.applies))
            # 32 bytes of running totals; ~350 per summary row while it is built, sorted and
            # written (measured: 1e7 positions × 12 missions, 8.3 rows per position, as the
            # peak memory grew with the chunk size: ~310 bytes a row)
            total += int(32 + 350 * -math.expm1(-pairs))
    return total


def _exposure_columns() -> list[str]:
    from daxa.missions import MISSIONS

    return sorted(
        {i.exposure_column for m in MISSIONS.values() for i in m.instruments if i.exposure_column}
    )


__all__ = ["coverage_summary"]
