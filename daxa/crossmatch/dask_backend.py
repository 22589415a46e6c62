"""Dask distributed backend: HEALPix chunks as Dask tasks (runs of them), results in chunk order.

Dask is an optional extra (``pip install daxa[dask]``): it is imported only when a client or a
scheduler address is given. Tables every task needs (the mission tables) are scattered to the
workers once; each chunk's rows travel with its own task, or, for catalogues on disk, the
worker reads its chunk itself; chunks of the latter kind go in runs of consecutive ones per
Dask task (:func:`chunks_per_task`). At most a few tasks per worker are in flight, so the results
waiting to be written stay bounded, and they are handed back strictly in chunk order, which
makes a distributed run's output identical to the local one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from daxa.crossmatch.tasks import Task, materialised_run
from daxa.errors import InputError

#: Tasks in flight per worker thread.
IN_FLIGHT_PER_THREAD = 2
#: Consecutive chunks one Dask task may run, and how many tasks per worker thread a run
#: should still leave (so the last ones still spread over the workers).
MAX_CHUNKS_PER_TASK = 8
TASKS_PER_THREAD = 4


def _require_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputError(
            "running on Dask needs the optional extra: pip install 'daxa[dask]' (dask[distributed])"
        ) from None
    return distributed


@contextmanager
def dask_client(client: Any = None, scheduler: str | None = None) -> Iterator[Any]:
    """The client to use: ``client`` itself, or one connected to ``scheduler`` meanwhile."""
    if client is not None and scheduler is not None:
        raise InputError("give either client= or scheduler=, not both")
    if client is not None or scheduler is None:
        yield client
        return
    distributed = _require_distributed()
    try:
        own = distributed.Client(scheduler, timeout="20s")
    except Exception as exc:
        raise InputError(f"cannot connect to the Dask scheduler {scheduler!r}: {exc}") from None
    try:
        yield own
    finally:
        own.close()


def _threads(client: Any) -> int:
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:
        return 2


#: In-memory frames of at least this many bytes go to the workers through shared memory (on
#: this machine) or by ``scatter``, never in the task graph: on 8 chunks of a 1e7 x 1e6 match
#: (42 MiB each) the graph route cost the client about 3 s of CPU.
SCATTER_BYTES = 1 << 20


def _ship_frames(
    client: Any, args: tuple[Any, ...], local: bool
) -> tuple[tuple[Any, ...], list[Any]]:
    """``args`` with large polars frames replaced by shared files (``local`` workers) or by
    futures of their scattered copies; also the folders to remove once the task is done."""
    import polars as pl

    from daxa.crossmatch.shared_files import share

    big = [
        i
        for i, a in enumerate(args)
        if isinstance(a, pl.DataFrame) and a.estimated_size() >= SCATTER_BYTES
    ]
    if not big:
        return args, []
    out = list(args)
    folders = []
    if local:
        for i in big:
            out[i], folder = share(args[i])
            folders.append(folder)
    else:
        futures = client.scatter([args[i] for i in big], direct=True, hash=False)
        for i, future in zip(big, futures, strict=True):
            out[i] = future
    return tuple(out), folders


def _collect(item: tuple[list[Task], Any, list[Any]]) -> list[tuple[Task, Any]]:
    """A submitted run's results, one per chunk, its shared files removed."""
    tasks, future, folders = item
    try:
        results = future.result()
    finally:
        future.release()
        for folder in folders:
            folder.cleanup()
    return list(zip(tasks, results, strict=True))


def _carries_rows(tasks: Sequence[Task]) -> bool:
    """Whether any task ships frames of its own big enough to travel outside the graph
    (in-memory catalogues), not just what a worker needs to read its chunk from files: every
    task is looked at, as chunks differ in size and the first may be a small one."""
    import polars as pl

    return any(
        isinstance(a, pl.DataFrame) and a.estimated_size() >= SCATTER_BYTES
        for task in tasks
        for a in task.args
    )


def chunks_per_task(n_tasks: int, threads: int) -> int:
    """How many consecutive chunks one Dask task runs: up to :data:`MAX_CHUNKS_PER_TASK`, while
    leaving :data:`TASKS_PER_THREAD` tasks per worker thread. Each Dask task costs the client
    and the scheduler several milliseconds of CPU, about what a chunk of 160k rows takes to
    match: the 61 chunks of a 1e7 x 1e6 best match from Parquet on a 2-worker LocalCluster
    took 1.6-1.8x the local run with one chunk per task (the client's CPU 0.49-0.67 s), 1.2-1.5x
    with 4 (0.30-0.48 s) and 0.8-1.3x with 7 (0.23-0.35 s); a worker also finds the row groups
    its previous chunk decoded."""
    return max(1, min(MAX_CHUNKS_PER_TASK, n_tasks // (TASKS_PER_THREAD * max(threads, 1))))


def run_on_dask(
    client: Any, tasks: Sequence[Task], shared: dict[str, Any]
) -> Iterator[tuple[Task, Any]]:
    """Submit ``tasks`` to ``client`` (runs of consecutive ones per Dask task, see
    :func:`chunks_per_task`) and yield ``(task, result)`` in task order."""
    from daxa.crossmatch.shared_files import workers_share_disk

    _require_distributed()
    shared_future = client.scatter(shared, broadcast=True) if shared else {}
    threads = _threads(client)
    window = IN_FLIGHT_PER_THREAD * threads + 1
    # chunks that carry their rows go one per task: a run would ship them all at once, and
    # the rows in flight would grow with the run's length
    per_task = 1 if _carries_rows(tasks) else chunks_per_task(len(tasks), threads)
    local = workers_share_disk(client)
    pending: deque[tuple[list[Task], Any, list[Any]]] = deque()
    try:
        for start in range(0, len(tasks), per_task):
            run = list(tasks[start : start + per_task])
            calls, folders = [], []
            for task in run:
                args, shipped = _ship_frames(client, task.args, local)
                calls.append((task.func, args))
                folders += shipped
            future = client.submit(materialised_run, calls, shared_future, pure=False)
            pending.append((run, future, folders))
            if len(pending) >= window:
                yield from _collect(pending.popleft())
        while pending:
            yield from _collect(pending.popleft())
    finally:
        for _, future, folders in pending:
            future.cancel()
            for folder in folders:
                folder.cleanup()
        if shared:
            with suppress(Exception):
                client.cancel(shared_future)
