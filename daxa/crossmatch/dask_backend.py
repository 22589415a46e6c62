"""Dask distributed backend: one task per HEALPix chunk, results back in chunk order.

Dask is an optional extra (``pip install daxa[dask]``): it is imported only when a client or a
scheduler address is given. Tables every task needs (the mission tables) are scattered to the
workers once; each chunk's rows travel with its own task, or, for catalogues on disk, the
worker reads its chunk itself. At most a few tasks per worker are in flight, so the results
waiting to be written stay bounded, and they are handed back strictly in chunk order, which
makes a distributed run's output identical to the local one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from daxa.crossmatch.tasks import Task, materialised
from daxa.errors import InputError

#: Tasks in flight per worker thread.
IN_FLIGHT_PER_THREAD = 2


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


#: In-memory frames of at least this many bytes go to the workers by ``scatter``, not in the
#: task graph: on 8 chunks of a 1e7 x 1e6 match (42 MiB each) the graph route cost the client
#: about 3 s of CPU.
SCATTER_BYTES = 1 << 20


def _scatter_frames(client: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``args`` with large polars frames replaced by futures of their copies on the workers."""
    import polars as pl

    big = [
        i
        for i, a in enumerate(args)
        if isinstance(a, pl.DataFrame) and a.estimated_size() >= SCATTER_BYTES
    ]
    if not big:
        return args
    futures = client.scatter([args[i] for i in big], direct=True, hash=False)
    out = list(args)
    for i, future in zip(big, futures, strict=True):
        out[i] = future
    return tuple(out)


def run_on_dask(
    client: Any, tasks: Sequence[Task], shared: dict[str, Any]
) -> Iterator[tuple[Task, Any]]:
    """Submit ``tasks`` to ``client`` and yield ``(task, result)`` in task order."""
    _require_distributed()
    shared_future = client.scatter(shared, broadcast=True) if shared else {}
    window = IN_FLIGHT_PER_THREAD * _threads(client) + 1
    pending: deque[tuple[Task, Any]] = deque()
    it = iter(tasks)
    try:
        for task in it:
            args = _scatter_frames(client, task.args)
            future = client.submit(materialised, task.func, *args, shared_future, pure=False)
            pending.append((task, future))
            if len(pending) >= window:
                done_task, future = pending.popleft()
                yield done_task, future.result()
                future.release()
        while pending:
            done_task, future = pending.popleft()
            yield done_task, future.result()
            future.release()
    finally:
        for _, future in pending:
            future.cancel()
        if shared:
            with suppress(Exception):
                client.cancel(shared_future)
