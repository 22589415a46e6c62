"""Running chunk tasks locally or on Dask, and collecting their results in chunk order.

Every matcher reduces to a list of independent tasks, one per HEALPix chunk, each a pure
function of its inputs. :func:`run_tasks` calls them in order here, or submits them to a Dask
cluster when given a client (see :mod:`daxa.crossmatch.dask_backend`), and hands each result to
a sink in chunk order either way, so local, chunked and distributed runs produce the same rows
in the same order. Sinks either keep the frames (:class:`FrameSink`) or stream them into one
Parquet file (:class:`ParquetSink`), so results larger than memory never sit in memory.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from daxa.crossmatch.inputs import report_skipped
from daxa.crossmatch.tasks import Task
from daxa.errors import InputError
from daxa.progress import Progress

if TYPE_CHECKING:
    from daxa.crossmatch.chunked import ChunkPlan, PreparedSource


def _write(sink: Any, result: Any) -> None:
    """Hand a task's result to ``sink``: a frame, several frames, or a result of the sink's
    own kind (e.g. :class:`~daxa.crossmatch.catalogue_best.BestChunk`)."""
    if isinstance(result, (list, tuple, Iterator)):
        for frame in result:
            sink.write(frame)
    else:
        sink.write(result)


class FrameSink:
    """Keeps every chunk's frame; :meth:`finish` concatenates them."""

    def __init__(self, schema: dict[str, pl.DataType] | None = None) -> None:
        self.parts: list[pl.DataFrame] = []
        self.schema = schema

    def write(self, frame: pl.DataFrame) -> None:
        if frame.height:
            self.parts.append(frame)

    def finish(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema=self.schema) if self.schema else pl.DataFrame()
        return pl.concat(self.parts, how="vertical_relaxed", rechunk=False)


class ParquetSink:
    """Streams chunk frames into one Parquet file (written to a temporary name, then renamed).

    Writing happens on a background thread while the next chunk is being matched (pyarrow
    releases the GIL), with at most one frame waiting, so memory holds two chunks at most.
    Only the ``mission`` and ``instrument`` columns are dictionary-encoded: dictionaries of
    high-cardinality columns (ObsIDs, instrument lists) cost more time than they save space.
    When every column is of a type Parquet holds without the Arrow schema beside it, the file
    is written without that schema, and those two columns may come as polars enums: their
    codes are written as they are, not turned into strings and encoded again (a third of the
    writer's time on a coverage summary); readers see strings either way.
    """

    def __init__(self, path: str | os.PathLike[str], schema: dict[str, pl.DataType]) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise InputError(f"output {self.path} is a folder; give a file name ending .parquet")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.part")
        self.schema = schema
        self.rows = 0
        self._queue: queue.Queue[pl.DataFrame | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="daxa-parquet-sink", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow_schema = pl.DataFrame(schema=self.schema).to_arrow().schema
        dictionary = [c for c in ("mission", "instrument") if c in self.schema]
        cast = dict(self.schema)
        native = all(_parquet_native(t) for t in self.schema.values())
        if native:
            codes = pa.dictionary(pa.int32(), pa.large_string())
            for name in dictionary:
                if self.schema[name] == pl.String:
                    i = arrow_schema.get_field_index(name)
                    arrow_schema = arrow_schema.set(i, arrow_schema.field(i).with_type(codes))
                    del cast[name]  # enums stay codes; strings are encoded by Arrow
        from daxa.outputs.writers import annotate_arrow_schema

        arrow_schema = annotate_arrow_schema(arrow_schema, self.schema)  # units, UCDs
        writer = None
        try:
            writer = pq.ParquetWriter(
                self.tmp,
                arrow_schema,
                compression="zstd",
                use_dictionary=dictionary,
                store_schema=not native,
            )
            while True:
                frame = self._queue.get()
                if frame is None:
                    break
                if self._error is None and frame.height:
                    table = frame.select(list(self.schema)).cast(cast).to_arrow()  # type: ignore[arg-type]
                    writer.write_table(table.cast(arrow_schema), row_group_size=262_144)
        except BaseException as exc:  # handed to the caller on its next write or finish
            self._error = exc
            while self._queue.get() is not None:  # drain so the producer never blocks
                pass
        finally:
            if writer is not None:
                writer.close()

    def _check(self) -> None:
        if self._error is not None:
            raise InputError(f"cannot write {self.path}: {self._error}") from self._error

    def write(self, frame: pl.DataFrame) -> None:
        self._check()
        self.rows += frame.height
        self._queue.put(frame)

    def finish(self) -> Path:
        self._queue.put(None)
        self._thread.join()
        self._check()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self.tmp.exists():
            self.tmp.unlink()


def _parquet_native(dtype: pl.DataType) -> bool:
    """Whether Parquet's own types give ``dtype`` back without the Arrow schema."""
    return (
        dtype.is_integer()
        or dtype.is_float()
        or dtype in (pl.Boolean, pl.String, pl.Date)
        or isinstance(dtype, pl.Datetime)
    )


def run_tasks(
    tasks: Sequence[Task],
    sink: Any,
    *,
    client: Any = None,
    shared: dict[str, Any] | None = None,
    progress: bool = True,
    desc: str = "cross-match",
    total_rows: int | None = None,
) -> list[np.ndarray]:
    """Run ``tasks`` (locally, or on ``client``), feed results to ``sink`` in chunk order.

    ``shared`` values (e.g. mission tables) are passed to every task as its last argument;
    on Dask they are scattered to the workers once. Returns the skipped-row arrays.
    """
    skipped: list[np.ndarray] = []
    total = total_rows if total_rows is not None else sum(t.rows for t in tasks)
    bar = Progress(total, desc, unit="rows", enabled=progress)
    try:
        if client is None:
            for task, (frame, bad) in _run_local(tasks, shared or {}):
                _write(sink, frame)
                skipped.append(bad)
                bar.update(task.rows)
        else:
            from daxa.crossmatch.dask_backend import run_on_dask

            for task, (frame, bad) in run_on_dask(client, tasks, shared or {}):
                _write(sink, frame)
                skipped.append(bad)
                bar.update(task.rows)
    except BaseException:
        if hasattr(sink, "abort"):
            sink.abort()
        raise
    finally:
        bar.close()
    return skipped


def local_workers(n_tasks: int) -> int:
    """Chunks computed at once on this machine: two where there are two cores (numpy, polars
    and the compiled walks release the GIL, so one chunk's serial work overlaps another's);
    ``DAXA_LOCAL_WORKERS`` overrides."""
    value = os.environ.get("DAXA_LOCAL_WORKERS")
    if value is not None:
        try:
            workers = int(value)
        except ValueError:
            raise InputError(
                f"DAXA_LOCAL_WORKERS={value!r} is not a whole number: unset it or give e.g. 2"
            ) from None
    else:
        workers = min(2, os.cpu_count() or 1)
    return max(1, min(workers, n_tasks))


def chunks_in_flight(client: Any, scheduler: str | None) -> int:
    """Chunks held in memory at once: budgets are shared between them."""
    return 1 if client is not None or scheduler is not None else local_workers(2)


def _run_local(tasks: Sequence[Task], shared: dict[str, Any]) -> Iterable[tuple[Task, Any]]:
    """(task, result) in task order, with at most :func:`local_workers` chunks in flight, so
    memory holds no more chunks than that however far ahead the workers could run."""
    workers = local_workers(len(tasks))
    if workers == 1:
        for task in tasks:
            yield task, task.func(*task.args, shared)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix="daxa-chunk") as pool:
        todo = iter(tasks)
        running: deque[tuple[Task, Any]] = deque()
        try:
            for task in todo:
                running.append((task, pool.submit(task.func, *task.args, shared)))
                if len(running) == workers:
                    break
            while running:
                task, future = running.popleft()
                result = future.result()
                following = next(todo, None)
                if following is not None:
                    running.append(
                        (following, pool.submit(following.func, *following.args, shared))
                    )
                yield task, result
        finally:
            for _, future in running:
                future.cancel()


def open_sink(
    output: str | os.PathLike[str] | None, output_format: str, schema: dict[str, pl.DataType]
) -> tuple[FrameSink | ParquetSink, Path | None]:
    """The sink for a matcher's ``output`` and, for ``output_format='hats'``, the HATS folder.

    HATS output is streamed to a hidden Parquet file beside the folder first.
    """
    if output is not None and output_format == "hats":
        hats_target = Path(output)
        stream = hats_target.with_name(f".{hats_target.name}.stream.parquet")
        return ParquetSink(stream, schema), hats_target
    if output is not None:
        return ParquetSink(output, schema), None
    return FrameSink(schema), None


def finish_sink(
    sink: FrameSink | ParquetSink, hats_target: Path | None, *, ra: str, dec: str
) -> pl.DataFrame | Path:
    """Close ``sink``: the written path (the HATS folder, with ``ra``/``dec`` as its positions,
    when ``hats_target`` is given) or the collected frame."""
    if isinstance(sink, FrameSink):
        return sink.finish()
    path = sink.finish()
    if hats_target is None:
        return path
    from daxa.crossmatch.hats import write_hats

    try:
        return write_hats(path, hats_target, ra=ra, dec=dec, overwrite=True)
    finally:
        path.unlink(missing_ok=True)


ChunkFunc = Callable[..., tuple[Any, np.ndarray]]


def load_and_run(
    chunk_func: ChunkFunc,
    prepared: PreparedSource | pl.DataFrame,
    lo: int,
    hi: int,
    opts: Any,
    shared: dict[str, Any],
) -> tuple[Any, np.ndarray]:
    """``chunk_func(positions, skipped rows, opts, shared)`` on the positions of ``[lo, hi)``."""
    if isinstance(prepared, pl.DataFrame):
        return chunk_func(prepared, np.zeros(0, dtype=np.int64), opts, shared)
    frame, skipped = prepared.load_range(lo, hi)
    return chunk_func(frame, skipped, opts, shared)


def position_tasks(
    prepared: PreparedSource, plan: ChunkPlan, chunk_func: ChunkFunc, opts: Any
) -> list[Task]:
    """One :func:`load_and_run` task per chunk of ``plan`` (empty in-memory chunks skipped)."""
    tasks = []
    for i in range(len(plan)):
        lo, hi = plan.range(i)
        if prepared.frame is not None:
            piece, _ = prepared.load_range(lo, hi)
            if piece.height == 0:
                continue
            tasks.append(Task(load_and_run, (chunk_func, piece, lo, hi, opts), piece.height))
        else:
            args = (chunk_func, prepared.for_task(), lo, hi, opts)
            tasks.append(Task(load_and_run, args, int(plan.rows[i])))
    return tasks


def run_positions(
    prepared: PreparedSource,
    plan: ChunkPlan,
    chunk_func: ChunkFunc,
    opts: Any,
    *,
    tables: Any,
    n_rows: int,
    schema: dict[str, pl.DataType],
    output: str | os.PathLike[str] | None = None,
    output_format: str = "parquet",
    client: Any = None,
    scheduler: str | None = None,
    progress: bool = True,
    desc: str = "cross-match",
) -> pl.DataFrame | Path:
    """Run ``chunk_func`` on every chunk of a catalogue against the mission ``tables``.

    Locally or on Dask (``client`` or ``scheduler``), in chunk order; rows skipped for bad
    coordinates are reported against the catalogue's ``n_rows``. Returns the frame of all
    results (unsorted) or, with ``output``, the path written (see :func:`open_sink`).
    """
    from daxa.crossmatch.dask_backend import dask_client

    sink, hats_target = open_sink(output, output_format, schema)
    with dask_client(client, scheduler) as dclient:
        skipped = run_tasks(
            position_tasks(prepared, plan, chunk_func, opts),
            sink,
            client=dclient,
            shared={"tables": tables},
            progress=progress,
            desc=desc,
            total_rows=prepared.n_rows,
        )
    report_skipped([*prepared.skipped, *skipped], n_rows)
    return finish_sink(sink, hats_target, ra="pos_ra", dec="pos_dec")


def row_id_dtype(prepared: PreparedSource) -> pl.DataType:
    """The dtype of the prepared positions' ``row_id`` column."""
    frame = prepared.frame if prepared.frame is not None else prepared.empty()
    return frame.schema["row_id"]
