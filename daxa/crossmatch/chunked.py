"""Out-of-core matching: HEALPix-ordered chunks, their margins, and the memory budget.

A chunk is the set of rows whose ``_healpix_29`` lies in ``[lo, hi)``, with both bounds on
pixel edges at :data:`ALIGN_ORDER`, so every chunk is a union of whole HEALPix pixels (a
HEALPix partition) and its outline is known without looking at its rows. Chunks are planned
from whatever is cheapest to know: the sorted index of an in-memory frame, the row-group
statistics of a HEALPix-sorted Parquet file or HATS catalogue, or (for other files) a histogram
made in one streaming pass, after which the rows are spilled to HEALPix-sorted temporary files.

Pairs across chunk edges are never lost: every row belongs to exactly one chunk (its core),
and the rows of the other side that a chunk needs are those within the *margin* of the
chunk's pixels: the neighbours of the pixels along the chunk's edge, at an order whose pixels
are at least the margin across (:mod:`daxa.crossmatch.margins`). The margin is at least the
match radius by construction, and only a thin strip around the chunk is read.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.frame_pieces import join_frames
from daxa.crossmatch.inputs import ColumnMap, prepare
from daxa.crossmatch.margins import ALIGN_ORDER, NPIX29, range_cells, shift
from daxa.crossmatch.sorted_files import SortedFiles, cut, row_groups
from daxa.errors import InputError
from daxa.inputs.sources import HPX, Source

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Order of the histogram made to plan chunks of files that are not sorted by HEALPix.
HIST_ORDER = 10
#: Rows read at a time when streaming a file.
BATCH_ROWS = 1_000_000


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class ChunkPlan:
    """Chunk ``i`` holds the rows with ``bounds[i] <= _healpix_29 < bounds[i + 1]``."""

    bounds: IntArray
    rows: IntArray  # (estimated) rows per chunk

    def __len__(self) -> int:
        return int(self.bounds.size - 1)

    def range(self, i: int) -> tuple[int, int]:
        return int(self.bounds[i]), int(self.bounds[i + 1])

    def cells(self, i: int) -> list[tuple[int, int]]:
        lo, hi = self.range(i)
        return range_cells(lo, hi)


def _align(values: IntArray) -> IntArray:
    return (values >> shift(ALIGN_ORDER)) << shift(ALIGN_ORDER)


def plan_from_cumulative(keys: IntArray, cumulative: IntArray, rows_per_chunk: int) -> ChunkPlan:
    """Chunks from sorted ``keys`` (order-29 starts of pieces) and rows before each piece.

    ``cumulative[i]`` is the number of rows before piece ``i``; the last entry is the total.
    """
    total = int(cumulative[-1]) if cumulative.size else 0
    n = max(1, math.ceil(total / max(rows_per_chunk, 1)))
    if n == 1 or keys.size == 0:
        return ChunkPlan(np.array([0, NPIX29], dtype=np.int64), np.array([total], dtype=np.int64))
    targets = (np.arange(1, n) * total) // n
    idx = np.searchsorted(cumulative[:-1], targets, side="right") - 1
    cuts = _align(keys[np.clip(idx, 0, keys.size - 1)])
    bounds = np.unique(np.concatenate(([0], cuts, [NPIX29]))).astype(np.int64)
    piece = np.searchsorted(keys, bounds, side="left")
    rows = np.diff(cumulative[np.clip(piece, 0, cumulative.size - 1)])
    rows[-1] = total - int(cumulative[np.clip(piece[-2], 0, cumulative.size - 1)])
    return ChunkPlan(bounds, rows.astype(np.int64))


def plan_sorted_array(hpx_sorted: IntArray, rows_per_chunk: int) -> ChunkPlan:
    """Chunks for an in-memory, sorted ``_healpix_29`` column."""
    n = hpx_sorted.size
    if n <= rows_per_chunk:
        return ChunkPlan(np.array([0, NPIX29], dtype=np.int64), np.array([n], dtype=np.int64))
    k = max(1, math.ceil(n / rows_per_chunk))
    cuts = _align(hpx_sorted[(np.arange(1, k) * n) // k])
    bounds = np.unique(np.concatenate(([0], cuts, [NPIX29]))).astype(np.int64)
    rows = np.diff(np.searchsorted(hpx_sorted, bounds, side="left"))
    return ChunkPlan(bounds, rows.astype(np.int64))


def plan_row_groups(source: Source, rows_per_chunk: int) -> ChunkPlan:
    """Chunks of a HEALPix-sorted Parquet source from its row-group statistics alone.

    A chunk starts between two row groups wherever a pixel edge at ``ALIGN_ORDER`` lies
    between them (usually: on 1e7 rows neighbours are ~20 such pixels apart), so no group is
    cut in two: each is decoded by one chunk, without its ``_healpix_29`` column when the
    reader can spare it (see :meth:`~daxa.crossmatch.sorted_files.SortedFiles.read`)."""
    index = row_groups(source.paths)
    cumulative = np.concatenate(([0], np.cumsum(index.rows))).astype(np.int64)
    keys = index.first.copy()
    s = shift(ALIGN_ORDER)
    between = ((index.last[:-1] >> s) + 1) << s  # the first edge after a group's last row
    clean = between <= index.first[1:]
    keys[1:][clean] = between[clean]
    return plan_from_cumulative(keys, cumulative, rows_per_chunk)


def plan_histogram(counts: IntArray, order: int, rows_per_chunk: int) -> ChunkPlan:
    """Chunks from a per-pixel row count at ``order`` (pixel edges become order-29 keys)."""
    nz = np.flatnonzero(counts)
    keys = nz.astype(np.int64) << shift(order)
    cumulative = np.concatenate(([0], np.cumsum(counts[nz]))).astype(np.int64)
    return plan_from_cumulative(keys, cumulative, rows_per_chunk)


# --------------------------------------------------------------------------- loading chunks


@dataclass
class PreparedSource:
    """A catalogue whose rows can be fetched per HEALPix range in the standard columns.

    Either ``frame`` (in memory, prepared, sorted by ``_healpix_29``) or ``source`` (files
    sorted by ``_healpix_29``, read by row group through ``files`` and prepared on read with
    ``cols``, unless ``is_prepared``).
    """

    cols: ColumnMap
    frame: pl.DataFrame | None = None
    source: Source | None = None
    skipped: list[IntArray] = field(default_factory=list)
    tmpdir: Any = None  # keeps a spill folder alive as long as this object
    is_prepared: bool = False  # the files already hold the standard columns (spilled)
    whole: bool = False  # in memory in one piece, in input order (not sorted by HEALPix)
    files: SortedFiles | None = None

    def __post_init__(self) -> None:
        if self.files is None and self.source is not None:
            columns = self.source.columns if self.is_prepared else [*self.cols.needed(), HPX]
            self.files = SortedFiles(self.source.paths, columns, row_index=not self.is_prepared)

    def _prepared(self, raw: pl.DataFrame, *, hpx: bool = True) -> tuple[pl.DataFrame, IntArray]:
        if self.is_prepared:
            return raw, np.empty(0, dtype=np.int64)
        return prepare(raw, self.cols, healpix=hpx)

    def _hpx(self) -> IntArray:
        assert self.frame is not None
        return self.frame[HPX].to_numpy()

    def load_range(self, lo: int, hi: int, *, hpx: bool = True) -> tuple[pl.DataFrame, IntArray]:
        """Prepared rows of ``[lo, hi)`` and the row numbers skipped there (from files, without
        ``_healpix_29`` when not ``hpx``: it is most of the decoding a caller can spare)."""
        if self.whole:
            assert self.frame is not None
            return self.frame, np.empty(0, dtype=np.int64)
        if self.frame is not None:  # in memory the column costs nothing: it stays
            a, b = np.searchsorted(self._hpx(), [lo, hi], side="left")
            return self.frame.slice(int(a), int(b - a)), np.empty(0, dtype=np.int64)
        assert self.files is not None
        return self._prepared(self.files.read(lo, hi, hpx=hpx), hpx=hpx)

    def harvest(self, ranges: Sequence[tuple[IntArray, IntArray]]) -> list[pl.DataFrame]:
        """Prepared rows of every chunk's ranges (``ranges[i]``: disjoint, sorted ``lo`` and
        ``hi`` arrays of chunk ``i``), reading each row group they touch once."""
        if self.frame is not None:
            hpx = self._hpx()
            return [self.frame[cut(hpx, lo, hi)] for lo, hi in ranges]
        assert self.files is not None
        return [self._prepared(raw)[0] for raw in self.files.harvest(ranges)]

    def empty(self) -> pl.DataFrame:
        if self.frame is not None:
            return self.frame.clear()
        assert self.files is not None
        return self._prepared(self.files.empty())[0]

    def plan(self, rows_per_chunk: int) -> ChunkPlan:
        if self.whole:
            assert self.frame is not None
            return ChunkPlan(np.array([0, NPIX29]), np.array([self.frame.height]))
        if self.frame is not None:
            return plan_sorted_array(self._hpx(), rows_per_chunk)
        assert self.source is not None
        return plan_row_groups(self.source, rows_per_chunk)

    @property
    def n_rows(self) -> int:
        if self.frame is not None:
            return self.frame.height
        assert self.source is not None
        return self.source.n_rows

    def for_task(self) -> PreparedSource:
        """A copy without the in-memory frame, for shipping to a worker that reads files."""
        return PreparedSource(
            self.cols, None, self.source, is_prepared=self.is_prepared, files=self.files
        )


def with_strip(core: pl.DataFrame, strip: pl.DataFrame, lo: int) -> pl.DataFrame:
    """A chunk's core rows (``_healpix_29`` in ``[lo, hi)``) and its strip rows (outside it),
    together in ``_healpix_29`` order: no sort, so rows stored in HEALPix order keep their row
    numbers in order too."""
    if strip.height == 0:
        return core
    if core.height == 0:
        return strip
    at = int(np.searchsorted(strip[HPX].to_numpy(), lo, side="left"))
    parts = [strip.slice(0, at), core, strip.slice(at)]
    return join_frames([p for p in parts if p.height], strip.columns)


def prepare_in_memory(
    source: Source,
    cols: ColumnMap,
    *,
    radius: FloatArray | None = None,
    rows_per_chunk: int | None = None,
) -> PreparedSource:
    """Read and prepare a whole catalogue in memory.

    When it needs more than one chunk, rows are sorted by ``_healpix_29`` (computed if
    absent); a catalogue that fits one chunk keeps its order and skips the HEALPix index.
    """
    extra = [HPX] if HPX in source.columns and HPX not in cols.needed() else []
    raw = source.read(cols.needed() + extra, row_index=True)
    single = rows_per_chunk is not None and raw.height <= rows_per_chunk
    prepared, skipped = prepare(raw, cols, radius=radius, healpix=not single)
    if not single and not prepared[HPX].is_sorted():
        # rows come in input order, so a catalogue already in HEALPix order (HATS, daxa's own
        # outputs) is sorted by (HEALPix, row) as it is: a sort of 1e7 rows costs 0.4 s
        prepared = prepared.sort(HPX, "pos_index")
    return PreparedSource(cols, frame=prepared, skipped=[skipped], whole=single)


def estimate_row_bytes(source: Source, cols: ColumnMap) -> int:
    """A rough size in memory of one prepared row (for sizing chunks)."""
    base = 8 * 4  # pos_index, ra, dec, _healpix_29
    if cols.id is not None:
        base += 24
    if cols.has_window:
        base += 16
    if cols.radius is not None:
        base += 8
    return base + 16 * len(cols.keep)


def open_prepared(
    source: Source,
    cols: ColumnMap,
    *,
    memory_budget: int,
    radius: FloatArray | None = None,
    rows_per_chunk: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> PreparedSource:
    """The catalogue ready for chunked reads: in memory when it fits, else on disk.

    ``rows_per_chunk``: an in-memory catalogue no larger is kept whole (one chunk).

    A HEALPix-sorted Parquet/HATS source is read in place (chunks prune row groups). Any
    other source larger than a quarter of the budget is streamed once to count rows per
    pixel and once more to spill HEALPix-sorted temporary files.
    """
    needed = cols.needed()
    source.require(needed)
    if radius is not None and source.kind not in ("frame", "lazy"):
        raise InputError(
            "a radius per row given as an array needs an in-memory catalogue; for files, name "
            "the radius column instead (radius='column')"
        )
    in_memory = source.kind in ("frame", "lazy") or (
        source.n_rows * estimate_row_bytes(source, cols) * 3 <= memory_budget
    )
    if in_memory:
        return prepare_in_memory(source, cols, radius=radius, rows_per_chunk=rows_per_chunk)
    if source.healpix_sorted and source.kind in ("parquet", "hats"):
        return PreparedSource(cols, source=source)
    return spill(source, cols, memory_budget=memory_budget, progress=progress)


def spill(
    source: Source,
    cols: ColumnMap,
    *,
    memory_budget: int,
    progress: Callable[[int], None] | None = None,
) -> PreparedSource:
    """Stream ``source`` into HEALPix-sorted temporary Parquet files (two passes).

    Pass one reads only the coordinates to count rows per order-:data:`HIST_ORDER` pixel;
    pass two prepares each batch and appends its rows to the file of their chunk, whose rows
    are then sorted. Peak memory is one batch plus one chunk.
    """
    import pyarrow.parquet as pq

    from daxa.sky.healpix import healpix_index

    batch = max(10_000, min(BATCH_ROWS, memory_budget // 400))
    counts = np.zeros(12 * 4**HIST_ORDER, dtype=np.int64)
    for _, frame in source.iter_batches([cols.ra, cols.dec], batch):
        ra = frame[cols.ra].cast(pl.Float64).to_numpy()
        dec = frame[cols.dec].cast(pl.Float64).to_numpy()
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(ra) & np.isfinite(dec) & (np.abs(dec) <= 90)
        pix = healpix_index(np.mod(ra[ok], 360.0), dec[ok], HIST_ORDER)
        counts += np.bincount(pix, minlength=counts.size)
    rows_per_chunk = max(10_000, memory_budget // (8 * estimate_row_bytes(source, cols)))
    plan = plan_histogram(counts, HIST_ORDER, rows_per_chunk)
    tmp = tempfile.TemporaryDirectory(prefix="daxa-spill-")
    folder = Path(tmp.name)
    writers: dict[int, Any] = {}
    skipped: list[IntArray] = []
    try:
        for offset, frame in source.iter_batches(cols.needed(), batch):
            prepared, bad = prepare(frame, cols, offset=offset)
            skipped.append(bad)
            chunk = np.searchsorted(plan.bounds, prepared[HPX].to_numpy(), side="right") - 1
            prepared = prepared.with_columns(pl.Series("__chunk", chunk))
            for (c,), part in prepared.partition_by("__chunk", as_dict=True).items():
                table = part.drop("__chunk").to_arrow()
                writer = writers.get(int(c))  # type: ignore[call-overload]
                if writer is None:
                    writer = pq.ParquetWriter(folder / f"part-{int(c):06d}.parquet", table.schema)  # type: ignore[call-overload]
                    writers[int(c)] = writer  # type: ignore[call-overload]
                writer.write_table(table)
            if progress is not None:
                progress(frame.height)
    finally:
        for writer in writers.values():
            writer.close()
    files = sorted(folder.glob("part-*.parquet"))
    # small row groups: later chunks (planned from row-group statistics) can be finer
    group = int(np.clip(rows_per_chunk // 32, 256, 65_536))
    for f in files:
        pl.read_parquet(f).sort(HPX, "pos_index").write_parquet(f, row_group_size=group)
    if not files:  # no row with usable coordinates: an empty catalogue, in memory
        tmp.cleanup()
        empty, _ = prepare(source.scan(cols.needed()).head(0).collect(), cols)
        return PreparedSource(cols, frame=empty, skipped=skipped)
    spilled = Source("parquet", source.label, [], paths=files, healpix_sorted=True)
    spilled.columns = list(pq.read_schema(files[0]).names)
    return PreparedSource(cols, source=spilled, skipped=skipped, tmpdir=tmp, is_prepared=True)
