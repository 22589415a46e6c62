"""One chunk's unit of work (:class:`Task`) and the wrapper that makes its result picklable.

Both the local runner (:mod:`daxa.crossmatch.execution`) and the Dask backend
(:mod:`daxa.crossmatch.dask_backend`) need them; living here, below both, they let the two
modules share them without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Task", "materialised", "materialised_run"]


def materialised(func: Callable[..., Any], *args: Any) -> tuple[Any, np.ndarray]:
    """``func(*args)`` with lazily produced frames turned into a list (for Dask results);
    any other result (a frame, a sink's own kind of result) is returned as it is."""
    from daxa.crossmatch.shared_files import resolved

    frames, skipped = func(*resolved(args))
    return (list(frames) if isinstance(frames, Iterator) else frames), skipped


def materialised_run(calls: list[tuple[Callable[..., Any], tuple[Any, ...]]], shared: Any) -> list:
    """:func:`materialised` of several chunks in turn, one result each (a Dask task that runs a
    run of consecutive chunks: one message and one scheduling per run, and the chunks share
    the worker's decoded row groups)."""
    return [materialised(func, *args, shared) for func, args in calls]


@dataclass(frozen=True)
class Task:
    """One chunk's work: ``func(*args)`` returns ``(result, skipped row numbers)``.

    The result is a frame, an iterable of frames (a chunk with very many pairs hands them over
    a slice at a time) or whatever the run's sink takes.
    """

    func: Callable[..., tuple[Any, np.ndarray]]
    args: tuple[Any, ...]
    rows: int  # positions in the chunk, for progress
