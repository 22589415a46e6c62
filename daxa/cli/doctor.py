"""``daxa doctor``: check that every archive daxa uses answers and still has the columns it needs."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from daxa.cli import add_subcommand

    p = add_subcommand(
        sub,
        "doctor",
        common,
        help="check the archives: reachable, columns daxa needs, rows per table",
        description="For every service configured now (the real archives, a mirror or the "
        "emulator), reach it, read the columns of every table daxa uses, compare them with "
        "what daxa needs and count the rows. Prints one table and exits 1 when a service is "
        "unreachable or a table lacks a column daxa needs. Run it when a fetch fails with "
        "'no longer has the column', or after an archive announces changes.",
        example="daxa doctor\ndaxa doctor --missions chandra,xmm_pointed --no-count\n"
        "daxa doctor --mirror http://127.0.0.1:8765",
    )
    p.add_argument(
        "--missions",
        default="all",
        metavar="M1,M2",
        help="missions to check, comma-separated (default: all)",
    )
    p.add_argument("--no-count", action="store_true", help="skip the COUNT(*) query of each table")
    p.set_defaults(func=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    import polars as pl

    from daxa.cli._output import format_table
    from daxa.doctor import doctor
    from daxa.missions.registry import resolve_missions

    missions = [m.name for m in resolve_missions(args.missions)]
    report = doctor(missions, count=not args.no_count)
    shown = report.table.with_columns(
        pl.col("reachable").replace_strict({True: "yes", False: "NO"}, return_dtype=pl.String)
    )
    print(format_table(shown, max_rows=100, max_width=60))
    problems = report.problems
    if problems.height:
        print(f"\n{problems.height} table source(s) need attention:")
        for mission, table, action in problems.select("mission", "table", "action").rows():
            print(f"  {mission} ({table}): {action}")
        return 1
    print("\nevery service answered and every table has the columns daxa needs")
    return 0
