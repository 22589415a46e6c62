"""Survey-scale cross-matching (issues 6 and 21) at real table sizes, against the peers.

Run: ``python benchmarks/bench_crossmatch.py`` (every configuration; ``--only NAME`` for
one, ``--quick`` for a tenth of every size, ``--lsdb`` to create ``benchmarks/.venv-lsdb``
with LSDB the first time and time LSDB's own cross-match in it, ``--both-orders`` to also
time astropy the other way round). Observation tables are the emulator's generated tables at
the real archive sizes, through the real normalisers; the catalogues are seeded uniform skies.

Every configuration runs in its own process; inside it, every method — ours and each peer —
runs in its own fresh process too (``_common.run_isolated``), the same number of times
(``--repeat``; ``--repeat-heavy`` for the configurations with no peer, default 1), with the
median wall time, min, max, CPU time, the process's peak resident memory (``VmHWM``, never
reset) and the peak above the loaded inputs. Every peer's pairs are compared with ours.
Temporary folders (inputs, outputs, the HATS catalogues built for LSDB) are removed at the end.

Peers at their best:

- astropy ``match_coordinates_sky``: SkyCoords built before the timed region (and a row
  including them), ``storekdtree=False`` so every run does the same work. The symmetric best
  match needs both directions (two calls, a tree on each side); "nearest" needs the tree on
  the right catalogue. With ``--both-orders`` a single call with the tree on the *larger*
  catalogue (as astropy's documentation suggests for the catalogue) is timed too: it answers
  the reverse question, so it is shown for its time only.
- scipy ``cKDTree``: the symmetric best match with a tree on each side (both cores).
- LSDB (its own venv): catalogues written by LSDB itself (``from_dataframe`` + ``to_hats``)
  with its own margin catalogue for the right side (``margin_threshold`` = 2 × the radius,
  opened with ``open_catalog(..., margin_cache=...)``), cross-matched with ``n_neighbors=1``
  on dask's threaded scheduler with 2 threads (so its memory and CPU are in one process);
  the timed part opens both catalogues and computes the cross-match. Compared with our
  ``how="nearest"``. Without ``--lsdb`` (no venv) it says "skipped".

Goals (issue 6, then issue 21; full size, this 2-core machine):

- ``observations``: 1e7 positions × the pointed imaging missions plus eROSITA and RASS (Swift
  XRT only, INTEGRAL left out), pairs streamed to Parquet: <= 60 s (issue 21: <= 20 s), peak
  RSS <= 2 GB;
- ``summary``: coverage summary, 1e7 positions × all 12 missions, default instruments (Swift
  XRT and BAT, INTEGRAL JEM-X and ISGRI): <= 60 s (issue 21: <= 40 s), <= 2 GB;
  ``summary_totals``: the same per position and mission only (``by_instrument=False``):
  <= 20 s; ``summary_narrow`` is the same without the wide fields; ``summary_wide`` times
  the three ways of summing wide fields (tree walk, numpy cells, pairs) as ratios;
- ``summary_1e8``: 1e8 positions streamed from a HEALPix-sorted Parquet file in summary mode:
  <= 300 s and <= 3 GB peak RSS (issue 21);
- ``catalogues``: 1e7 × 1e6 best match at 2": <= 0.6 s in memory, with the peers;
- ``catalogues_disk``: the same read from HEALPix-sorted Parquet with a memory budget a tenth
  of the inputs, ``best``, ``nearest`` and ``all``: each <= 2× its in-memory time, same rows;
- ``catalogues_dask``: the chunked match on a 2-worker LocalCluster <= 1.5× the local chunked
  time, on the catalogues read from Parquet with the budget above (the issue's "the same")
  and in memory in 8 chunks (the Dask workers' memory is not in the parent's peak); the
  cluster is started as the README recommends, without the nanny's ``MALLOC_TRIM_THRESHOLD_``.

The two ratio goals time a method and its reference in alternation (``run_interleaved``: one
fresh process per run, the two methods taking turns and each starting every other round),
so that both see the same load on a shared machine; ``--repeat 4`` gives each side two starts.
"""

from __future__ import annotations

import argparse
import atexit
import inspect
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import (  # noqa: E402
    Timing,
    _vm,
    median_runs,
    peak_rss,
    run_interleaved,
    run_isolated,
    save_inputs,
    scratch,
)
from _report import TIMING_COLUMNS, goal, load_average, print_goals, table  # noqa: E402

RESULTS = HERE / "results"
LSDB_VENV = HERE / ".venv-lsdb"
ARCSEC = 1 / 3600
RADIUS = 2 * ARCSEC

#: The pointed imaging missions, eROSITA and RASS (issue 6's first benchmark).
POINTED_PLUS = [
    "xmm_pointed",
    "chandra",
    "nustar_pointed",
    "erosita_calpv",
    "erosita_all_sky_de_dr1",
    "rosat_pointed",
    "rosat_all_sky",
    "swift",
    "suzaku",
    "asca",
    "xrism_pointed",
]


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def uniform(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))


def mission_tables(names: list[str]) -> dict[str, Any]:
    """Generated tables at the real archive sizes, normalised by the real normalisers."""
    from daxa.missions import get_mission
    from daxa.testing.tables import TABLES, generate_table

    out = {}
    for name in names:
        spec = get_mission(name)
        out[name] = spec.normalise(generate_table(spec.source.table, TABLES[spec.source.table]))
    return out


def positions_frame(n: int, seed: int = 1) -> Any:
    import polars as pl

    ra, dec = uniform(n, seed)
    return pl.DataFrame({"ra": ra, "dec": dec})


def ours_only(label: str, fn: Callable[[], Any], repeat: int, base_rss: int) -> dict[str, Any]:
    """Time one of our calls (no peer in the configuration) in this configuration's process:
    median of ``repeat`` runs, peak RSS of the process and above the inputs (``base_rss``)."""
    t = median_runs(label, fn, repeat)
    t.base_rss = base_rss
    return {"method": label, **t.cells(2), "_median": t.median, "_peak": t.peak_hwm}


# --------------------------------------------------------------------------- configurations


def run_observations(o: argparse.Namespace) -> dict[str, Any]:
    import polars as pl

    from daxa.crossmatch import match_observations

    n = int(1e7 * o.scale)
    tables = mission_tables(POINTED_PLUS)
    cat = positions_frame(n)
    with scratch() as folder:
        out = folder / "pairs.parquet"

        def call() -> None:
            out.unlink(missing_ok=True)
            match_observations(
                cat, tables=tables, instruments={"swift": ["XRT"]}, output=out, progress=False
            )

        row = ours_only("ours match_observations -> Parquet", call, o.repeat_heavy, _vm("VmRSS"))
        pairs = pl.scan_parquet(out).select(pl.len()).collect().item()
        size = out.stat().st_size
    seconds, peak = row.pop("_median"), row.pop("_peak")
    info = {
        "positions": n,
        "missions": len(tables),
        "observations": sum(t.height for t in tables.values()),
        "pairs": pairs,
        "parquet_mb": round(size / 1e6, 1),
        "pairs_per_s": round(pairs / seconds),
    }
    goals = [
        goal("observations <= 60 s (issue 6)", f"{seconds:.2f} s", seconds <= 60),
        goal("pairs to Parquet <= 20 s (issue 21)", f"{seconds:.2f} s", seconds <= 20),
        goal("pairs to Parquet peak RSS <= 2 GB", gib(peak), peak <= 2e9),
    ]
    return {"info": info, "rows": [row], "goals": goals}


def run_summary(o: argparse.Namespace) -> dict[str, Any]:
    """1e7 positions × all 12 missions with their default instruments (the issue's goal)."""
    res = _summary(o, POINTED_PLUS + ["integral_pointed"], None, True)
    s, peak = res.pop("_seconds"), res.pop("_peak")
    res["goals"] = [
        goal("summary 1e7 x 12 <= 60 s (issue 6)", f"{s:.2f} s", s <= 60),
        goal("summary 1e7 x 12 <= 40 s (issue 21)", f"{s:.2f} s", s <= 40),
        goal("summary peak RSS <= 2 GB", gib(peak), peak <= 2e9),
    ]
    return res


def run_summary_totals(o: argparse.Namespace) -> dict[str, Any]:
    """The same, totals only (per position and mission, no per-instrument rows)."""
    from daxa.crossmatch import coverage_summary

    if "by_instrument" not in inspect.signature(coverage_summary).parameters:
        return {
            "info": {"totals-only": "not implemented"},
            "rows": [],
            "goals": [goal("totals-only summary <= 20 s", "-", "not implemented")],
        }
    res = _summary(o, POINTED_PLUS + ["integral_pointed"], None, False)
    s, _ = res.pop("_seconds"), res.pop("_peak")
    res["goals"] = [goal("totals-only summary 1e7 x 12 <= 20 s", f"{s:.2f} s", s <= 20)]
    return res


def run_summary_narrow(o: argparse.Namespace) -> dict[str, Any]:
    """1e7 positions × the 11 missions of ``observations`` (Swift XRT only)."""
    res = _summary(o, POINTED_PLUS, {"swift": ["XRT"]}, True)
    res.pop("_seconds"), res.pop("_peak")
    return res


def _summary(
    o: argparse.Namespace, missions: list[str], instruments: Any, by_instrument: bool
) -> dict[str, Any]:
    import polars as pl

    from daxa.crossmatch import coverage_summary

    n = int(1e7 * o.scale)
    tables = mission_tables(missions)
    cat = positions_frame(n)
    extra = {} if by_instrument else {"by_instrument": False}
    with scratch() as folder:
        out = folder / "summary.parquet"

        def call() -> None:
            out.unlink(missing_ok=True)
            coverage_summary(
                cat, tables=tables, instruments=instruments, output=out, progress=False, **extra
            )

        label = "ours coverage_summary" + ("" if by_instrument else " (totals only)")
        row = ours_only(label, call, o.repeat_heavy, _vm("VmRSS"))
        rows = pl.scan_parquet(out).select(pl.len()).collect().item()
    info = {
        "positions": n,
        "missions": len(tables),
        "observations": sum(t.height for t in tables.values()),
        "summary_rows": rows,
    }
    return {
        "info": info,
        "rows": [row],
        "goals": [],
        "_seconds": row.pop("_median"),
        "_peak": row.pop("_peak"),
    }


def run_summary_wide(o: argparse.Namespace) -> dict[str, Any]:
    """Swift (XRT + BAT) and INTEGRAL (JEM-X, ISGRI) with default instruments: the compiled
    tree walk against numpy cells and pairs on the same positions (identical results, same
    number of runs each, medians), and the tree alone on 1e6 positions."""
    import polars as pl
    from polars.testing import assert_frame_equal

    from daxa.crossmatch import coverage_summary

    tables = mission_tables(["swift", "integral_pointed"])
    info: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()  # numba loads (or compiles) the walk on first use
    coverage_summary(positions_frame(10), "swift", tables=tables, method="tree", progress=False)
    info["tree_first_call_s"] = round(time.perf_counter() - t0, 2)
    small = {"swift": int(2e3 * o.scale) or 1, "integral_pointed": int(2e4 * o.scale) or 1}
    for mission, n in small.items():
        cat = positions_frame(n, seed=3)
        timed: dict[str, Timing] = {}
        for method in ("tree", "cells", "pairs"):
            if mission == "swift" and method == "pairs":
                continue  # ~93,000 pairs per position: hours at any useful size
            timed[method] = median_runs(
                f"{mission} {method}",
                lambda m=method, c=cat, mi=mission: coverage_summary(
                    c, mi, tables=tables, method=m, progress=False
                ),
                o.repeat,
            )
        for t in timed.values():
            assert isinstance(t.result, pl.DataFrame)
            assert_frame_equal(t.result, timed["tree"].result)
        for method, t in timed.items():
            ratio = t.median / timed["tree"].median
            rows.append(
                {
                    "method": f"{mission} {method}, {n} positions",
                    **t.cells(3),
                    "check": "reference" if method == "tree" else f"same; {ratio:.1f}x the tree",
                }
            )
        cat = positions_frame(int(1e6 * o.scale), seed=4)
        t = median_runs(
            f"{mission} tree 1e6",
            lambda c=cat, mi=mission: coverage_summary(c, mi, tables=tables, progress=False),
            o.repeat_heavy,
        )
        total = t.result.filter(t.result["instrument"].is_null())
        rows.append({"method": f"{mission} tree, {cat.height} positions", **t.cells(3)})
        info[f"{mission}_mean_n_obs"] = round(float(total["n_obs"].mean() or 0), 1)
    return {"info": info, "rows": rows, "goals": []}


def run_summary_1e8(o: argparse.Namespace) -> dict[str, Any]:
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    from daxa.crossmatch import coverage_summary
    from daxa.sky.healpix import healpix_index

    n = int(1e8 * o.scale)
    with scratch() as folder:
        src = folder / "positions.parquet"
        # a survey catalogue as LSDB/HATS keep them: sorted by _healpix_29, written in pieces
        t0 = time.perf_counter()
        step = 5_000_000
        pieces = []
        for k, a in enumerate(range(0, n, step)):
            ra, dec = uniform(min(step, n - a), 100 + k)
            hpx = healpix_index(ra, dec)
            pieces.append(folder / f"piece{k:04d}.parquet")
            pl.DataFrame({"ra": ra, "dec": dec, "_healpix_29": hpx}).sort(
                "_healpix_29"
            ).write_parquet(pieces[-1])
        # k-way merge by HEALPix range: rows go out in order, one range at a time
        edges = np.linspace(0, 12 * 4**29, 65).astype(np.int64)
        writer = None
        for lo, hi in zip(edges[:-1], edges[1:], strict=True):
            part = (
                pl.scan_parquet([str(p) for p in pieces])
                .filter((pl.col("_healpix_29") >= int(lo)) & (pl.col("_healpix_29") < int(hi)))
                .collect()
                .sort("_healpix_29")
            )
            table_ = part.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(src, table_.schema)
            writer.write_table(
                table_.cast(writer.schema) if isinstance(table_, pa.Table) else table_,
                row_group_size=131_072,
            )
        assert writer is not None
        writer.close()
        for p in pieces:
            p.unlink()
        prep = time.perf_counter() - t0
        # the missions and default instruments of ``summary`` (Swift BAT and INTEGRAL included)
        tables = mission_tables(POINTED_PLUS + ["integral_pointed"])
        out = folder / "summary.parquet"

        def call() -> None:
            out.unlink(missing_ok=True)
            coverage_summary(src, tables=tables, output=out, memory_budget="2GB", progress=False)

        row = ours_only("ours coverage_summary streamed", call, o.repeat_heavy, _vm("VmRSS"))
        rows = pl.scan_parquet(out).select(pl.len()).collect().item()
    s, peak = row.pop("_median"), row.pop("_peak")
    info = {"positions": n, "summary_rows": rows, "input_prep_s": round(prep, 1)}
    goals = [
        goal("1e8 summary streamed <= 300 s", f"{s:.1f} s", s <= 300),
        goal("1e8 summary peak RSS <= 3 GB", gib(peak), peak <= 3e9),
    ]
    return {"info": info, "rows": [row], "goals": goals}


# --------------------------------------------------------------------------- catalogues


def _catalogue_data(scale: float) -> tuple[Any, Any]:
    """1e7 left positions, 1e6 right ones: 90 % jittered copies (1" scatter), 10 % unrelated.
    Both sorted by ``_healpix_29`` (as HATS and daxa's streamed outputs keep them), so the
    in-memory and on-disk runs see the same rows in the same order."""
    import polars as pl

    from daxa.sky.healpix import healpix_index

    n, m = int(1e7 * scale), int(1e6 * scale)
    lra, ldec = uniform(n, 7)
    rng = np.random.default_rng(8)
    pick = rng.choice(n, int(m * 0.9), replace=False)
    jra = (lra[pick] + rng.normal(0, ARCSEC, pick.size) / np.cos(np.radians(ldec[pick]))) % 360
    jdec = np.clip(ldec[pick] + rng.normal(0, ARCSEC, pick.size), -90, 90)
    ora, odec = uniform(m - pick.size, 9)
    rra, rdec = np.concatenate([jra, ora]), np.concatenate([jdec, odec])

    def frame(ra: np.ndarray, dec: np.ndarray) -> Any:
        hpx = healpix_index(ra, dec)
        return pl.DataFrame({"ra": ra, "dec": dec, "_healpix_29": hpx}).sort("_healpix_29")

    return frame(lra, ldec), frame(rra, rdec)


def f_ours(x: dict[str, Any], how: str, **kw: Any) -> Callable[[], Any]:
    """``match_catalogues`` on the frames in memory (or on the files named in ``paths``)."""
    from daxa.crossmatch import match_catalogues

    if "paths" in x:
        left, right = x["paths"]["left"], x["paths"]["right"]
        kw["memory_budget"] = x["paths"]["budget"]
    else:
        left, right = x["left"], x["right"]
    if kw.pop("dask", False):
        import dask
        from distributed import Client, LocalCluster

        # as the README recommends: Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_
        # set, which turns off glibc's adaptive mmap threshold, so every large numpy
        # temporary is fresh pages (a chunk took 0.15-0.18 s instead of 0.05 s)
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None})
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = Client(cluster)
        atexit.register(cluster.close)
        atexit.register(client.close)
        kw["client"] = client
    return lambda: match_catalogues(
        left,
        right,
        RADIUS,
        how=how,
        left_columns=[],
        right_columns=[],
        progress=False,
        **kw,
    ).select("left_index", "right_index", "separation_deg")


def f_engine_best(x: dict[str, Any]) -> Callable[[], Any]:
    """The sky engine's symmetric best match alone (no frame building)."""
    from daxa.sky.pairs import best_match_symmetric

    lra, ldec = x["left"]["ra"].to_numpy(), x["left"]["dec"].to_numpy()
    rra, rdec = x["right"]["ra"].to_numpy(), x["right"]["dec"].to_numpy()

    def run() -> Any:
        p = best_match_symmetric(lra, ldec, rra, rdec, RADIUS)
        return np.asarray(p.left), np.asarray(p.right), np.asarray(p.separation)

    return run


def f_astropy(
    x: dict[str, Any], how: str, build_in_timing: bool = False, reverse: bool = False
) -> Callable[[], Any]:
    """astropy ``match_coordinates_sky``: "nearest" (tree on the right rows), "best" (both
    directions, mutual), or ``reverse`` (one call, tree on the larger left rows)."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord, match_coordinates_sky

    lra, ldec = x["left"]["ra"].to_numpy(), x["left"]["dec"].to_numpy()
    rra, rdec = x["right"]["ra"].to_numpy(), x["right"]["dec"].to_numpy()

    def coords() -> tuple[Any, Any]:
        return SkyCoord(lra * u.deg, ldec * u.deg), SkyCoord(rra * u.deg, rdec * u.deg)

    built = None if build_in_timing else coords()

    def run() -> Any:
        lc, rc = built if built is not None else coords()
        if reverse:
            i, sep, _ = match_coordinates_sky(rc, lc, storekdtree=False)
            j = np.flatnonzero(sep.deg <= RADIUS)
            return i[j].astype(np.int64), j, sep.deg[j]
        j, sep, _ = match_coordinates_sky(lc, rc, storekdtree=False)
        i = np.arange(j.size)
        keep = sep.deg <= RADIUS
        if how == "best":
            back, _, _ = match_coordinates_sky(rc, lc, storekdtree=False)
            keep &= back[j] == i
        return i[keep], j[keep].astype(np.int64), sep.deg[keep]

    return run


def f_kdtree_best(x: dict[str, Any]) -> Callable[[], Any]:
    """scipy cKDTree, a tree on each side, nearest both ways, kept when mutual (both cores)."""
    from scipy.spatial import cKDTree

    def xyz(frame: Any) -> np.ndarray:
        r, d = np.radians(frame["ra"].to_numpy()), np.radians(frame["dec"].to_numpy())
        return np.column_stack((np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)))

    left, right = xyz(x["left"]), xyz(x["right"])
    chord = 2 * np.sin(np.radians(RADIUS) / 2)

    def run() -> Any:
        d, j = cKDTree(right).query(left, k=1, distance_upper_bound=chord, workers=-1)
        _, back = cKDTree(left).query(right, k=1, distance_upper_bound=chord, workers=-1)
        i = np.flatnonzero(np.isfinite(d))
        keep = back[j[i]] == i
        i = i[keep]
        return i, j[i].astype(np.int64), np.degrees(2 * np.arcsin(d[i] / 2))

    return run


def pair_keys(result: Any, n_right: int) -> np.ndarray | None:
    """Sorted left * n_right + right keys of a method's pairs (frame or arrays)."""
    if result is None:
        return None
    if hasattr(result, "columns"):
        left, right = result["left_index"].to_numpy(), result["right_index"].to_numpy()
    else:
        left, right = result[0], result[1]
    return np.sort(np.asarray(left, dtype=np.int64) * n_right + np.asarray(right, dtype=np.int64))


def check(reference: Timing, t: Timing, n_right: int) -> str:
    if t is reference:
        return "reference"
    a, b = pair_keys(reference.result, n_right), pair_keys(t.result, n_right)
    if a is None or b is None:
        return "time only (another question)" if t.ok else (t.error or "failed")
    if a.size == b.size and np.array_equal(a, b):
        return "same pairs"
    return (
        f"DIFFERENT: {np.setdiff1d(a, b).size} only in ours, "
        f"{np.setdiff1d(b, a).size} only in theirs"
    )


def _method_rows(results: dict[str, Timing], refs: dict[str, str], n_right: int) -> list[dict]:
    """A table row per method, checked against ``refs[label]`` (our method for its question)."""
    rows = []
    for label, t in results.items():
        ref = results.get(refs.get(label, ""))
        row = {"method": label, **t.cells()}
        if t.ok:
            row["pairs"] = "" if t.result is None else len(pair_keys(t.result, n_right))
            row["check"] = "time only (another question)" if ref is None else check(ref, t, n_right)
        rows.append(row)
    return rows


def run_catalogues(o: argparse.Namespace) -> dict[str, Any]:
    left, right = _catalogue_data(o.scale)
    n_right = right.height
    methods: dict[str, tuple[Any, dict[str, Any], str]] = {
        "ours best": (f_ours, {"how": "best"}, "ours best"),
        "ours nearest": (f_ours, {"how": "nearest"}, "ours nearest"),
        "sky engine best_match_symmetric": (f_engine_best, {}, "ours best"),
        "astropy best (2 calls, mutual)": (f_astropy, {"how": "best"}, "ours best"),
        "astropy best incl. SkyCoord": (
            f_astropy,
            {"how": "best", "build_in_timing": True},
            "ours best",
        ),
        "astropy nearest": (f_astropy, {"how": "nearest"}, "ours nearest"),
        "kdtree best (2 trees, mutual)": (f_kdtree_best, {}, "ours best"),
    }
    if o.both_orders:
        methods["astropy 1 call, tree on larger (left)"] = (
            f_astropy,
            {"how": "nearest", "reverse": True},
            "",
        )
    results: dict[str, Timing] = {}
    with scratch() as folder:
        inputs = folder / "inputs"
        save_inputs(inputs, left=left, right=right)
        for label, (factory, kw, _) in methods.items():
            results[label] = run_isolated(
                label, factory, inputs, o.repeat, keep_result=bool(methods[label][2]), **kw
            )
            print(
                f"  {label:<40} {results[label].median:8.3f} s ({load_average()})",
                file=sys.stderr,
                flush=True,
            )
        results["LSDB crossmatch n_neighbors=1"] = _lsdb(folder, left, right, o)
    refs = {label: ref for label, (_, _, ref) in methods.items()}
    refs["LSDB crossmatch n_neighbors=1"] = "ours nearest"
    rows = _method_rows(results, refs, n_right)
    ours = results["ours best"]
    peers = {k: v for k, v in results.items() if not k.startswith(("ours", "sky")) and v.ok}
    goals = [goal("catalogue best match <= 0.6 s in memory", _wall_cpu(ours), ours.median <= 0.6)]
    for label, t in peers.items():
        other = "" if refs.get(label) else " (another question)"
        ratio = t.median / results[refs.get(label) or "ours best"].median
        goals.append(goal(f"catalogues: {label} / ours{other}", f"{ratio:.1f}x", None))
    info = {"left": left.height, "right": right.height}
    return {"info": info, "rows": rows, "goals": goals}


def _wall_cpu(t: Timing) -> str:
    return f"{t.median:.3f} s (cpu {t.cpu:.3f})" if t.ok else str(t.error)


LSDB_SCRIPT = r"""
import gc, json, os, sys, time
import numpy as np, pandas as pd
import dask, lsdb

folder, repeat, radius_arcsec = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
warmup = os.environ.get("BENCH_WARMUP", "1") != "0"
dask.config.set(scheduler="threads", num_workers=2)

def vm(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0

# untimed: LSDB writes its own catalogues, and a margin catalogue for the right side
t0 = time.perf_counter()
paths = {}
for side, margin in (("left", None), ("right", 2 * radius_arcsec)):
    frame = pd.read_parquet(os.path.join(folder, side + ".parquet"))
    frame["row"] = np.arange(len(frame))
    cat = lsdb.from_dataframe(frame, ra_column="ra", dec_column="dec", margin_threshold=margin)
    path = os.path.join(folder, "lsdb_" + side)
    try:
        cat.to_hats(path, as_collection=False)
    except TypeError:  # older LSDB: no collections
        cat.to_hats(path)
    paths[side] = path
    if margin:
        paths["margin"] = os.path.join(folder, "lsdb_right_margin")
        cat.margin.to_hats(paths["margin"])
    del frame, cat
    gc.collect()
setup = time.perf_counter() - t0
gc.collect()
base = vm("VmRSS")
walls, cpus, result = [], [], None

def once():
    left = lsdb.open_catalog(paths["left"])
    right = lsdb.open_catalog(paths["right"], margin_cache=paths["margin"])
    assert right.margin is not None, "no margin catalogue"
    return left.crossmatch(
        right, radius_arcsec=radius_arcsec, n_neighbors=1, suffixes=("_l", "_r")
    ).compute()

first = None
if warmup:  # the same untimed first call every method gets
    t0 = time.perf_counter()
    once()
    first = time.perf_counter() - t0
for _ in range(repeat):
    result = None
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    result = once()
    walls.append(time.perf_counter() - t0)
    cpus.append(time.process_time() - c0)
np.savez(os.path.join(folder, "lsdb_pairs.npz"),
         result["row_l"].to_numpy(np.int64), result["row_r"].to_numpy(np.int64))
print(json.dumps({"walls": walls, "cpus": cpus, "setup_s": setup, "base_rss": base,
                  "first_s": first,
                  "peak_hwm": vm("VmHWM"), "version": lsdb.__version__}))
"""


def _lsdb(folder: Path, left: Any, right: Any, o: argparse.Namespace) -> Timing:
    """LSDB's own cross-match in its own venv, timed like every other method."""
    t = Timing("LSDB crossmatch n_neighbors=1")
    python = LSDB_VENV / "bin" / "python"
    if not o.lsdb or not python.exists():
        t.error = "skipped: run with --lsdb to create benchmarks/.venv-lsdb"
        return t
    left.select("ra", "dec").write_parquet(folder / "left.parquet")
    right.select("ra", "dec").write_parquet(folder / "right.parquet")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [str(python), "-c", LSDB_SCRIPT, str(folder), str(o.repeat), str(RADIUS * 3600)],
        capture_output=True,
        text=True,
        env=env,
        timeout=o.timeout,
    )
    if done.returncode != 0:
        t.error = "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1][:200]
        return t
    report = json.loads(done.stdout.strip().splitlines()[-1])
    t.walls, t.cpus, t.setup_s = report["walls"], report["cpus"], report["setup_s"]
    t.base_rss, t.peak_hwm = report["base_rss"], report["peak_hwm"]
    t.first_s = report.get("first_s")
    with np.load(folder / "lsdb_pairs.npz") as z:
        t.result = (z["arr_0"], z["arr_1"])
    return t


def _catalogue_inputs(folder: Path, left: Any, right: Any) -> tuple[Path, Path, int]:
    """The catalogues saved for the methods' processes in memory (``memory`` folder) and as
    HEALPix-sorted Parquet files with a memory budget a tenth of their size (``disk``)."""
    budget = int((left.estimated_size() + right.estimated_size()) / 10)
    left.write_parquet(folder / "left.parquet", row_group_size=100_000)
    right.write_parquet(folder / "right.parquet", row_group_size=100_000)
    paths = {
        "left": str(folder / "left.parquet"),
        "right": str(folder / "right.parquet"),
        "budget": budget,
    }
    save_inputs(folder / "memory", left=left, right=right)
    save_inputs(folder / "disk", paths=paths)
    return folder / "memory", folder / "disk", budget


def _ratio_goal(
    o: argparse.Namespace,
    reference: tuple[str, Path, dict[str, Any]],
    method: tuple[str, Path, dict[str, Any]],
    limit: float,
    name: str,
    table: tuple[dict[str, Timing], dict[str, str], int],
) -> dict[str, Any]:
    """``method`` against ``reference`` (label, inputs, ``f_ours`` keywords), timed in
    alternation so that both see the same load: their rows go into ``table`` (results,
    references, right rows) and the goal ``name`` is met at a ratio of ``limit`` or less
    with the same rows."""
    results, refs, n_right = table
    ref, got = run_interleaved(
        [(label, f_ours, inputs, kw) for label, inputs, kw in (reference, method)],
        o.repeat,
        timeout=o.timeout,
    )
    for t in (ref, got):
        results[t.label] = t
        refs[t.label] = ref.label
        print(f"  {t.label:<56} {t.median:8.3f} s ({load_average()})", file=sys.stderr, flush=True)
    ratio = got.median / ref.median
    same = check(ref, got, n_right) == "same pairs"
    return goal(
        name,
        f"{ratio:.2f}x" if got.ok else str(got.error),
        got.ok and ratio <= limit and same,
    )


def run_catalogues_disk(o: argparse.Namespace) -> dict[str, Any]:
    """best / nearest / all from HEALPix-sorted Parquet, budget a tenth of the inputs."""
    left, right = _catalogue_data(o.scale)
    table: tuple[dict[str, Timing], dict[str, str], int] = ({}, {}, right.height)
    with scratch() as folder:
        memory, disk, budget = _catalogue_inputs(folder, left, right)
        goals = [
            _ratio_goal(
                o,
                (f"ours {how} in memory", memory, {"how": how}),
                (f"ours {how} from Parquet, budget {budget / 2**20:.1f} MiB", disk, {"how": how}),
                2,
                f"out-of-core {how} <= 2x in memory, same rows",
                table,
            )
            for how in ("best", "nearest", "all")
        ]
    rows = _method_rows(table[0], table[1], right.height)
    return {"info": {"left": left.height, "right": right.height}, "rows": rows, "goals": goals}


def run_catalogues_dask(o: argparse.Namespace) -> dict[str, Any]:
    """Dask against the local chunked run, on the two chunked workloads: the catalogues read
    from Parquet with a budget a tenth of their size (the out-of-core match the goal names as
    "the same"), and in memory cut into 8 chunks (the case whose Dask overhead the issue
    measured first)."""
    left, right = _catalogue_data(o.scale)
    table: tuple[dict[str, Timing], dict[str, str], int] = ({}, {}, right.height)
    with scratch() as folder:
        memory, disk, _ = _catalogue_inputs(folder, left, right)
        eight = {"how": "best", "chunk_rows": max(1, left.height // 8)}
        workloads = [
            ("from Parquet, budget a tenth", disk, {"how": "best"}),
            ("in memory, 8 chunks", memory, eight),
        ]
        goals = [
            _ratio_goal(
                o,
                (f"ours local chunked, {name}", inputs, kw),
                (f"ours 2-worker LocalCluster, {name}", inputs, {**kw, "dask": True}),
                1.5,
                f"Dask <= 1.5x local chunked, same rows ({name})",
                table,
            )
            for name, inputs, kw in workloads
        ]
    rows = _method_rows(table[0], table[1], right.height)
    return {"info": {"left": left.height, "right": right.height}, "rows": rows, "goals": goals}


CONFIGS = {
    "observations": run_observations,
    "summary": run_summary,
    "summary_totals": run_summary_totals,
    "summary_narrow": run_summary_narrow,
    "summary_wide": run_summary_wide,
    "summary_1e8": run_summary_1e8,
    "catalogues": run_catalogues,
    "catalogues_disk": run_catalogues_disk,
    "catalogues_dask": run_catalogues_dask,
}

#: The numeric goals of each configuration, listed when it did not run.
CONFIG_GOALS = {
    "observations": [
        "observations <= 60 s (issue 6)",
        "pairs to Parquet <= 20 s (issue 21)",
        "pairs to Parquet peak RSS <= 2 GB",
    ],
    "summary": [
        "summary 1e7 x 12 <= 60 s (issue 6)",
        "summary 1e7 x 12 <= 40 s (issue 21)",
        "summary peak RSS <= 2 GB",
    ],
    "summary_totals": ["totals-only summary 1e7 x 12 <= 20 s"],
    "summary_1e8": ["1e8 summary streamed <= 300 s", "1e8 summary peak RSS <= 3 GB"],
    "catalogues": ["catalogue best match <= 0.6 s in memory"],
    "catalogues_disk": [
        f"out-of-core {h} <= 2x in memory, same rows" for h in ("best", "nearest", "all")
    ],
    "catalogues_dask": [
        "Dask <= 1.5x local chunked, same rows (from Parquet, budget a tenth)",
        "Dask <= 1.5x local chunked, same rows (in memory, 8 chunks)",
    ],
}


def ensure_lsdb_venv() -> None:
    """Create benchmarks/.venv-lsdb with LSDB (never a daxa dependency), git-ignored."""
    python = LSDB_VENV / "bin" / "python"
    if python.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(LSDB_VENV)], check=True)
    (LSDB_VENV / ".gitignore").write_text("*\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "lsdb"], check=True)


def footprint_goal(quick: bool) -> dict[str, str]:
    """Issue 19's footprint goal lives in its own script when it exists."""
    script = HERE / "bench_footprints.py"
    if not script.exists():
        return goal("footprint <= 1.5x circles (issue 19)", "-", "skipped: no bench_footprints.py")
    return goal(
        "footprint <= 1.5x circles (issue 19)",
        f"see python benchmarks/bench_footprints.py{' --quick' if quick else ''}",
        "its own table",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(CONFIGS), action="append")
    parser.add_argument("--quick", action="store_true", help="a tenth of every size")
    parser.add_argument("--scale", type=float, default=None, help="multiply every size")
    parser.add_argument("--repeat", type=int, default=3, help="runs per method (median)")
    parser.add_argument(
        "--repeat-heavy", type=int, default=1, help="runs of the configurations without a peer"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per method")
    parser.add_argument("--lsdb", action="store_true", help="also time LSDB (creates its venv)")
    parser.add_argument("--both-orders", action="store_true", help="astropy the other way too")
    parser.add_argument("--run", choices=sorted(CONFIGS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.scale = args.scale if args.scale is not None else (0.1 if args.quick else 1.0)
    if args.run:  # child process: one configuration, JSON on the last line
        result = CONFIGS[args.run](args)
        result["peak_rss"] = peak_rss()
        print(json.dumps(result, default=str))
        return
    if args.lsdb:
        ensure_lsdb_venv()
    print(f"daxa cross-match benchmarks, scale {args.scale:g}, {load_average()} at start")
    results: dict[str, Any] = {}
    goals: list[dict[str, str]] = []
    chosen = args.only or list(CONFIGS)
    for name in CONFIGS:
        if name not in chosen:
            goals += [
                {**goal(g, "-", "not run (--only)"), "load": "-"}
                for g in CONFIG_GOALS.get(name, [])
            ]
            continue
        cmd = [sys.executable, __file__, "--run", name, *_passed_on(args)]
        print(f"\n{name} ...", flush=True)
        t0 = time.perf_counter()
        # progress and errors go straight to the terminal (stderr); the result is stdout's last line
        done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ})
        if done.returncode != 0:
            print(f"{name}: FAILED (see above)")
            goals += [goal(g, "-", "FAILED") for g in CONFIG_GOALS.get(name, [])]
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["wall_incl_setup_s"] = round(time.perf_counter() - t0, 1)
        results[name] = result
        print(
            f"{name} (configuration process peak RSS {gib(result['peak_rss'])}, {load_average()})"
        )
        for key, value in result["info"].items():
            print(f"  {key:>22}: {value}")
        if result["rows"]:
            print(table(result["rows"], ["method", *TIMING_COLUMNS, "pairs", "check"]))
        goals += result.get("goals", [])
    goals.append(footprint_goal(args.quick))
    print_goals(goals, args.scale != 1)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"crossmatch-{stamp}.json").write_text(json.dumps(results, indent=2, default=str))


def _passed_on(args: argparse.Namespace) -> list[str]:
    out = ["--scale", str(args.scale), "--repeat", str(args.repeat)]
    out += ["--repeat-heavy", str(args.repeat_heavy), "--timeout", str(args.timeout)]
    return out + (["--lsdb"] if args.lsdb else []) + (["--both-orders"] if args.both_orders else [])


if __name__ == "__main__":
    main()
