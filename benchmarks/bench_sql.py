"""Benchmarks of daxa.sql: DuckDB over the Parquet cache of all 12 missions at real sizes.

1. A group-by over ``observations`` (≈655k rows): goal ≤ 50 ms (warm connection), and the
   same on a fresh connection; polars over the same files for context.
2. A cone query three ways: ``in_cone`` with ``_healpix_29`` ranges inlined (what
   ``SkyDB.query`` does with literal arguments), the macro's declination band alone, and a
   full scan computing the separation of every row; the ratio full / pruned is printed.
3. The SQL positions join of 1e5 positions against the Python engine (the positions filter,
   ``daxa.filters.positions.Positions.associate``, one mission at a time on tables already in
   memory; or ``daxa.sky.pairs.pair_search`` when the filter is not installed) on the same
   data, checking the pairs are identical.

Every method runs the same number of times in its own fresh process (``_common.run_isolated``:
median, min, max, CPU time, peak memory); the connection or tables a method needs are set up
in that process before the timed runs. The cone queries, many tiny ones, are timed in this
process, every variant the same number of times (median per query).

The tables come from the local archive emulator at real sizes, fetched and normalised through
the real code (about 6 s), into a temporary cache unless ``--cache-dir`` names one to reuse.

    python benchmarks/bench_sql.py            # full size
    python benchmarks/bench_sql.py --quick    # 10x fewer positions, fewer repeats
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import run_isolated, save_inputs, scratch  # noqa: E402
from _report import TIMING_COLUMNS, goal, load_average, print_goals, table  # noqa: E402

from daxa import cache  # noqa: E402
from daxa.missions import mission_names  # noqa: E402
from daxa.sql import connect, expand_cones  # noqa: E402

GROUP_BY = (
    "SELECT mission, year(start) AS year, count(*) AS n, sum(exposure) AS exposure_s "
    "FROM observations GROUP BY ALL"
)
GROUP_BY_GOAL_S = 0.050
GOALS: list[dict[str, str]] = []


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(median, max) wall seconds over ``repeat`` runs, and the last result (used for the
    many tiny cone queries, in this process; every variant gets the same runs)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), result


def f_group_by(x: dict[str, Any], how: str) -> Callable[[], Any]:
    """One group-by method in its own process: DuckDB warm, DuckDB fresh connection, polars."""
    folder = Path(x["cfg"]["folder"])
    if how == "warm":
        db = connect(folder)
        db.query(GROUP_BY)  # the first run reads the Parquet footers (untimed)
        return lambda: db.query(GROUP_BY)
    if how == "count":
        db = connect(folder)
        simple = "SELECT mission, count(*) AS n FROM observations GROUP BY mission"
        db.query(simple)
        return lambda: db.query(simple)
    if how == "fresh":

        def fresh() -> pl.DataFrame:
            with connect(folder) as fresh_db:
                return fresh_db.query(GROUP_BY)  # type: ignore[no-any-return]

        return fresh
    files = [str(cache.cache_path(m, folder)) for m in cache.cached_missions(folder)]
    return lambda: (
        pl.scan_parquet(files, missing_columns="insert", extra_columns="ignore")
        .group_by("mission", pl.col("start").dt.year().alias("year"))
        .agg(pl.len().alias("n"), pl.col("exposure").sum().alias("exposure_s"))
        .collect()
    )


def fill_cache(folder: Path) -> None:
    """Fetch every mission at real size from the emulator into ``folder``."""
    from daxa.testing import emulated_archives

    start = time.perf_counter()
    with emulated_archives(sizes="real"):
        for mission in mission_names():
            cache.refresh(mission, cache_dir=folder)
    print(f"filled the cache from the emulator (real sizes) in {time.perf_counter() - start:.1f} s")


def bench_group_by(folder: Path, repeat: int, work: Path) -> None:
    print("\n== 1. group-by over `observations` ==")
    print(f"   {GROUP_BY}")
    inputs = work / "group_by"
    save_inputs(inputs, cfg={"folder": str(folder)})
    labels = {
        "warm": "DuckDB, warm connection",
        "count": "DuckDB, warm, count per mission only",
        "fresh": "DuckDB, fresh connection (views + query)",
        "polars": "polars scan_parquet, same group-by",
    }
    runs = {
        how: run_isolated(label, f_group_by, inputs, repeat, how=how)
        for how, label in labels.items()
    }
    rows = [{"method": t.label, **t.cells(4)} for t in runs.values()]
    print(table(rows, ["method", *TIMING_COLUMNS]))
    warm, polars_ = runs["warm"], runs["polars"]
    if warm.ok:
        print(f"   {warm.result.height} groups")
        GOALS.append(
            goal(
                "group-by <= 50 ms (warm)",
                f"{warm.median * 1e3:.1f} ms",
                warm.median <= GROUP_BY_GOAL_S,
            )
        )
    if warm.ok and polars_.ok:
        same = polars_.result.height == warm.result.height
        print(f"   polars / DuckDB = {polars_.median / warm.median:.2f} (same groups: {same})")


def bench_cone(folder: Path, repeat: int, n_centres: int) -> None:
    print("\n== 2. cone query: HEALPix-pruned macro vs full scan ==")
    rng = np.random.default_rng(42)
    centres = list(
        zip(
            rng.uniform(0, 360, n_centres),
            np.degrees(np.arcsin(rng.uniform(-1, 1, n_centres))),
            strict=True,
        )
    )
    with connect(folder) as db:
        for view, radius in (("observations", 0.5), ("swift", 0.5), ("observations", 3.0)):
            variants = {
                "in_cone + _healpix_29 ranges": "SELECT count(*) AS n FROM {v} WHERE in_cone(ra, dec, _healpix_29, {a}, {d}, {r})",
                "in_cone (dec band only)": "SELECT count(*) AS n FROM {v} WHERE in_cone(ra, dec, {a}, {d}, {r})",
                "full scan (ang_sep <= r)": "SELECT count(*) AS n FROM {v} WHERE ang_sep(ra, dec, {a}, {d}) <= {r}",
            }
            results: dict[str, tuple[float, list[int]]] = {}
            for label, template in variants.items():
                per_centre, counts = [], []
                for a, d in centres:
                    sql = template.format(v=view, a=repr(float(a)), d=repr(float(d)), r=radius)
                    db.query(sql)
                    median, _, out = timed(lambda sql=sql: db.query(sql), repeat)
                    per_centre.append(median)
                    counts.append(int(out["n"].item()))
                results[label] = (statistics.median(per_centre), counts)
            counts_ok = len({tuple(c) for _, c in results.values()}) == 1
            full = results["full scan (ang_sep <= r)"][0]
            print(
                f"   {view}, radius {radius} deg, {n_centres} centres (median per query; rows found: {sum(results['full scan (ang_sep <= r)'][1])}, identical: {counts_ok})"
            )
            for label, (median, _) in results.items():
                print(
                    f"     {label:32s} {median * 1e3:7.2f} ms   full scan / this = {full / median:5.1f}x"
                )
        example = (
            "SELECT count(*) FROM swift WHERE in_cone(ra, dec, _healpix_29, 83.633, 22.0145, 0.5)"
        )
        print(f"   e.g. {example}\n   becomes {expand_cones(example)}")


def _python_pairs(
    folder: Path,
    missions: list[str],
    ra: np.ndarray,
    dec: np.ndarray,
    instruments: dict[str, list[str]],
) -> Callable[[], pl.DataFrame]:
    """The Python engine on tables already loaded in memory."""
    tables = {m: cache.read(m, folder) for m in missions}
    try:
        from daxa.filters.positions import Positions

        positions = Positions(np.column_stack([ra, dec]))

        def run() -> pl.DataFrame:
            parts = [
                positions.associate(tables[m], mission=m, instruments=instruments.get(m)).select(
                    "pos_index", "mission", "obs_id"
                )
                for m in missions
            ]
            return pl.concat(parts).with_columns(pl.col("pos_index").cast(pl.Int64))

        run.engine = "daxa.filters.positions.Positions.associate"  # type: ignore[attr-defined]
        return run
    except ImportError:
        from daxa.missions import coverage
        from daxa.sky.pairs import pair_search

        def run() -> pl.DataFrame:
            parts = []
            for m in missions:
                t = tables[m]
                radius = coverage.default_row_radius(t, m, instruments.get(m))
                ok = np.flatnonzero(np.isfinite(radius))
                found = pair_search(
                    ra,
                    dec,
                    t["ra"].to_numpy()[ok],
                    t["dec"].to_numpy()[ok],
                    radius[ok],
                    radius_of="right",
                )
                parts.append(
                    pl.DataFrame(
                        {
                            "pos_index": found.left,
                            "mission": m,
                            "obs_id": t["obs_id"].to_numpy()[ok][found.right],
                        }
                    )
                )
            return pl.concat(parts)

        run.engine = "daxa.sky.pairs.pair_search + daxa.missions.coverage"  # type: ignore[attr-defined]
        return run


def f_positions(x: dict[str, Any], engine: str) -> Callable[[], pl.DataFrame]:
    """The positions join by SQL (connection opened and warmed untimed) or by Python (tables
    loaded untimed), in its own process."""
    folder = Path(x["cfg"]["folder"])
    missions, instruments = x["cfg"]["missions"], x["cfg"]["instruments"]
    ra, dec = x["ra"], x["dec"]
    if engine == "python":
        return _python_pairs(folder, missions, ra, dec, instruments)
    db = connect(folder)
    db.match_positions((ra[:10], dec[:10]), missions=missions, instruments=instruments)
    return lambda: db.match_positions((ra, dec), missions=missions, instruments=instruments)


def bench_positions(folder: Path, n_positions: int, repeat: int, work: Path) -> None:
    print("\n== 3. positions join: SQL vs the Python engine ==")
    rng = np.random.default_rng(7)
    cases = [
        (
            "11 missions (all but INTEGRAL), default radii, Swift XRT only",
            [m for m in mission_names() if m != "integral_pointed"],
            {"swift": ["XRT"]},
            n_positions,
        ),
        (
            "INTEGRAL, default radii (ISGRI 4.98 deg, JEM-X 2.88 deg)",
            ["integral_pointed"],
            {},
            max(1000, n_positions // 10),
        ),
    ]
    for k, (label, missions, instruments, n) in enumerate(cases):
        ra = rng.uniform(0, 360, n)
        dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
        inputs = work / f"positions{k}"
        cfg = {"folder": str(folder), "missions": missions, "instruments": instruments}
        save_inputs(inputs, ra=ra, dec=dec, cfg=cfg)
        sql = run_isolated(
            "SQL (DuckDB, reads the Parquet files)", f_positions, inputs, repeat, engine="sql"
        )
        python = run_isolated(
            "Python engine (tables in memory)", f_positions, inputs, repeat, engine="python"
        )
        keys = ["pos_index", "mission", "obs_id"]
        same = (
            sql.ok
            and python.ok
            and sql.result.select(keys).sort(keys).equals(python.result.select(keys).sort(keys))
        )
        pairs = sql.result.height if sql.ok else "-"
        print(f"   {label}: {n:,} positions, {pairs} pairs, identical pairs: {same}")
        rows = [{"method": t.label, **t.cells()} for t in (sql, python)]
        print(table(rows, ["method", *TIMING_COLUMNS]))
        if sql.ok and python.ok:
            print(f"     SQL / Python = {sql.median / python.median:.2f} ({load_average()})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1e4 positions and fewer repeats")
    parser.add_argument("--cache-dir", type=Path, help="reuse (or fill) this cache folder")
    parser.add_argument(
        "--positions", type=int, help="number of positions for the join (default 1e5)"
    )
    parser.add_argument("--repeat", type=int, help="runs per method (default 15, quick 5)")
    args = parser.parse_args()
    n_positions = args.positions or (10_000 if args.quick else 100_000)
    repeat = args.repeat or (5 if args.quick else 15)
    with scratch("daxa-bench-sql-") as tmp:
        folder = args.cache_dir or tmp / "cache"
        folder.mkdir(parents=True, exist_ok=True)
        if set(cache.cached_missions(folder)) != set(mission_names()):
            fill_cache(folder)
        rows = {m: cache.info(m, folder).rows for m in cache.cached_missions(folder)}
        print(f"cache {folder}: {len(rows)} missions, {sum(rows.values()):,} rows")
        print("   " + ", ".join(f"{m} {n:,}" for m, n in rows.items()))
        print(f"every method {repeat} runs in its own process (median); {load_average()}")
        bench_group_by(folder, repeat, tmp)
        bench_cone(folder, max(3, repeat // 3), n_centres=10 if args.quick else 20)
        bench_positions(folder, n_positions, max(3, repeat // 5), tmp)
    print_goals(GOALS, args.quick)


if __name__ == "__main__":
    main()
