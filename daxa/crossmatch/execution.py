"""Running chunk tasks locally or on Dask, and collecting their results in chunk order.

Every matcher reduces to a list of independent tasks, one per HEALPix chunk, each a pure
function of its inputs. :func:`run_tasks` calls them in order here, or submits them to a Dask
cluster when given a client (see :mod:`daxa.crossmatch.dask_backend`), and hands each result to
a sink in chunk order either way, so local, chunked and distributed runs produce the same rows
in the same order. Sinks (:mod:`daxa.crossmatch.sinks`, re-exported here) either keep the frames
(:class:`FrameSink`) or stream them into one Parquet file (:class:`ParquetSink`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from daxa.crossmatch.inputs import report_skipped
from daxa.crossmatch.sinks import FrameSink, ParquetSink
from daxa.crossmatch.sorted_files import forget_read_states
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
        forget_read_states()
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
    """(task, result) in task order, with at most :func:`local_workers` chunks being worked
    on at once, and as many finished ones at most waiting for an earlier one to finish.

    A worker that finishes takes the next chunk at once, not after every earlier chunk is
    done: chunks take 0.3-0.7 s each in a coverage summary of 1e7 positions, and a worker
    waiting for its slower neighbour left a core idle ~6 % of the run. Waiting results are
    chunks' outputs, not their working memory, which is what the budget is shared by.
    """
    workers = local_workers(len(tasks))
    if workers == 1:
        for task in tasks:
            yield task, task.func(*task.args, shared)
        return
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    with ThreadPoolExecutor(workers, thread_name_prefix="daxa-chunk") as pool:
        todo = iter(tasks)
        pending: deque[tuple[Task, Any]] = deque()  # in task order, running or finished
        try:
            while True:
                running = [f for _, f in pending if not f.done()]
                while len(running) < workers and len(pending) < 2 * workers:
                    following = next(todo, None)
                    if following is None:
                        break
                    future = pool.submit(following.func, *following.args, shared)
                    pending.append((following, future))
                    running.append(future)
                if not pending:
                    return
                task, future = pending[0]
                if not future.done():
                    wait(running, return_when=FIRST_COMPLETED)
                    continue
                pending.popleft()
                yield task, future.result()
        finally:
            for _, future in pending:
                future.cancel()


def warn_if_kept_too_large(
    func: str, what: str, rows: float, row_bytes: int, budget: int, remedy: str
) -> None:
    """Say so before a result kept in memory outgrows the memory budget: ``rows`` of ``what``
    at ``row_bytes`` each, and about twice that while they are sorted at the end. Chunks keep
    the work within the budget, but the rows a caller asked to keep in memory pile up until
    the end: a run that outgrew the machine was killed without a word."""
    size = rows * row_bytes
    if size <= budget:
        return
    warnings.warn(
        f"{func}: about {float(f'{rows:.2g}'):,.0f} {what} (~{_size(size)}, and about twice "
        f"that while they are sorted) would be kept in memory, more than "
        f"memory_budget={_size(budget)}; {remedy}",
        stacklevel=3,
    )


def _size(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def open_sink(
    output: str | os.PathLike[str] | None,
    output_format: str,
    schema: dict[str, pl.DataType],
    required: Collection[str] = (),
) -> tuple[FrameSink | ParquetSink, Path | None]:
    """The sink for a matcher's ``output`` and, for ``output_format='hats'``, the HATS folder.

    HATS output is streamed to a hidden Parquet file beside the folder first; ``required``
    names the columns that are never null (see :class:`ParquetSink`).
    """
    if output is not None and output_format == "hats":
        hats_target = Path(output)
        stream = hats_target.with_name(f".{hats_target.name}.stream.parquet")
        return ParquetSink(stream, schema, required), hats_target
    if output is not None:
        return ParquetSink(output, schema, required), None
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
    required: Collection[str] = (),
    output: str | os.PathLike[str] | None = None,
    output_format: str = "parquet",
    client: Any = None,
    scheduler: str | None = None,
    progress: bool = True,
    desc: str = "cross-match",
    shared: dict[str, Any] | None = None,
) -> pl.DataFrame | Path:
    """Run ``chunk_func`` on every chunk of a catalogue against the mission ``tables``.

    Locally or on Dask (``client`` or ``scheduler``), in chunk order; rows skipped for bad
    coordinates are reported against the catalogue's ``n_rows``; ``shared`` entries go to
    every task beside the tables. Returns the frame of all results (unsorted) or, with
    ``output``, the path written (see :func:`open_sink`; ``required`` columns are never null).
    """
    from daxa.crossmatch.dask_backend import dask_client

    sink, hats_target = open_sink(output, output_format, schema, required)
    with dask_client(client, scheduler) as dclient:
        skipped = run_tasks(
            position_tasks(prepared, plan, chunk_func, opts),
            sink,
            client=dclient,
            shared={"tables": tables, **(shared or {})},
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
