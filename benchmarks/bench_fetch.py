"""Fetch + normalise time per mission from the emulator at real sizes, and cached-load time.

Run: ``python benchmarks/bench_fetch.py`` (add ``--quick`` for a tenth of the sizes).
Goal (issue 2): loading the cached Swift-size table takes <= 0.1 s, next to a plain
``polars.read_parquet`` of the same file. Both loads run the same number of times
(``--repeat``, default 5) and their medians are compared (min and max beside them); fetching
is timed once cold and once warm (the emulator then serves cached bytes).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median_runs  # noqa: E402
from _report import goal, print_goals  # noqa: E402

from daxa import cache  # noqa: E402
from daxa.fetch import fetch_mission  # noqa: E402
from daxa.missions import get_mission, mission_names  # noqa: E402
from daxa.services import ArchiveSession  # noqa: E402
from daxa.testing import emulated_archives  # noqa: E402
from daxa.testing.tables import TABLES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the real sizes")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each load (median)")
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
            load_t = median_runs(
                "daxa load", lambda m=mission: cache.read(m, cache_dir=folder), args.repeat
            )
            plain_t = median_runs(
                "read_parquet",
                lambda m=mission: pl.read_parquet(cache.cache_path(m, folder)),
                args.repeat,
            )
            load, plain = load_t.median, plain_t.median
            rows.append(
                {
                    "mission": mission,
                    "raw rows": fetched.raw_rows,
                    "rows kept": fetched.table.height,
                    "fetch+normalise s (first)": round(first, 3),
                    "fetch+normalise s (warm)": round(second, 3),
                    "daxa load s": round(load, 4),
                    "load min-max": f"{min(load_t.walls):.4f}-{max(load_t.walls):.4f}",
                    "read_parquet s": round(plain, 4),
                    "read min-max": f"{min(plain_t.walls):.4f}-{max(plain_t.walls):.4f}",
                    "load/read_parquet": round(load / plain, 2),
                }
            )
    with pl.Config(tbl_rows=20, tbl_cols=20, tbl_width_chars=200):
        print(pl.DataFrame(rows))
    swift = next(r for r in rows if r["mission"] == "swift")
    print(
        f"cached Swift table ({swift['rows kept']} rows): daxa load {swift['daxa load s']} s vs "
        f"read_parquet {swift['read_parquet s']} s (medians of {args.repeat})"
    )
    ok = swift["daxa load s"] <= 0.1
    print_goals([goal("cached Swift load <= 0.1 s", f"{swift['daxa load s']} s", ok)], args.quick)


if __name__ == "__main__":
    main()
