"""Both cores for one sky-engine call: how many threads it may use, and the threads themselves.

The engine's heavy steps are numpy calls on large arrays and numba kernels compiled with
``nogil=True``; both release the GIL, so a call split into independent parts (probe rows,
field cells) runs on plain Python threads, and the parts' results are put together in a fixed
order, so the answer is the same bit for bit whatever the number of threads. (numba's own
``parallel=True`` is not used: its default threading layer aborts when two threads enter
it at once, which daxa's chunk pool does.)

How many threads (:func:`threads_for`):

- ``DAXA_THREADS`` (a whole number >= 1) caps the threads of one call; the default (and the
  most that helps: there are ``cores - 1`` helpers) is the cores this process may run on.
  ``DAXA_THREADS=1`` makes every call serial.
- A call made inside a daxa chunk worker (a thread named ``daxa-chunk...``: the crossmatch
  chunk pool already keeps every core busy), a dask.distributed worker's task thread or one
  of this module's own helpers runs serially: no nested parallelism, no oversubscription.
- Small calls run serially: below a minimum of work per thread (each caller's threshold,
  measured and explained where it is defined) handing parts to a thread costs more than it
  saves.

The helpers (:func:`run_workers`) come from one module-level pool of ``cores - 1`` threads; a
call takes only the helpers that are idle at that moment and never waits for one, so two
callers at once never run more threads than cores plus one.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from daxa.errors import InputError

T = TypeVar("T")

#: Name prefixes of the crossmatch chunk workers (daxa.crossmatch.execution) and of our helpers.
_SERIAL_THREADS = ("daxa-chunk", "daxa-sky")
#: In the names of a dask.distributed worker's task threads (the cluster fills the cores).
_DASK_THREADS = "Dask-"


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def max_threads() -> int:
    """Threads one call may use: ``DAXA_THREADS`` if set, else :func:`cores`."""
    value = os.environ.get("DAXA_THREADS", "").strip()
    if not value:
        return cores()
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise InputError(
            f"DAXA_THREADS={value!r} is not a whole number >= 1: unset it, or give e.g. 1 "
            "(serial) or 2"
        )
    return n


def threads_for(work: int, min_work: int) -> int:
    """Threads for a call with ``work`` units when a thread needs ``min_work`` of them to pay
    off: 1 inside a chunk worker or a helper, and never more than :func:`max_threads`."""
    name = threading.current_thread().name
    if name.startswith(_SERIAL_THREADS) or _DASK_THREADS in name:
        return 1
    return max(1, min(max_threads(), work // max(min_work, 1)))


_POOL_LOCK = threading.Lock()


@cache
def _pool() -> tuple[ThreadPoolExecutor, threading.Semaphore]:
    """The helpers and the count of idle ones, made once (under a lock: one pool only)."""
    with _POOL_LOCK:
        return _make_pool()


@cache
def _make_pool() -> tuple[ThreadPoolExecutor, threading.Semaphore]:
    n = max(1, cores() - 1)
    return ThreadPoolExecutor(n, thread_name_prefix="daxa-sky"), threading.Semaphore(n)


def _forget_pool() -> None:
    _pool.cache_clear()
    _make_pool.cache_clear()


if hasattr(os, "register_at_fork"):  # a forked child has none of the parent's threads
    os.register_at_fork(after_in_child=_forget_pool)


def run_workers(worker: Callable[[], T], threads: int) -> list[T]:
    """Run ``worker`` on the calling thread and on up to ``threads - 1`` idle helpers at
    once; their results, the caller's first. The workers share the work among themselves
    (e.g. by drawing part numbers from one counter), so fewer idle helpers only means less
    speed. An exception in any worker is raised here once all of them have stopped."""
    if threads <= 1:
        return [worker()]
    pool, idle = _pool()
    helpers: list[Future[T]] = []
    for _ in range(threads - 1):
        if not idle.acquire(blocking=False):
            break
        try:
            helpers.append(pool.submit(_released, idle, worker))
        except BaseException:  # pragma: no cover - the pool is never shut down
            idle.release()
            raise
    try:
        mine = worker()
    finally:
        for h in helpers:
            h.exception()  # wait for every helper before anything is raised or returned
    return [mine, *(h.result() for h in helpers)]


def _released(idle: threading.Semaphore, worker: Callable[[], T]) -> T:
    try:
        return worker()
    finally:
        idle.release()


def map_parts(fn: Callable[[int], T], n_parts: int, threads: int) -> list[T]:
    """``[fn(0), ..., fn(n_parts - 1)]``, computed on up to ``threads`` threads, each taking
    the next part when it finishes one (uneven parts balance themselves)."""
    if threads <= 1 or n_parts <= 1:
        return [fn(i) for i in range(n_parts)]
    results: list[T | None] = [None] * n_parts
    counter = itertools.count()  # next() on it is atomic under the GIL
    failed = threading.Event()

    def worker() -> None:
        while not failed.is_set() and (i := next(counter)) < n_parts:
            try:
                results[i] = fn(i)
            except BaseException:
                failed.set()
                raise

    run_workers(worker, min(threads, n_parts))
    return results  # type: ignore[return-value]  # every slot was filled


def split(n: int, parts: int) -> Sequence[tuple[int, int]]:
    """``parts`` consecutive ranges ``(lo, hi)`` covering ``0..n`` as evenly as possible."""
    bounds = [n * i // parts for i in range(parts + 1)]
    return list(itertools.pairwise(bounds))
