"""Survey-scale cross-matching (issue 6) at real table sizes, each run in a fresh process.

Run: ``python benchmarks/bench_crossmatch.py`` (every configuration; ``--only NAME`` for
one, ``--quick`` for a tenth of every size, ``--lsdb`` to create ``benchmarks/.venv-lsdb``
with LSDB the first time and time LSDB's own cross-match in it). Observation tables are the
emulator's generated tables at the real archive sizes, through the real normalisers; the
catalogues are seeded uniform skies. Every configuration runs in its own subprocess so its
peak resident memory (``VmHWM``: everything, data generation included) is its own. Goals on
this 2-core machine:

- ``observations``: 1e7 positions × the pointed imaging missions plus eROSITA and RASS (Swift
  XRT only, INTEGRAL left out), default per-row radii, pairs streamed to Parquet: <= 60 s,
  peak RSS <= 2 GB;
- ``summary``: coverage summary, 1e7 positions × all 12 missions, default instruments (Swift
  XRT and BAT: a 60° radius that reaches a quarter of the sky from every position; INTEGRAL
  JEM-X and ISGRI), summary rows streamed to Parquet: <= 60 s, <= 2 GB;
  ``summary_narrow`` is the same without the wide fields (the 11 missions of
  ``observations``); ``summary_wide`` times the three ways of summing wide fields (the
  compiled tree walk, numpy cells, pairs) on the same positions, as ratios;
- ``summary_1e8``: 1e8 positions streamed from a HEALPix-sorted Parquet file in summary mode
  (the missions and default instruments of ``summary``): completes within 4 GB peak RSS;
- ``catalogues``: 1e7 × 1e6 best match at 2": <= 0.6 s in memory, against astropy
  ``match_coordinates_sky`` and (``--lsdb``) LSDB ``crossmatch`` in the same run;
- ``catalogues_dask``: the same on a 2-worker LocalCluster, with its overhead.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import load_average  # noqa: E402

RESULTS = HERE / "results"
LSDB_VENV = HERE / ".venv-lsdb"
ARCSEC = 1 / 3600

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


def peak_rss() -> int:
    """This process's resident-set high-water mark in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


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


# --------------------------------------------------------------------------- configurations


def run_observations(scale: float) -> dict[str, Any]:
    import polars as pl

    from daxa.crossmatch import match_observations

    n = int(1e7 * scale)
    tables = mission_tables(POINTED_PLUS)
    cat = positions_frame(n)
    out = Path(tempfile.mkdtemp(prefix="daxa-bench-")) / "pairs.parquet"
    t0 = time.perf_counter()
    match_observations(
        cat, tables=tables, instruments={"swift": ["XRT"]}, output=out, progress=False
    )
    seconds = time.perf_counter() - t0
    pairs = pl.scan_parquet(out).select(pl.len()).collect().item()
    size = out.stat().st_size
    out.unlink()
    return {
        "positions": n,
        "missions": len(tables),
        "observations": sum(t.height for t in tables.values()),
        "pairs": pairs,
        "parquet_mb": round(size / 1e6, 1),
        "seconds": round(seconds, 2),
        "pairs_per_s": round(pairs / seconds),
    }


def run_summary(scale: float) -> dict[str, Any]:
    """1e7 positions × all 12 missions with their default instruments (the issue's goal)."""
    return _summary(scale, POINTED_PLUS + ["integral_pointed"], None)


def run_summary_narrow(scale: float) -> dict[str, Any]:
    """1e7 positions × the 11 missions of ``observations`` (Swift XRT only)."""
    return _summary(scale, POINTED_PLUS, {"swift": ["XRT"]})


def _summary(scale: float, missions: list[str], instruments: Any) -> dict[str, Any]:
    import polars as pl

    from daxa.crossmatch import coverage_summary

    n = int(1e7 * scale)
    tables = mission_tables(missions)
    cat = positions_frame(n)
    out = Path(tempfile.mkdtemp(prefix="daxa-bench-")) / "summary.parquet"
    t0 = time.perf_counter()
    coverage_summary(cat, tables=tables, instruments=instruments, output=out, progress=False)
    seconds = time.perf_counter() - t0
    rows = pl.scan_parquet(out).select(pl.len()).collect().item()
    out.unlink()
    return {
        "positions": n,
        "missions": len(tables),
        "observations": sum(t.height for t in tables.values()),
        "summary_rows": rows,
        "seconds": round(seconds, 2),
    }


def run_summary_wide(scale: float) -> dict[str, Any]:
    """Swift (XRT + BAT) and INTEGRAL (JEM-X, ISGRI) with default instruments: the compiled
    tree walk against numpy cells and pairs on the same positions (identical results), and
    the tree alone on 1e6 positions."""
    import polars as pl
    from polars.testing import assert_frame_equal

    from daxa.crossmatch import coverage_summary

    tables = mission_tables(["swift", "integral_pointed"])
    out: dict[str, Any] = {}
    t0 = time.perf_counter()  # numba loads (or compiles) the walk on first use
    coverage_summary(positions_frame(10), "swift", tables=tables, method="tree", progress=False)
    out["tree_first_call_s"] = round(time.perf_counter() - t0, 2)
    small = {"swift": int(2e3 * scale) or 1, "integral_pointed": int(2e4 * scale) or 1}
    for mission, n in small.items():
        cat = positions_frame(n, seed=3)
        timed: dict[str, pl.DataFrame] = {}
        for method in ("tree", "cells", "pairs"):
            if mission == "swift" and method == "pairs":
                continue  # ~93,000 pairs per position: hours at any useful size
            t0 = time.perf_counter()
            got = coverage_summary(cat, mission, tables=tables, method=method, progress=False)
            out[f"{mission}_{method}_s"] = round(time.perf_counter() - t0, 2)
            assert isinstance(got, pl.DataFrame)
            timed[method] = got
        for got in timed.values():
            assert_frame_equal(got, timed["tree"])
        out[f"{mission}_positions"] = n
        for method in timed:
            if method != "tree":
                ratio = out[f"{mission}_{method}_s"] / out[f"{mission}_tree_s"]
                out[f"{mission}_tree_vs_{method}"] = f"{ratio:.0f}x faster"
        big = int(1e6 * scale)
        cat = positions_frame(big, seed=4)
        t0 = time.perf_counter()
        got = coverage_summary(cat, mission, tables=tables, progress=False)
        seconds = time.perf_counter() - t0
        assert isinstance(got, pl.DataFrame)
        total = got.filter(got["instrument"].is_null())
        out[f"{mission}_1e6_tree_s"] = round(seconds, 2)
        out[f"{mission}_mean_n_obs"] = round(float(total["n_obs"].mean() or 0), 1)
    return out


def pl_frame() -> type:
    import polars as pl

    return pl.DataFrame


def run_summary_1e8(scale: float) -> dict[str, Any]:
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    from daxa.crossmatch import coverage_summary
    from daxa.sky.healpix import healpix_index

    n = int(1e8 * scale)
    folder = Path(tempfile.mkdtemp(prefix="daxa-bench-"))
    src = folder / "positions.parquet"
    # a survey catalogue as LSDB/HATS keep them: sorted by _healpix_29, written in pieces
    t0 = time.perf_counter()
    step = 5_000_000
    pieces = []
    for k, a in enumerate(range(0, n, step)):
        ra, dec = uniform(min(step, n - a), 100 + k)
        hpx = healpix_index(ra, dec)
        pieces.append(folder / f"piece{k:04d}.parquet")
        pl.DataFrame({"ra": ra, "dec": dec, "_healpix_29": hpx}).sort("_healpix_29").write_parquet(
            pieces[-1]
        )
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
        table = part.to_arrow()
        if writer is None:
            writer = pq.ParquetWriter(src, table.schema)
        writer.write_table(
            table.cast(writer.schema) if isinstance(table, pa.Table) else table,
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
    t0 = time.perf_counter()
    coverage_summary(src, tables=tables, output=out, memory_budget="2GB", progress=False)
    seconds = time.perf_counter() - t0
    rows = pl.scan_parquet(out).select(pl.len()).collect().item()
    out.unlink()
    src.unlink()
    return {
        "positions": n,
        "missions": len(tables),
        "summary_rows": rows,
        "input_prep_s": round(prep, 1),
        "seconds": round(seconds, 1),
    }


def _catalogue_data(scale: float) -> tuple[Any, Any]:
    """1e7 left positions, 1e6 right ones: 90 % jittered copies (1" scatter), 10 % unrelated."""
    import polars as pl

    n, m = int(1e7 * scale), int(1e6 * scale)
    lra, ldec = uniform(n, 7)
    rng = np.random.default_rng(8)
    pick = rng.choice(n, int(m * 0.9), replace=False)
    jra = (lra[pick] + rng.normal(0, ARCSEC, pick.size) / np.cos(np.radians(ldec[pick]))) % 360
    jdec = np.clip(ldec[pick] + rng.normal(0, ARCSEC, pick.size), -90, 90)
    ora, odec = uniform(m - pick.size, 9)
    left = pl.DataFrame({"ra": lra, "dec": ldec})
    right = pl.DataFrame({"ra": np.concatenate([jra, ora]), "dec": np.concatenate([jdec, odec])})
    return left, right


def run_catalogues(scale: float, lsdb: bool) -> dict[str, Any]:
    from _common import measure

    from daxa.crossmatch import match_catalogues

    left, right = _catalogue_data(scale)
    run = measure(
        lambda: match_catalogues(
            left,
            right,
            2 * ARCSEC,
            how="best",
            left_columns=[],
            right_columns=[],
            progress=False,
        ),
        repeat=3,
    )
    out: dict[str, Any] = {
        "left": left.height,
        "right": right.height,
        "matches": run.result.height,
        "daxa_s": round(run.seconds, 3),
        "daxa_peak_extra": gib(run.peak_bytes),
    }
    # the pair search alone (the sky engine), for reference
    from daxa.sky.pairs import best_match_symmetric

    t0 = time.perf_counter()
    best_match_symmetric(
        left["ra"].to_numpy(),
        left["dec"].to_numpy(),
        right["ra"].to_numpy(),
        right["dec"].to_numpy(),
        2 * ARCSEC,
    )
    out["sky_engine_s"] = round(time.perf_counter() - t0, 3)
    # astropy: nearest neighbour of every right row among the left rows (KD-tree)
    from astropy import units as u
    from astropy.coordinates import SkyCoord, match_coordinates_sky

    t0 = time.perf_counter()
    lc = SkyCoord(left["ra"].to_numpy() * u.deg, left["dec"].to_numpy() * u.deg)
    rc = SkyCoord(right["ra"].to_numpy() * u.deg, right["dec"].to_numpy() * u.deg)
    idx, d2d, _ = match_coordinates_sky(rc, lc)
    out["astropy_s"] = round(time.perf_counter() - t0, 2)
    out["astropy_within_2as"] = int((d2d.deg <= 2 * ARCSEC).sum())
    if lsdb:
        out.update(_lsdb_crossmatch(left, right))
    return out


def _lsdb_crossmatch(left: Any, right: Any) -> dict[str, Any]:
    """Write both sides as HATS with daxa, then time LSDB's crossmatch in its own venv."""
    from daxa.crossmatch import write_hats

    python = LSDB_VENV / "bin" / "python"
    if not python.exists():
        return {"lsdb": "skipped: run with --lsdb to create benchmarks/.venv-lsdb"}
    folder = Path(tempfile.mkdtemp(prefix="daxa-lsdb-"))
    write_hats(left, folder / "left", max_rows=1_000_000)
    write_hats(right, folder / "right", max_rows=1_000_000)
    script = f"""
import time, lsdb
from dask.distributed import Client, LocalCluster
left = lsdb.open_catalog({str(folder / "left")!r})
right = lsdb.open_catalog({str(folder / "right")!r})
with LocalCluster(n_workers=2, threads_per_worker=1, host='127.0.0.1',
                  dashboard_address=None) as cluster, Client(cluster):
    t0 = time.perf_counter()
    n = len(left.crossmatch(right, radius_arcsec=2.0, n_neighbors=1, suffixes=('_l', '_r'))
            .compute())
    print(n, time.perf_counter() - t0)
"""
    done = subprocess.run([str(python), "-c", script], capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        return {"lsdb": "failed: " + done.stderr.strip().splitlines()[-1][:200]}
    n, seconds = done.stdout.split()[-2:]
    return {"lsdb_matches": int(n), "lsdb_s": round(float(seconds), 2)}


def run_catalogues_dask(scale: float) -> dict[str, Any]:
    from distributed import Client, LocalCluster

    from daxa.crossmatch import match_catalogues

    left, right = _catalogue_data(scale)
    match = functools.partial(
        match_catalogues,
        left,
        right,
        2 * ARCSEC,
        how="best",
        left_columns=[],
        right_columns=[],
        chunk_rows=len(left) // 8,
        progress=False,
    )
    t0 = time.perf_counter()
    local = match()
    local_s = time.perf_counter() - t0
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        t0 = time.perf_counter()
        remote = match(client=client)
        dask_s = time.perf_counter() - t0
    assert remote.equals(local)
    return {
        "left": left.height,
        "right": right.height,
        "matches": local.height,
        "chunks": 8,
        "local_chunked_s": round(local_s, 2),
        "dask_s": round(dask_s, 2),
        "dask_overhead_s": round(dask_s - local_s, 2),
        "identical": True,
    }


CONFIGS = {
    "observations": run_observations,
    "summary": run_summary,
    "summary_narrow": run_summary_narrow,
    "summary_wide": run_summary_wide,
    "summary_1e8": run_summary_1e8,
    "catalogues": run_catalogues,
    "catalogues_dask": run_catalogues_dask,
}


def ensure_lsdb_venv() -> None:
    """Create benchmarks/.venv-lsdb with LSDB (never a daxa dependency), git-ignored."""
    python = LSDB_VENV / "bin" / "python"
    if python.exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(LSDB_VENV)], check=True)
    (LSDB_VENV / ".gitignore").write_text("*\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "lsdb"], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(CONFIGS), action="append")
    parser.add_argument("--quick", action="store_true", help="a tenth of every size")
    parser.add_argument("--scale", type=float, default=None, help="multiply every size")
    parser.add_argument("--lsdb", action="store_true", help="also time LSDB (creates its venv)")
    parser.add_argument("--run", choices=sorted(CONFIGS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    scale = args.scale if args.scale is not None else (0.1 if args.quick else 1.0)
    if args.run:  # child process: one configuration, JSON on the last line
        func = CONFIGS[args.run]
        result = func(scale, args.lsdb) if args.run == "catalogues" else func(scale)
        result["peak_rss"] = peak_rss()
        print(json.dumps(result))
        return
    if args.lsdb:
        ensure_lsdb_venv()
    print(f"daxa cross-match benchmarks, scale {scale:g}, {load_average()} at start")
    results = {}
    for name in args.only or list(CONFIGS):
        cmd = [sys.executable, __file__, "--run", name, "--scale", str(scale)]
        if args.lsdb:
            cmd.append("--lsdb")
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ})
        if done.returncode != 0:
            print(f"{name}: FAILED\n{done.stderr[-3000:]}")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["wall_incl_setup_s"] = round(time.perf_counter() - t0, 1)
        results[name] = result
        peak = result.pop("peak_rss")
        print(f"\n{name} (peak RSS {gib(peak)}, {load_average()})")
        for key, value in result.items():
            print(f"  {key:>22}: {value}")
        result["peak_rss_gib"] = round(peak / 2**30, 2)
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"crossmatch-{stamp}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
