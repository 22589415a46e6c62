"""HEALPix-sorted Parquet files read by row group: a chunk's rows, and every chunk's margin strips.

A catalogue stored in ``_healpix_29`` order (daxa's own outputs, HATS partitions, spilled
inputs) is read here without a query engine: the row groups' ``_healpix_29`` statistics say
which groups hold a HEALPix range, pyarrow decodes just those, and a binary search on the sorted
column cuts the exact rows. Measured on a 1e7-row file of 100 groups: a polars filter with one
range term per margin piece took 2.2 s over 64 chunks (most of it planning and evaluating the
terms), decoding the groups and cutting them takes about 3 ms a group. A reader that does not
need ``_healpix_29`` (the catalogue matcher's left rows) gets it decoded only in the groups it
cuts: it is a third of the decoding.

Reading the margin strips of chunks one chunk at a time decodes the same groups again and
again: a strip a few arcseconds wide touches a dozen groups. :meth:`SortedFiles.harvest`
takes the strips of every chunk at once and decodes each group they touch once, in file order.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.frame_pieces import frame_of_arrow, join_frames, take_rows
from daxa.errors import InputError
from daxa.inputs.sources import HPX, ROW
from daxa.sky._parallel import map_parts, threads_for

IntArray = npt.NDArray[np.int64]

#: Decoded row groups kept for the next read: a chunk's range usually starts in the group the
#: previous chunk ended in. Two, as the cache counts against the memory budget.
CACHED_GROUPS = 2


@dataclass(frozen=True)
class RowGroups:
    """The non-empty row groups of sorted files, in ``_healpix_29`` order."""

    paths: tuple[str, ...]
    file: IntArray  # index into paths
    group: IntArray  # row group within its file
    first: IntArray  # smallest _healpix_29 of the group
    last: IntArray  # largest _healpix_29 of the group
    offset: IntArray  # global row number of the group's first row
    rows: IntArray  # rows in the group

    def overlapping(self, lo: IntArray, hi: IntArray) -> IntArray:
        """Positions of the groups holding any value of any ``[lo, hi)``."""
        if lo.size == 0 or self.first.size == 0:
            return np.zeros(0, dtype=np.int64)
        # group g meets [lo, hi) when first[g] < hi and last[g] >= lo; groups are sorted, so
        # each range meets a run of groups: from the first whose last >= lo to the last whose
        # first < hi
        a = np.searchsorted(self.last, lo, side="left")
        b = np.searchsorted(self.first, hi, side="left")
        keep = b > a
        if not keep.any():
            return np.zeros(0, dtype=np.int64)
        a, b = a[keep], b[keep]
        hit = np.zeros(self.first.size + 1, dtype=np.int64)
        np.add.at(hit, a, 1)
        np.add.at(hit, b, -1)
        return np.flatnonzero(np.cumsum(hit[:-1]) > 0).astype(np.int64)


def row_groups(paths: Sequence[Path | str]) -> RowGroups:
    """The row-group index of ``paths`` from their footers (no data read)."""
    import pyarrow.parquet as pq

    file, group, first, last, rows = [], [], [], [], []
    for i, path in enumerate(paths):
        meta = pq.read_metadata(path)
        col = meta.schema.to_arrow_schema().get_field_index(HPX)
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            if rg.num_rows == 0:
                continue
            stats = rg.column(col).statistics
            file.append(i)
            group.append(g)
            first.append(int(stats.min))
            last.append(int(stats.max))
            rows.append(rg.num_rows)
    counts = np.array(rows, dtype=np.int64)
    return RowGroups(
        tuple(str(p) for p in paths),
        np.array(file, dtype=np.int64),
        np.array(group, dtype=np.int64),
        np.array(first, dtype=np.int64),
        np.array(last, dtype=np.int64),
        (np.cumsum(counts) - counts).astype(np.int64),
        counts,
    )


def cut(hpx: IntArray, lo: IntArray, hi: IntArray) -> IntArray:
    """Row positions of sorted ``hpx`` inside any of the disjoint, sorted ``[lo, hi)``."""
    return cut_ranges(hpx, lo, hi)[0]


def cut_ranges(hpx: IntArray, lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
    """Row positions of sorted ``hpx`` in each ``[lo, hi)`` in turn (a row of two overlapping
    ranges comes twice), and how many each range holds.

    >>> [a.tolist() for a in cut_ranges(np.array([1, 3, 5, 7]), np.array([2, 0]), np.array([6, 4]))]
    [[1, 2, 0, 1], [2, 2]]
    """
    a = np.searchsorted(hpx, lo, side="left")
    lengths = np.searchsorted(hpx, hi, side="left") - a
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), lengths
    starts = np.repeat(a - (np.cumsum(lengths) - lengths), lengths)
    return starts + np.arange(total, dtype=np.int64), lengths


def _stamp(path: str) -> tuple[int, int, int]:
    """What tells a file from the one that was at its path before: inode, size, change time."""
    st = os.stat(path)
    return st.st_ino, st.st_size, st.st_mtime_ns


@dataclass(frozen=True)
class _ReadState:
    """Open pyarrow files (one set per thread: pyarrow's are not shared between threads) and
    the last decoded groups, with the lock that guards them."""

    local: threading.local = field(default_factory=threading.local)
    cache: OrderedDict[int, pl.DataFrame] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)


#: The read states of this process, by files (with their stamps) and columns, the most
#: recently used last, until :func:`forget_read_states`. A Dask worker unpickles a new reader
#: for every task: with a state of its own each time, its cache never served the next chunk
#: (70 decodes of the 10 right groups over 61 chunks, against 21 in one process).
_STATES: OrderedDict[tuple[Any, ...], _ReadState] = OrderedDict()
_STATES_LOCK = threading.Lock()
#: Read states kept (each holds at most CACHED_GROUPS decoded groups and a few open files).
KEPT_STATES = 4


def forget_read_states() -> None:
    """Let go of this process's read states (readers still at work keep theirs): a run ends
    with this, so no decoded group or open file outlives it in the caller's process. Dask
    workers keep theirs for the next run's tasks (at most :data:`KEPT_STATES`)."""
    with _STATES_LOCK:
        _STATES.clear()


def _read_state(key: tuple[Any, ...]) -> _ReadState:
    with _STATES_LOCK:
        state = _STATES.get(key)
        if state is None:
            state = _STATES[key] = _ReadState()
            while len(_STATES) > KEPT_STATES:
                _STATES.popitem(last=False)
        else:
            _STATES.move_to_end(key)
        return state


class SortedFiles:
    """Rows of HEALPix-sorted Parquet files by ``_healpix_29`` range, ``__row`` their global
    row number when ``row_index``. Safe to share between threads (each opens its own file
    handles: two threads reading through one pyarrow file crashed the process); pickled without
    its open files and cache, which it finds again in the process it is unpickled in (a Dask
    worker's) when another reader of the same files left them there."""

    def __init__(self, paths: Sequence[Path | str], columns: Sequence[str], *, row_index: bool):
        self.index = row_groups(paths)
        self.columns = list(dict.fromkeys([*columns, HPX]))
        self.row_index = row_index
        self.stamps = tuple(_stamp(p) for p in self.index.paths)
        self._attach()

    def _attach(self) -> None:
        """Share the open files and decoded groups of every reader of the same files (as
        they are now) and columns in this process."""
        state = _read_state((self.index.paths, self.stamps, tuple(self.columns)))
        self._local, self._cache, self._lock = state.local, state.cache, state.lock

    def __getstate__(self) -> dict[str, Any]:
        return {k: self.__dict__[k] for k in ("index", "columns", "row_index", "stamps")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._attach()

    def _decode(self, positions: IntArray, *, hpx: bool = True) -> list[pl.DataFrame]:
        """Groups at ``positions`` (sorted), without ``__row``: from the cache or decoded
        (consecutive groups of one file in one pyarrow call, which decodes their columns on
        both cores). ``hpx=False`` leaves out ``_healpix_29`` (a third of the decoding) for
        groups a read takes whole; those are not cached, as no other read meets them."""
        import pyarrow.parquet as pq

        out: dict[int, pl.DataFrame] = {}
        if hpx:
            with self._lock:
                for p in positions.tolist():
                    if p in self._cache:
                        self._cache.move_to_end(p)
                        out[p] = self._cache[p]
        todo = [p for p in positions.tolist() if p not in out]
        columns = self.columns if hpx else [c for c in self.columns if c != HPX]
        # columns on both cores, unless chunks in flight already keep them busy (two chunk
        # threads each decoding through pyarrow's pool took 0.72 s of thread time for what one
        # thread decodes in 0.40 s)
        threads = threads_for(len(columns), 1)
        idx = self.index
        for f in sorted({int(idx.file[p]) for p in todo}):
            mine = [p for p in todo if idx.file[p] == f]
            files = self._local.__dict__.setdefault("files", {})
            handle = files.get(f)
            if handle is None:
                # no pre-buffering: a group's columns are read as they are decoded (100
                # groups of a 1e7-row file: 0.19 s of thread time against 0.21 s with it)
                handle = files[f] = pq.ParquetFile(idx.paths[f], pre_buffer=False)
            try:
                table = handle.read_row_groups(
                    [int(idx.group[p]) for p in mine], columns, use_threads=threads > 1
                )
            except Exception as exc:
                raise InputError(f"cannot read {idx.paths[f]}: {exc}") from None
            frame = frame_of_arrow(table)
            if hpx and frame.schema[HPX] != pl.Int64:
                frame = frame.with_columns(pl.col(HPX).cast(pl.Int64))
            start = 0
            for p in mine:
                out[p] = frame.slice(start, int(idx.rows[p]))
                start += int(idx.rows[p])
        if hpx:
            with self._lock:
                for p in todo[-CACHED_GROUPS:]:
                    self._cache[p] = out[p]
                while len(self._cache) > CACHED_GROUPS:
                    self._cache.popitem(last=False)
        return [out[p] for p in positions.tolist()]

    def _with_rows(self, frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
        """``frame`` (consecutive rows of the files from global row ``first_row``) with its
        ``__row`` when the files are read with a row index."""
        if not self.row_index:
            return frame
        # a numpy range, taken by the frame without a copy: polars' eager int_range held the
        # GIL (seen in a GIL profile of two chunk threads), and the other thread waited
        rows = np.arange(first_row, first_row + frame.height, dtype=np.int64)
        return frame.hstack([pl.Series(ROW, rows)])  # eager: no plan to build and run

    def empty(self) -> pl.DataFrame:
        """No rows, in the columns and types of a read (from the footer: nothing decoded)."""
        import pyarrow.parquet as pq

        schema = pq.read_schema(self.index.paths[0])
        table = schema.empty_table().select([c for c in self.columns if c in schema.names])
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        frame = frame.with_columns(pl.col(HPX).cast(pl.Int64))
        if self.row_index:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Int64).alias(ROW))
        return frame

    def read(self, lo: int, hi: int, *, hpx: bool = True) -> pl.DataFrame:
        """Rows with ``lo <= _healpix_29 < hi``, in ``_healpix_29`` order (without that column
        when not ``hpx``: the groups wholly inside the range are then decoded without it).
        The rows of a range are consecutive in the files, so ``__row`` is one integer range."""
        bounds = np.array([lo], dtype=np.int64), np.array([hi], dtype=np.int64)
        positions = self.index.overlapping(*bounds)
        if positions.size == 0:
            empty = self.empty()
            return empty if hpx else empty.drop(HPX)
        idx = self.index
        whole = (idx.first[positions] >= lo) & (idx.last[positions] < hi)
        cut_here = positions[~whole]  # the first and last groups, unless the range takes them whole
        if hpx:  # every group with the column: one decoding call
            decoded = dict(zip(positions.tolist(), self._decode(positions), strict=True))
        else:
            decoded = dict(zip(cut_here.tolist(), self._decode(cut_here), strict=True))
            inner = positions[whole]
            decoded |= zip(inner.tolist(), self._decode(inner, hpx=False), strict=True)
        parts: list[pl.DataFrame] = []
        first_row = -1
        cut = set(cut_here.tolist())
        for p in positions.tolist():
            frame, a = decoded[p], 0
            if p in cut:
                a, b = np.searchsorted(frame[HPX].to_numpy(), [lo, hi], side="left")
                frame = frame.slice(int(a), int(b - a))
                if not hpx:
                    frame = frame.drop(HPX)
            if first_row < 0:
                first_row = int(idx.offset[p]) + int(a)
            parts.append(frame)
        # one piece per column: later to_numpy calls are views, not copies
        frame = join_frames(parts)
        return self._with_rows(frame, first_row)

    def harvest(self, ranges: Sequence[tuple[IntArray, IntArray]]) -> list[pl.DataFrame]:
        """The rows of every chunk's ranges (``ranges[i]`` for chunk ``i``), each group decoded
        once: a frame per chunk, in ``_healpix_29`` order."""
        n = len(ranges)
        lo = np.concatenate([r[0] for r in ranges]) if n else np.zeros(0, np.int64)
        hi = np.concatenate([r[1] for r in ranges]) if n else np.zeros(0, np.int64)
        owner = np.repeat(np.arange(n, dtype=np.int64), [r[0].size for r in ranges])
        order = np.argsort(lo, kind="stable")
        lo, hi, owner = lo[order], hi[order], owner[order]
        idx = self.index
        groups = idx.overlapping(lo, hi)

        def group_rows(i: int) -> tuple[pl.DataFrame, IntArray] | None:
            """The rows of group ``groups[i]`` in the ranges meeting it, and their chunks."""
            p = int(groups[i])
            a = int(np.searchsorted(lo, idx.last[p], side="right"))
            near = np.flatnonzero(hi[:a] > idx.first[p])
            if near.size == 0:
                return None
            frame = self._decode(np.array([p], dtype=np.int64))[0]
            rows, lengths = cut_ranges(frame[HPX].to_numpy(), lo[near], hi[near])
            if rows.size == 0:
                return None
            found = take_rows(self._with_rows(frame, int(idx.offset[p])), rows)
            return found, np.repeat(owner[near], lengths)

        # groups on both cores (a harvest runs before any chunk: nothing else would use them)
        found = [g for g in map_parts(group_rows, groups.size, threads_for(groups.size, 2)) if g]
        parts = [g[0] for g in found]
        owners = [g[1] for g in found]
        if not parts:
            return [self.empty() for _ in range(n)]
        who = np.concatenate(owners)
        by_chunk = np.argsort(who, kind="stable")  # stable: hpx order kept within a chunk
        rows_all = take_rows(join_frames(parts), by_chunk)
        bounds = np.searchsorted(who[by_chunk], np.arange(n + 1))
        # a chunk's ranges are disjoint and met group by group, so its rows stay in order
        return [
            rows_all.slice(int(a), int(b - a)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
