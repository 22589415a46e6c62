"""Timing and peak-memory helpers shared by the benchmarks.

Peak memory is the kernel's resident-set high-water mark (``VmHWM``), reset before each measured
call through ``/proc/self/clear_refs``: it sees every allocation (numpy, C++ inside scipy, Rust
inside cdshealpix), unlike tracemalloc, and costs nothing while the call runs. Where /proc is
not available (not Linux) tracemalloc is used instead and only sees Python/numpy allocations.
"""

from __future__ import annotations

import gc
import os
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_PROC = "/proc/self/status"


def _vm(field: str) -> int:
    """A /proc/self/status field in bytes."""
    with open(_PROC) as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def _can_reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        _vm("VmHWM")
        return True
    except OSError:
        return False


_RSS = _can_reset_peak()


@dataclass
class Measure:
    """Best wall time, CPU time of that run, and peak extra memory (bytes) over the runs."""

    seconds: float
    cpu_seconds: float
    peak_bytes: int
    result: Any


def measure(fn: Callable[[], Any], repeat: int = 3, trace: bool = False) -> Measure:
    """Run ``fn`` ``repeat`` times; keep the fastest run and the largest memory peak.

    The peak is measured above the resident size just before each call, so it counts what
    the call allocates (its result included), not the inputs that already exist. The C
    allocator keeps freed memory resident and reuses it without growing the resident size, so
    with ``trace=True`` one more (untimed) run is traced by tracemalloc, which sees every numpy
    allocation exactly, and the larger of the two peaks is reported.
    """
    best = float("inf")
    cpu = 0.0
    peak = 0
    result: Any = None
    for _ in range(max(1, repeat)):
        result = None
        gc.collect()
        if _RSS:
            base = _vm("VmRSS")
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
        else:
            tracemalloc.start()
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        t1, c1 = time.perf_counter(), time.process_time()
        if _RSS:
            peak = max(peak, _vm("VmHWM") - base)
        else:
            peak = max(peak, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        if t1 - t0 < best:
            best, cpu = t1 - t0, c1 - c0
    if trace and _RSS:
        result = None
        gc.collect()
        tracemalloc.start()
        result = fn()
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return Measure(best, cpu, peak, result)


def load_average() -> str:
    """The 1-minute load average and the core count, to judge how busy the machine was."""
    try:
        return f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    except OSError:  # pragma: no cover
        return "load unknown"


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A plain-text table (right-aligned numbers)."""
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def mib(n: int) -> str:
    """Bytes as MiB."""
    return f"{n / 2**20:.0f}"
