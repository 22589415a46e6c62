"""Positions × observations: every catalogue row against the observation tables of missions.

:func:`match_observations` takes a catalogue (path or frame; see :mod:`daxa.crossmatch.inputs`)
and returns the tidy association table of the positions filter — ``pos_index, mission, obs_id,
separation_deg, instruments, pos_ra, pos_dec`` — plus ``row_id`` (the user's id column, when
named) and ``time_overlap`` (when time windows are given: the observation's ``[start, end]``
overlaps the row's window, bounds inclusive; null where the row has no window). With
``coverage="footprint"`` the pairs are decided by the instruments' real fields
(:mod:`daxa.footprints`) and gain ``covered``, ``offaxis_arcmin``, ``footprint_instrument`` and
``owner_tile``. Radii take
every form the positions filter takes (default per-row 1.2 × FoV of the chosen instruments
that observed, degrees, ``{instrument: radius}``, one per row as an array or a column name).

Big catalogues are cut into HEALPix-ordered chunks sized by ``memory_budget``; each chunk is
matched against every mission on its own (the observation tables are small and stay in
memory), so chunked, local and Dask runs give the same rows. Results come back as one frame
sorted by ``pos_index``, mission (registry order) and separation (ties in table order), or are
streamed to Parquet (``output=``) in HEALPix order with the position's ``_healpix_29``.

The mission tables are prepared by :mod:`daxa.crossmatch.mission_tables`, each chunk is
matched by :mod:`daxa.crossmatch.observation_chunks`; this module sizes the chunks and runs them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from daxa.crossmatch.chunked import open_prepared
from daxa.crossmatch.execution import (
    chunks_in_flight,
    row_id_dtype,
    run_positions,
    warn_if_kept_too_large,
)
from daxa.crossmatch.inputs import catalogue_input, check_row_radii, column_map, parse_bytes
from daxa.crossmatch.mission_tables import expected_pairs_per_position, load_missions
from daxa.crossmatch.observation_chunks import (
    NEVER_NULL,
    MatchOptions,
    match_chunk,
    output_schema,
)
from daxa.crossmatch.sinks import as_declared
from daxa.errors import InputError

#: Rough bytes per output pair while a chunk is being built (pairs, lists, sort buffers).
BYTES_PER_PAIR = 400
#: Rough bytes per prepared position while a chunk is being matched.
BYTES_PER_POSITION = 120
#: A chunk never has fewer positions than this (unless the catalogue is smaller).
MIN_CHUNK_ROWS = 20_000
#: Memory of one pair kept in memory (row number, mission, observation id, separation,
#: instruments, position): 67 bytes measured on 586k pairs of 1e5 positions.
PAIR_BYTES_IN_MEMORY = 70


# --------------------------------------------------------------------------- public API


def rows_per_chunk(memory_budget: int, pairs_per_position: float, n_rows: int) -> int:
    """Positions per chunk so that one chunk's work fits a quarter of the budget."""
    per = BYTES_PER_POSITION + BYTES_PER_PAIR * max(pairs_per_position, 0.0)
    rows = int(memory_budget / 4 / per)
    return max(MIN_CHUNK_ROWS, min(rows, max(n_rows, 1)))


def match_observations(
    catalogue: Any,
    missions: Any = None,
    *,
    ra: str | None = None,
    dec: str | None = None,
    id: str | None = None,
    start: str | None = None,
    end: str | None = None,
    epoch: str | None = None,
    window: Any = None,
    radius: Any = None,
    instruments: Mapping[str, Any] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    tables: Mapping[str, pl.DataFrame] | None = None,
    overlap_only: bool = False,
    keep: Iterable[str] | str | None = None,
    time_format: str | None = None,
    output: str | os.PathLike[str] | None = None,
    output_format: Literal["parquet", "hats"] = "parquet",
    memory_budget: int | str = "2GB",
    chunk_rows: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    progress: bool = True,
    coverage: str = "circle",
) -> pl.DataFrame | Path:
    """Match every row of ``catalogue`` against the observations of ``missions``.

    ``catalogue``: any input of :mod:`daxa.inputs` (a path, SkyCoord, astropy/pandas/polars/
    Arrow table, pyvo result, list of pairs). ``ra``/``dec``: column names (default: found by
    UCD, name or unit); ``id`` (as ``row_id``) and ``keep`` columns are carried into every
    pair. ``radius``: degrees, an angle or ``'10arcmin'``, ``{instrument: radius}``, one per
    row (array) or the name of a radius column.
    ``missions``: names, ``'all'`` or None (all; or the keys of ``tables`` when given).
    ``tables`` maps missions to already loaded normalised tables (else ``daxa.cache.load``).
    Time windows: ``start``/``end`` columns, or ``epoch`` with ``window`` (a timedelta for
    ±Δt, or ``(before, after)``); ``overlap_only`` keeps only pairs that overlap in time;
    numeric time columns need ``time_format`` (e.g. ``'mjd'``).
    ``output`` streams the result to a Parquet file (or a HATS folder with
    ``output_format='hats'``) and returns its path; without it, a warning comes first when
    the expected pairs would outgrow ``memory_budget`` in memory (Swift BAT's wide fields
    alone give ~10^5 pairs a position). ``client`` (a ``distributed.Client``) or
    ``scheduler`` (its address) runs the HEALPix chunks on Dask. ``coverage``:
    ``"circle"`` (default) or ``"footprint"`` (see the module docstring).
    """
    from daxa.footprints.assess import check_coverage

    coverage = check_coverage(coverage)
    budget = parse_bytes(memory_budget)
    given = catalogue_input(catalogue, ra=ra, dec=dec, id=id, radius=radius, keep=keep)
    source, radius = given.source, given.radius
    per_row_radius, radius_column = given.per_row, given.radius_column
    cols = column_map(
        ra=given.ra,
        dec=given.dec,
        id=given.id,
        start=start,
        end=end,
        epoch=epoch,
        window=window,
        radius=radius_column,
        keep=given.keep,
        time_format=time_format,
    )
    if overlap_only and not cols.has_window:
        raise InputError("overlap_only=True needs time windows (start=/end= or epoch=/window=)")
    source.require(cols.needed())
    check_row_radii(per_row_radius, source.n_rows)
    per_row = per_row_radius is not None or radius_column is not None
    prepared_tables = load_missions(
        missions,
        tables=tables,
        cache_dir=cache_dir,
        instruments=instruments,
        radius=None if per_row else radius,
        per_row=per_row,
        coverage=coverage,
    )
    streaming = output is not None
    r_pos = float(np.max(per_row_radius, initial=0.0)) if per_row_radius is not None else 1.0
    pairs_per_position = expected_pairs_per_position(prepared_tables, r_pos)
    if not streaming:
        warn_if_kept_too_large(
            "match_observations",
            "pairs",
            source.n_rows * pairs_per_position,
            PAIR_BYTES_IN_MEMORY,
            budget,
            "give output='pairs.parquet' to stream them to a file within the budget, choose "
            "instruments= (Swift BAT's and INTEGRAL's wide fields give thousands of pairs a "
            "position), or use coverage_summary for counts per position",
        )
    rows = chunk_rows or rows_per_chunk(
        budget // chunks_in_flight(client, scheduler), pairs_per_position, source.n_rows
    )
    prepared = open_prepared(
        source,
        cols,
        memory_budget=budget,
        radius=per_row_radius,
        rows_per_chunk=None if streaming or chunk_rows else rows,
    )
    opts = MatchOptions(
        cols.id is not None,
        cols.has_window,
        overlap_only,
        streaming,
        cols.keep,
        coverage == "footprint",
    )
    id_dtype = None
    if cols.id is not None:
        id_dtype = row_id_dtype(prepared)
    kept = {}
    if cols.keep:
        empty = prepared.frame if prepared.frame is not None else prepared.empty()
        kept = {k: empty.schema[k] for k in cols.keep}
    schema = output_schema(opts, id_dtype, kept)
    plan = prepared.plan(rows)
    result = run_positions(
        prepared,
        plan,
        match_chunk,
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
        desc="matching observations",
    )
    if isinstance(result, Path):
        return result
    if result.height == 0:
        return pl.DataFrame(schema=schema)
    # the mission enum lists the tables in registry order: its codes sort like the ranks
    rank = pl.col("mission").to_physical()
    result = result.sort(["pos_index", rank, "separation_deg"], maintain_order=True)
    return as_declared(result, schema)
