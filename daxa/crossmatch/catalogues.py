"""Catalogue × catalogue: all pairs within a radius, the nearest, or the symmetric best match.

:func:`match_catalogues` returns one row per pair — ``left_index``, ``right_index`` (row numbers
in each input), ``separation_deg`` — followed by the chosen columns of the left catalogue and of
the right one (names found on both sides get ``suffix`` on the right). ``how``:

- ``"all"``: every pair within the radius;
- ``"nearest"``: each left row's nearest right row within the radius (a right row may serve
  several left rows);
- ``"best"``: pairs that are each other's nearest, so every row is used at most once.

Ties go to the lowest row number. ``join="left"`` also keeps left rows without a match (right
columns null). The radius is one number (degrees or an angle Quantity), one per row (array or
column name) of the ``radius_of`` side.

Out of core, the left catalogue is cut into HEALPix chunks; each chunk gets the right rows
within the largest radius of its pixels. Pairs are kept only for the chunk's own left rows, so
each appears exactly once; ``"best"`` in chunks takes two phases (a right row's nearest left
row may lie in the next chunk: :mod:`daxa.crossmatch.catalogue_best`). Chunked, local and Dask
runs agree row for row with a match in one piece.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.catalogue_best import BestSink, best_candidates
from daxa.crossmatch.catalogue_chunks import (
    CatalogueOptions,
    How,
    Join,
    catalogue_task,
    match_frames,
)
from daxa.crossmatch.chunked import ChunkPlan, PreparedSource, estimate_row_bytes, open_prepared
from daxa.crossmatch.execution import finish_sink, open_sink, run_tasks
from daxa.crossmatch.inputs import HPX, catalogue_input, column_map, parse_bytes, report_skipped
from daxa.crossmatch.margins import NPIX29, strip_ranges_of_chunks
from daxa.crossmatch.tasks import Task
from daxa.errors import InputError
from daxa.inputs._text import short

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Bytes a left row costs while its chunk is matched, beyond its own columns (as
#: :func:`~daxa.crossmatch.chunked.estimate_row_bytes` counts them): the engine's work and the
#: right rows around it. Measured on 1e7 x 1e6 rows at 2" read from Parquet, one chunk at a
#: time, with the allocators returning memory at once: peak memory grew by 34 B per chunk row
#: (best, nearest and all alike; chunks of 0.66 to 2.64 million rows), of which the row's own
#: columns are 24. The 80 B a row assumed before (never measured) made chunks half the size
#: they could be, and each chunk costs ~3 ms of its own (0.55 s against 0.44 s for best).
ENGINE_BYTES_PER_ROW = 8
#: Fewest left rows in a chunk, whatever the budget (a chunk has costs of its own).
MIN_CHUNK_ROWS = 20_000


def _degrees(radius: Any) -> Any:
    if hasattr(radius, "unit") and hasattr(radius, "to_value"):
        try:
            return radius.to_value("deg")
        except Exception:
            raise InputError(f"radius {radius!r} is not an angle") from None
    return radius


def _choose(columns: Sequence[str] | None, available: list[str], side: str) -> list[str]:
    if columns is None:
        return [c for c in available if c != HPX]
    if isinstance(columns, str):
        columns = [columns]
    missing = [c for c in columns if c not in available]
    if missing:
        raise InputError(
            f"the {side} catalogue has no column {', '.join(map(repr, missing))}; its columns "
            f"are: {', '.join(available)}"
        )
    return list(columns)


def match_catalogues(
    left: Any,
    right: Any,
    radius: Any,
    *,
    how: How = "all",
    join: Join = "inner",
    left_columns: Sequence[str] | None = None,
    right_columns: Sequence[str] | None = None,
    left_ra: str | None = None,
    left_dec: str | None = None,
    right_ra: str | None = None,
    right_dec: str | None = None,
    radius_of: Literal["left", "right"] = "left",
    suffix: str = "_right",
    margin: Any = None,
    output: str | os.PathLike[str] | None = None,
    output_format: Literal["parquet", "hats"] = "parquet",
    memory_budget: int | str = "2GB",
    chunk_rows: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> pl.DataFrame | Path:
    """Match catalogue ``left`` against catalogue ``right`` within ``radius``.

    See the module docstring for ``how``, ``join`` and the output columns. ``left_columns`` /
    ``right_columns`` choose the columns carried over (default: all). Catalogues are any
    input of :mod:`daxa.inputs`; RA/Dec columns are found by UCD, name or unit unless named. ``margin`` (degrees or
    an angle) fixes how far around each chunk rows of the other side are read; it must be at
    least the largest radius (by default it is the largest radius). ``output``, ``client``,
    ``memory_budget`` as in :func:`~daxa.crossmatch.match_observations`.
    """
    from daxa.crossmatch.dask_backend import dask_client

    if how not in ("all", "nearest", "best"):
        raise InputError(f"how={how!r}: choose 'all', 'nearest' or 'best'")
    if join not in ("inner", "left"):
        raise InputError(f"join={join!r}: choose 'inner' or 'left'")
    if radius_of not in ("left", "right"):
        raise InputError(f"radius_of={radius_of!r}: choose 'left' or 'right'")
    budget = parse_bytes(memory_budget)
    lin = catalogue_input(
        left,
        ra=left_ra,
        dec=left_dec,
        radius=radius if radius_of == "left" else None,
        what="left catalogue",
    )
    rin = catalogue_input(
        right,
        ra=right_ra,
        dec=right_dec,
        radius=radius if radius_of == "right" else None,
        what="right catalogue",
    )
    lsrc, rsrc = lin.source, rin.source
    left_ra, left_dec, right_ra, right_dec = lin.ra, lin.dec, rin.ra, rin.dec
    side = lin if radius_of == "left" else rin
    if radius is None or isinstance(radius, Mapping):
        raise InputError(
            f"radius={short(radius)}: give one radius (degrees, an angle, '2 arcsec'), one per "
            f"{radius_of} row, or the name of a {radius_of} radius column"
        )
    radius = side.radius_column or (side.per_row if side.per_row is not None else side.radius)
    l_keep = _choose(left_columns, lsrc.columns, "left")
    r_keep = _choose(right_columns, rsrc.columns, "right")

    radius_column = radius if isinstance(radius, str) else None
    per_row: FloatArray | None = None
    scalar: float | None = None
    if radius_column is None:
        if np.ndim(radius) == 0:
            try:
                scalar = float(radius)
            except (TypeError, ValueError):
                raise InputError(f"radius={radius!r} is not a number of degrees") from None
            if not np.isfinite(scalar) or scalar < 0 or scalar > 180:
                raise InputError(f"radius={radius!r}: give degrees between 0 and 180")
        else:
            per_row = np.asarray(radius, dtype=np.float64)
            owner = lsrc if radius_of == "left" else rsrc
            if per_row.size != owner.n_rows:
                raise InputError(
                    f"{per_row.size} radii given for {owner.n_rows} {radius_of} rows; give one "
                    "per row, a single radius, or the name of a radius column"
                )
    lcols = column_map(
        ra=left_ra,
        dec=left_dec,
        keep=l_keep,
        radius=radius_column if radius_of == "left" else None,
    )
    rcols = column_map(
        ra=right_ra,
        dec=right_dec,
        keep=r_keep,
        radius=radius_column if radius_of == "right" else None,
    )
    lsrc.require(lcols.needed())
    rsrc.require(rcols.needed())
    streaming = output is not None
    r_guess = (
        scalar
        if scalar is not None
        else float(np.max(per_row, initial=0.0))
        if (per_row is not None)
        else 1.0 / 60
    )
    per_left = rsrc.n_rows * (1.0 - np.cos(np.radians(min(r_guess, 180.0)))) / 2.0
    row_bytes = estimate_row_bytes(lsrc, lcols) + ENGINE_BYTES_PER_ROW + 200 * per_left
    rows = chunk_rows or max(MIN_CHUNK_ROWS, int(budget // 2 // row_bytes))
    whole_ok = not streaming and chunk_rows is None
    lprep = open_prepared(
        lsrc,
        lcols,
        memory_budget=budget,
        radius=per_row if radius_of == "left" else None,
        rows_per_chunk=rows if whole_ok else None,
    )
    single = lprep.whole
    rprep = open_prepared(
        rsrc,
        rcols,
        memory_budget=budget,
        radius=per_row if radius_of == "right" else None,
        rows_per_chunk=(10**18 if single else None),
    )
    r_max = scalar if scalar is not None else _max_radius(lprep if radius_of == "left" else rprep)
    if margin is not None:
        m = float(_degrees(margin))
        if r_max > m:
            raise InputError(
                f"the radius ({r_max:g} deg) is bigger than margin={m:g} deg: pairs across chunk "
                "edges would be lost; give a margin at least as large as the largest radius"
            )
    else:
        m = r_max

    right_out = []
    taken = set(["left_index", "right_index", "separation_deg", *l_keep])
    for c in r_keep:
        right_out.append((c, c + suffix if c in taken else c))
    opts = CatalogueOptions(
        how=how,
        join=join,
        radius=scalar,
        radius_of=radius_of,
        left_columns=tuple(l_keep),
        right_columns=tuple(right_out),
        streaming=streaming,
    )
    plan = lprep.plan(rows)
    if how == "best" and len(plan) > 1:
        opts = dataclasses.replace(opts, two_phase=True)
    schema = _schema(lprep, rprep, opts)
    if (
        output is not None
        and output_format == "hats"
        and (left_ra not in l_keep or left_dec not in l_keep)
    ):
        raise InputError(
            f"HATS output needs the left {left_ra!r} and {left_dec!r} columns among left_columns"
        )
    sink, hats_target = open_sink(output, output_format, schema)

    with dask_client(client, scheduler) as dclient:
        tasks = chunk_tasks(lprep, rprep, plan, m, opts)
        target = BestSink(rprep.n_rows, sink, opts, spill=streaming) if opts.two_phase else sink
        skipped = run_tasks(
            tasks,
            target,
            client=dclient,
            progress=progress,
            desc="matching catalogues",
            total_rows=lprep.n_rows,
        )
    if isinstance(target, BestSink):
        try:
            target.finish()
        except BaseException:
            if hasattr(sink, "abort"):
                sink.abort()
            raise
    report_skipped([*lprep.skipped, *skipped], lsrc.n_rows)
    report_skipped(rprep.skipped, rsrc.n_rows)
    result = finish_sink(sink, hats_target, ra=left_ra, dec=left_dec)
    if isinstance(result, Path):
        return result
    if result.height == 0:
        return pl.DataFrame(schema=schema)
    if len(plan) > 1 and not result["left_index"].is_sorted():
        # each chunk's rows are in order and a left row lives in one chunk: when the chunks'
        # rows come in left order (catalogues stored in HEALPix order), so does the whole
        result = result.sort("left_index", "separation_deg", "right_index", nulls_last=True)
    return result.select(list(schema))


def chunk_tasks(
    left: PreparedSource,
    right: PreparedSource,
    plan: ChunkPlan,
    margin: float,
    opts: CatalogueOptions,
) -> list[Task]:
    """One :func:`catalogue_task` per chunk of ``plan``, matching with :func:`match_frames`,
    or with :func:`best_candidates` for the first phase of a symmetric best match in chunks.

    Every chunk's strip (the right rows within ``margin`` of it) is harvested first, in one
    pass over the right side's files, and travels with the task; its own rows are read by the
    task. Sides in memory are sliced here.
    """
    whole = len(plan) == 1 and plan.range(0) == (0, NPIX29)
    right_strips: list[pl.DataFrame] | None = None
    if not whole:
        cells = [plan.cells(i) for i in range(len(plan))]
        bounds = [plan.range(i) for i in range(len(plan))]
        right_strips = right.harvest(strip_ranges_of_chunks(cells, bounds, margin))
    tasks = []
    for i in range(len(plan)):
        lo, hi = plan.range(i)
        lt: PreparedSource | pl.DataFrame
        rt: PreparedSource | pl.DataFrame
        if left.frame is not None:
            lt = left.load_range(lo, hi)[0]
            rows = lt.height
            if rows == 0:
                continue
            if not opts.streaming and HPX in lt.columns:
                lt = lt.drop(HPX)  # as a file read leaves it out: a quarter less to ship
        else:
            lt, rows = left.for_task(), int(plan.rows[i])
        rt = right.load_range(lo, hi)[0] if right.frame is not None else right.for_task()
        rs = right_strips[i] if right_strips is not None else None
        match = best_candidates if opts.two_phase else match_frames
        tasks.append(Task(catalogue_task, (match, lt, rt, rs, lo, hi, opts), rows))
    return tasks


def _max_radius(prepared: PreparedSource) -> float:
    if prepared.frame is not None:
        value = prepared.frame["_radius"].max()
        return float(value) if value is not None else 0.0  # type: ignore[arg-type]
    assert prepared.source is not None
    name = "_radius" if prepared.is_prepared else (prepared.cols.radius or "_radius")
    value = prepared.source.scan([name]).select(pl.col(name).max()).collect().item()
    return float(value) if value is not None else 0.0


def _schema(
    lprep: PreparedSource, rprep: PreparedSource, opts: CatalogueOptions
) -> dict[str, pl.DataType]:
    lschema = (lprep.frame if lprep.frame is not None else lprep.empty()).schema
    rschema = (rprep.frame if rprep.frame is not None else rprep.empty()).schema
    schema: dict[str, pl.DataType] = {
        "left_index": pl.Int64(),
        "right_index": pl.Int64(),
        "separation_deg": pl.Float64(),
    }
    for name in opts.left_columns:
        schema[name] = lschema[name]
    for src, name in opts.right_columns:
        schema[name] = rschema[src]
    if opts.streaming:
        schema[HPX] = pl.Int64()
    return schema
