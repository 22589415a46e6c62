"""One timing harness for every benchmark, ours and the peers alike.

Fairness rules every script follows through this module:

- every method (ours and each peer) runs the same number of times and the **median** wall
  time is reported, with the minimum, the maximum and the median CPU time beside it (CPU time
  is the steadier figure on a shared machine, and CPU > wall shows that both cores worked);
- each method runs in its **own fresh process** (``multiprocessing`` "spawn"): the parent
  writes the inputs once to a temporary folder (``.npy`` / Parquet), the child loads them,
  records its resident size (``VmRSS``) after loading — the baseline — then prepares the
  method (untimed, timed separately as ``setup_s``), makes one untimed warm-up call (timed as
  ``first_s``: lazy imports and compiled code a fresh process loads once, the same for every
  method), runs it N times and reports its final ``VmHWM``. Nothing resets the kernel's high-water mark: the
  peak is the process's own, and "above inputs" is that peak minus the loaded baseline. The
  child writes the method's last result to the folder so the parent compares every method's
  answer with ours;
- the goals table (:mod:`_report`, which prints every table) gives every numeric goal with its
  value, whether it is met, and the load average at the moment it was measured.

Where /proc is absent (not Linux) the peak comes from ``getrusage`` and the baseline is 0.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from _report import mib

#: A method factory: given the loaded inputs (and keyword arguments), prepare what is not to
#: be timed (e.g. astropy SkyCoords) and return the zero-argument call that is timed.
Factory = Callable[..., Callable[[], Any]]


# ---------------------------------------------------------------------------------------------
# memory


def _vm(field_name: str) -> int:
    """A /proc/self/status field in bytes (0 when /proc is not there)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    if field_name == "VmHWM":
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
    return 0


def peak_rss() -> int:
    """This process's resident-set high-water mark in bytes (never reset)."""
    return _vm("VmHWM")


# ---------------------------------------------------------------------------------------------
# results


@dataclass
class Timing:
    """Every run of one method: wall and CPU times, setup time, memory, last result."""

    label: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    setup_s: float = 0.0
    first_s: float | None = None
    base_rss: int = 0
    peak_hwm: int = 0
    result: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.walls)

    @property
    def median(self) -> float:
        return statistics.median(self.walls) if self.walls else float("nan")

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus) if self.cpus else float("nan")

    @property
    def peak_above(self) -> int:
        """Peak resident memory above the loaded-inputs baseline, in bytes."""
        return max(0, self.peak_hwm - self.base_rss)

    def cells(self, digits: int = 3) -> dict[str, str]:
        """The table cells every script prints for a method."""
        if not self.ok:
            return {"median_s": "-", "check": self.error or "not run"}
        f = f"{{:.{digits}f}}"
        return {
            "runs": str(len(self.walls)),
            "median_s": f.format(self.median),
            "min_s": f.format(min(self.walls)),
            "max_s": f.format(max(self.walls)),
            "cpu_s": f.format(self.cpu),
            "setup_s": f.format(self.setup_s) if self.setup_s else "",
            "first_s": "" if self.first_s is None else f.format(self.first_s),
            "peak_MiB": mib(self.peak_hwm),
            "above_inputs_MiB": mib(self.peak_above) if self.base_rss else "",
        }


def median_runs(label: str, fn: Callable[[], Any], repeat: int, warmup: bool = False) -> Timing:
    """Run ``fn`` ``repeat`` times in this process (median wall and CPU times, last result).

    For methods that cannot leave the process (a warm database connection, a server already
    started); memory is then not per method, and the scripts say so. ``warmup``: one
    untimed call first, as :func:`run_isolated` makes.
    """
    t = Timing(label)
    if warmup:
        t0 = time.perf_counter()
        fn()
        t.first_s = time.perf_counter() - t0
    for _ in range(max(1, repeat)):
        t.result = None
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        t.result = fn()
        t.walls.append(time.perf_counter() - t0)
        t.cpus.append(time.process_time() - c0)
    t.peak_hwm = peak_rss()
    return t


# ---------------------------------------------------------------------------------------------
# inputs and results through a folder


def save_inputs(folder: Path, **inputs: Any) -> None:
    """Arrays as ``.npy``, polars frames as Parquet, anything else as JSON."""
    import polars as pl

    folder.mkdir(parents=True, exist_ok=True)
    for name, value in inputs.items():
        if isinstance(value, pl.DataFrame):
            value.write_parquet(folder / f"{name}.parquet")
        elif isinstance(value, np.ndarray | np.generic | float | int) and not isinstance(
            value, bool
        ):
            np.save(folder / f"{name}.npy", np.asarray(value), allow_pickle=False)
        else:
            (folder / f"{name}.json").write_text(json.dumps(value))


def load_inputs(folder: Path) -> dict[str, Any]:
    """What :func:`save_inputs` wrote, fully in memory (so the baseline counts it)."""
    out: dict[str, Any] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix == ".npy":
            out[path.stem] = np.load(path, allow_pickle=False)
        elif path.suffix == ".parquet":
            import polars as pl

            out[path.stem] = pl.read_parquet(path)
        elif path.suffix == ".json":
            out[path.stem] = json.loads(path.read_text())
    return out


def _save_result(path: Path, result: Any) -> None:
    import polars as pl

    if isinstance(result, pl.Series | np.ndarray):
        result = (np.asarray(result),)
    if isinstance(result, pl.DataFrame):
        result.write_parquet(path.with_suffix(".parquet"))
    elif isinstance(result, tuple) and all(isinstance(a, np.ndarray) for a in result):
        np.savez(path.with_suffix(".npz"), *result)
    else:
        path.with_suffix(".json").write_text(json.dumps(result, default=_jsonable))


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _load_result(path: Path) -> Any:
    if path.with_suffix(".parquet").exists():
        import polars as pl

        return pl.read_parquet(path.with_suffix(".parquet"))
    if path.with_suffix(".npz").exists():
        with np.load(path.with_suffix(".npz")) as z:
            return tuple(z[f"arr_{i}"] for i in range(len(z.files)))
    if path.with_suffix(".json").exists():
        return json.loads(path.with_suffix(".json").read_text())
    return None


# ---------------------------------------------------------------------------------------------
# one method in one fresh process


def _child(
    factory: Factory, inputs: str, repeat: int, kwargs: dict[str, Any], out: str, warmup: bool
) -> dict[str, Any]:
    """Runs in the spawned process: load, baseline, prepare, N timed runs, final peak."""
    try:
        x = load_inputs(Path(inputs))
        gc.collect()
        report: dict[str, Any] = {"base_rss": _vm("VmRSS"), "walls": [], "cpus": []}
        t0 = time.perf_counter()
        call = factory(x, **kwargs)
        report["setup_s"] = time.perf_counter() - t0
        result = None
        if warmup:  # one untimed call, the same for every method: lazy imports, JIT caches
            t0 = time.perf_counter()
            call()
            report["first_s"] = time.perf_counter() - t0
        for _ in range(max(1, repeat)):
            result = None
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            result = call()
            report["walls"].append(time.perf_counter() - t0)
            report["cpus"].append(time.process_time() - c0)
        report["peak_hwm"] = _vm("VmHWM")
        _save_result(Path(out), result)
        return report
    except Exception as exc:  # reported in the table, not raised: the other methods still run
        return {"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}


def _child_entry(conn: Any, *args: Any) -> None:
    conn.send(_child(*args))
    conn.close()


def run_isolated(
    label: str,
    factory: Factory,
    inputs: Path,
    repeat: int,
    keep_result: bool = True,
    timeout: float | None = None,
    warmup: bool | None = None,
    **kwargs: Any,
) -> Timing:
    """Time ``factory(inputs, **kwargs)()`` ``repeat`` times in a fresh spawned process.

    With ``warmup`` (default: the ``BENCH_WARMUP`` environment variable, else on) every
    method first makes one untimed call, reported as ``first_s``: what a fresh process pays
    once (lazy imports, numba's compiled code, dask's start) is shown, not mixed into the
    median. A child still running after ``timeout`` seconds is killed and reported as such.
    """
    if warmup is None:
        warmup = os.environ.get("BENCH_WARMUP", "1") != "0"
    out = inputs.parent / f"result-{os.getpid()}-{time.monotonic_ns()}"
    ctx = get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=_child_entry,
        args=(send, factory, str(inputs), repeat, kwargs, str(out), warmup),
    )
    child.start()
    send.close()
    try:
        if receive.poll(timeout):
            report = receive.recv()
        else:
            report = {"error": f"timeout: still running after {timeout:g} s, killed"}
    except EOFError:  # the child died without answering (killed for memory, a crash)
        report = {"error": f"process died (exit code {child.join(5) or child.exitcode})"}
    finally:
        if child.is_alive():
            child.kill()
        child.join(10)
        receive.close()
    t = Timing(label)
    if "error" in report:
        t.error = report["error"]
        if os.environ.get("BENCH_DEBUG"):
            print(report.get("trace", ""), file=sys.stderr)
    else:
        t.walls, t.cpus = report["walls"], report["cpus"]
        t.setup_s, t.base_rss = report["setup_s"], report["base_rss"]
        t.peak_hwm = report["peak_hwm"]
        t.first_s = report.get("first_s")
        if keep_result:
            t.result = _load_result(out)
    for suffix in (".npz", ".parquet", ".json"):
        out.with_suffix(suffix).unlink(missing_ok=True)
    return t


def run_interleaved(
    methods: list[tuple[str, Factory, Path, dict[str, Any]]],
    repeat: int,
    timeout: float | None = None,
    keep: Collection[str] | None = None,
) -> list[Timing]:
    """Time several methods in alternation: ``repeat`` rounds, each running every method
    once in its own fresh process (as :func:`run_isolated`). On a shared machine whose load
    drifts, a method timed in one block of runs and its reference in another can differ by a
    quarter for no reason of theirs; alternating puts both under the same drift. Each round
    starts one method further on, so no method is always the first of its round (measured
    on C, whose three ways are one computation: the way run first had the slowest median in
    five of seven runs, whichever way it was). Per method: the walls and CPU times of every
    round, the highest peak memory, the first round's setup and first call, the last
    round's result (only for the labels in ``keep``, when given)."""
    merged = [Timing(label) for label, *_ in methods]
    for round_ in range(repeat):
        turn = [(round_ + i) % len(methods) for i in range(len(methods))]
        for t, (label, factory, inputs, kwargs) in ((merged[i], methods[i]) for i in turn):
            if t.error is not None:
                continue
            last = round_ == repeat - 1
            kept = last and (keep is None or label in keep)
            one = run_isolated(
                label, factory, inputs, 1, keep_result=kept, timeout=timeout, **kwargs
            )
            if one.error is not None:
                t.error = one.error
                continue
            if not t.walls:
                t.setup_s, t.first_s, t.base_rss = one.setup_s, one.first_s, one.base_rss
            t.walls += one.walls
            t.cpus += one.cpus
            t.peak_hwm = max(t.peak_hwm, one.peak_hwm)
            t.result = one.result
    return merged


@contextmanager
def scratch(prefix: str = "daxa-bench-") -> Iterator[Path]:
    """A temporary folder removed at the end whatever happens (inputs, HATS folders, results)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
