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

The lines and totals live in :mod:`daxa.crossmatch.coverage_totals`, the sums by pairs in
:mod:`daxa.crossmatch.coverage_pairs`, by cells or the walk in :mod:`daxa.crossmatch.coverage_cells`
and the output rows in :mod:`daxa.crossmatch.coverage_rows`; this module sums each chunk and runs
them.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.chunked import open_prepared
from daxa.crossmatch.coverage_cells import cell_order, sum_by_cells, sum_by_tree, tree_fields
from daxa.crossmatch.coverage_pairs import pos_radius, sum_pairs
from daxa.crossmatch.coverage_rows import (
    NEVER_NULL,
    SummaryOptions,
    summary_labels,
    summary_rows,
    summary_schema,
)
from daxa.crossmatch.coverage_totals import Totals, cover_classes
from daxa.crossmatch.execution import (
    chunks_in_flight,
    row_id_dtype,
    run_positions,
    warn_if_kept_too_large,
)
from daxa.crossmatch.inputs import HPX, catalogue_input, check_row_radii, column_map, parse_bytes
from daxa.crossmatch.mission_tables import (
    MissionTable,
    chunk_cap,
    expected_pairs_per_position,
    load_missions,
    reachable,
)
from daxa.errors import InputError
from daxa.sky import cap_cover

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Above this many expected pairs per position a mission is summed by cells.
CELL_THRESHOLD = 24.0
#: With numba, the tree walk is used once a chunk's pairs exceed this many per field.
TREE_PAIRS_PER_FIELD = 20.0
#: Memory of one summary row kept in memory: eight numbers and two string labels (as views).
_ROW_BYTES_IN_MEMORY = 104
_MEMO_LOCK = threading.Lock()


# --------------------------------------------------------------------------- one chunk


def summing_way(
    table: MissionTable, method: str, per_position: float, n_positions: int
) -> Literal["tree", "cells", "pairs"]:
    """How a mission's fields are summed over ``n_positions`` positions: by the compiled walk,
    numpy cells or the pairs (the rule of ``method``, see :func:`coverage_summary`)."""
    wide = (
        table.footprint is None
        and isinstance(table.radius, np.ndarray)
        and (method in ("cells", "tree") or (method == "auto" and per_position > CELL_THRESHOLD))
    )
    if not wide:
        return "pairs"
    # the walk costs a pass over every field: worth it once the pairs outnumber them
    many = n_positions * per_position > TREE_PAIRS_PER_FIELD * table.ra.size
    if method == "tree" or (method == "auto" and cap_cover.available() and many):
        return "tree"
    return "cells"


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
        rows = reachable(table, cap, pos_radius(positions))
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
        way = summing_way(table, opts.method, per_position, positions.height)
        if way == "tree":
            if tree is None:
                hpx = positions[HPX].to_numpy()
                tree = cap_cover.build_tree(
                    positions["ra"].to_numpy(), positions["dec"].to_numpy(), hpx
                )
            fields_key = (*key, "fields")
            with _MEMO_LOCK:  # chunks in flight at once build a table's fields once
                if fields_key not in memo:
                    memo[fields_key] = tree_fields(table, classes)
            fields = memo[fields_key]
            if isinstance(fields, Future):  # built beside the input's preparation
                fields = fields.result()
            sum_by_tree(tree, fields, totals, opts.walk_threads)
        elif way == "cells":
            order = cell_order(positions.height, max(area, 1e-6), table)
            sum_by_cells(positions, table, classes, rows, totals, order)
        else:
            sum_pairs(positions, table, classes, rows, totals)
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
        memo["labels"] = summary_labels(tables)
    return summary_rows(positions, parts, lines, opts, memo["labels"]), skipped


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
    rows_per_position = _rows_per_position(prepared_tables, by_instrument)
    if output is None:
        warn_if_kept_too_large(
            "coverage_summary",
            "summary rows",
            source.n_rows * rows_per_position,
            _ROW_BYTES_IN_MEMORY,
            budget,
            "give output='summary.parquet' to stream them to a file within the budget",
        )
    memo: dict[Any, Any] = {}
    if method == "tree" or (method == "auto" and wide):
        cap_cover.preload()  # numba loads the walk while the input is sorted
        if client is None and scheduler is None:  # ... and the fields are built meanwhile
            memo = _fields_in_background(prepared_tables, by_instrument, method, source.n_rows)
    prepared = open_prepared(source, cols, memory_budget=budget, radius=per_row_radius)
    streaming = output is not None
    in_flight = chunks_in_flight(client, scheduler)
    # the walk's threads follow the engine's rule (DAXA_THREADS; one thread inside a chunk
    # worker or a Dask worker, whose neighbours already fill the cores)
    opts = SummaryOptions(cols.id is not None, by_instrument, streaming, method, None)
    id_dtype = None
    if cols.id is not None:
        id_dtype = row_id_dtype(prepared)
    schema = summary_schema(opts, id_dtype)
    # a third of the budget for the chunks in flight (the input and its sorted copy take most
    # of the rest; measured: 1e7 positions × 12 missions peaked at 1.64 GiB of a 2 GB budget)
    share = budget // 3 // in_flight
    per_position = _bytes_per_position(prepared_tables, by_instrument, rows_per_position)
    rows = chunk_rows or max(20_000, share // per_position)
    plan = prepared.plan(rows)
    result = run_positions(
        prepared,
        plan,
        summarise_chunk,
        opts,
        tables=prepared_tables,
        n_rows=source.n_rows,
        schema=schema,
        required=NEVER_NULL,
        output=output,
        output_format=output_format,
        client=client,
        scheduler=scheduler,
        progress=progress,
        desc="coverage summary",
        shared={"_memo": memo},
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


def _fields_in_background(
    tables: list[MissionTable], by_instrument: bool, method: str, n_rows: int
) -> dict[Any, Any]:
    """Start building the walk's fields of the wide tables (Swift and INTEGRAL take ~1.5 s,
    which the first chunks waited for, one core idle) on two threads while the input is
    prepared; their futures, under the keys :func:`summarise_chunk` looks up."""
    memo: dict[Any, Any] = {}
    jobs = []
    for table in tables:
        per_position = expected_pairs_per_position([table])
        if summing_way(table, method, per_position, n_rows) != "tree":  # (a chunk has fewer)
            continue
        classes = cover_classes(table, by_instrument)
        memo[(table.name, by_instrument)] = (classes, per_position)
        jobs.append(((table.name, by_instrument, "fields"), table, classes))
    if not jobs:
        return memo
    # named as chunk workers: each builds on one thread, the two side by side
    pool = ThreadPoolExecutor(2, thread_name_prefix="daxa-chunk-fields")
    for key, table, classes in jobs:
        memo[key] = pool.submit(tree_fields, table, classes)
    pool.shutdown(wait=False)
    return memo


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


def _bytes_per_position(
    tables: list[MissionTable], by_instrument: bool, rows_per_position: float
) -> int:
    """Memory one position of a chunk takes: its totals (32 bytes a summary line), and the
    summary rows it is likely to get (:func:`_rows_per_position`), ~350 bytes each while
    they are built, sorted and written (measured: 1e7 positions × 12 missions, 8.3 rows per
    position, as the peak memory grew with the chunk size: ~310 bytes a row)."""
    lines = sum(len(cover_classes(t, by_instrument)) for t in tables)
    return int(400 + 32 * lines + 350 * rows_per_position)


def _rows_per_position(tables: list[MissionTable], by_instrument: bool = True) -> float:
    """Summary rows a position gets on average over the sky: one per summary line that covers
    it, a line with ``λ`` fields per position covering a position with the Poisson chance
    ``1 - exp(-λ)``."""
    total = 0.0
    for t in tables:
        for cls in cover_classes(t, by_instrument):
            if cls.radius is None:  # radii come with the positions
                pairs = expected_pairs_per_position([t])
            else:
                cap = 0.5 * (1.0 - np.cos(np.radians(np.minimum(cls.radius, 180.0))))
                pairs = float(np.nansum(cap if cls.applies is None else cap * cls.applies))
            total += -math.expm1(-pairs)
    return total


def _exposure_columns() -> list[str]:
    from daxa.missions import MISSIONS

    return sorted(
        {i.exposure_column for m in MISSIONS.values() for i in m.instruments if i.exposure_column}
    )


__all__ = ["coverage_summary"]
