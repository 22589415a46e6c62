"""Fetch + normalise time per mission from the emulator at real sizes, and cached-load time.

Run: ``python benchmarks/bench_fetch.py`` (add ``--quick`` for a tenth of the sizes).
Goal (issue 2): loading the cached Swift-size table takes <= 0.1 s, next to a plain
``polars.read_parquet`` of the same file.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import polars as pl

from daxa import cache
from daxa.fetch import fetch_mission
from daxa.missions import get_mission, mission_names
from daxa.services import ArchiveSession
from daxa.testing import emulated_archives
from daxa.testing.tables import TABLES


def best_of(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the real sizes")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0
    sizes = {name: max(50, int(n * scale)) for name, n in TABLES.items()}
    rows = []
    with tempfile.TemporaryDirectory() as folder, emulated_archives(sizes=sizes) as emulator:
        session = ArchiveSession()
        for mission in mission_names():
            spec = get_mission(mission)
            emulator.table(spec.source.table)  # generate outside the timing
            t0 = time.perf_counter()
            fetched = fetch_mission(mission, session=session)
            first = time.perf_counter() - t0
            t0 = time.perf_counter()
            fetch_mission(mission, session=session)  # the emulator now serves cached bytes
            second = time.perf_counter() - t0
            cache.write(fetched.table, mission, source_url=fetched.source_url, cache_dir=folder)
            load = best_of(lambda m=mission: cache.read(m, cache_dir=folder))
            plain = best_of(lambda m=mission: pl.read_parquet(cache.cache_path(m, folder)))
            rows.append(
                {
                    "mission": mission,
                    "raw rows": fetched.raw_rows,
                    "rows kept": fetched.table.height,
                    "fetch+normalise s (first)": round(first, 3),
                    "fetch+normalise s (warm)": round(second, 3),
                    "daxa load s": round(load, 4),
                    "read_parquet s": round(plain, 4),
                    "load/read_parquet": round(load / plain, 2),
                }
            )
    with pl.Config(tbl_rows=20, tbl_cols=20, tbl_width_chars=200):
        print(pl.DataFrame(rows))
    swift = next(r for r in rows if r["mission"] == "swift")
    verdict = "meets" if swift["daxa load s"] <= 0.1 else "MISSES"
    print(
        f"cached Swift table ({swift['rows kept']} rows): daxa load {swift['daxa load s']} s vs "
        f"read_parquet {swift['read_parquet s']} s — {verdict} the 0.1 s goal"
    )


if __name__ == "__main__":
    main()
