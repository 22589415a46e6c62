"""``daxa match``: bulk cross-match of a catalogue against the observation tables."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from daxa.cli._inputs import (
    DEC_NAMES,
    NAME_NAMES,
    RA_NAMES,
    TIME_NAMES,
    add_mission_arguments,
    chosen_missions,
    parse_instruments,
    parse_radius,
)
from daxa.cli._output import format_table, write_table
from daxa.errors import InputError

EXAMPLE = """\
daxa match clusters.csv --instruments swift=XRT -o cluster_pairs.parquet
daxa match clusters.csv --missions xmm_pointed,chandra --summary -o coverage.csv
daxa match sne.csv swift --epoch discoverydate --window 20 365 --overlap-only
daxa match big.parquet all --memory 4GB --scheduler tcp://127.0.0.1:8786"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from daxa.cli import add_subcommand

    p = add_subcommand(
        sub,
        "match",
        common,
        help="cross-match a catalogue of positions against the observations (bulk)",
        description="Match every row of a catalogue (CSV, Parquet, FITS or HATS) against the "
        "observation tables: every (row, observation) pair within each observation's search "
        "radius (default 1.2 x FoV of the instruments that observed), or with --summary per "
        "row and mission: how many observations, total exposure, first and last dates. Works "
        "in HEALPix chunks within --memory, optionally on a Dask cluster. MISSION defaults to "
        "the cached missions.",
        example=EXAMPLE,
    )
    p.add_argument("catalogue", metavar="CATALOGUE", help="file or HATS folder of positions")
    add_mission_arguments(p)
    p.add_argument("--ra", metavar="COL", help="RA column in degrees (default: found by name)")
    p.add_argument("--dec", metavar="COL", help="Dec column in degrees (default: found by name)")
    p.add_argument("--id", metavar="COL", help="an id column copied to the result")
    p.add_argument(
        "--radius",
        metavar="ANGLE",
        help="one radius for all (degrees or 30arcmin), or the name of a radius column",
    )
    p.add_argument(
        "--instruments",
        action="append",
        default=[],
        metavar="[MISSION=]INST[,INST...]",
        help="instruments per mission (e.g. swift=XRT: leaves out BAT's 60° radius)",
    )
    p.add_argument("--summary", action="store_true", help="per row and mission, not per pair")
    p.add_argument(
        "--coverage",
        choices=("circle", "footprint"),
        default="circle",
        help="circle: 1.2 x field of view (default); footprint: the instruments' real fields "
        "(adds covered yes/maybe, offaxis_arcmin, footprint_instrument, owner_tile)",
    )
    p.add_argument("--epoch", metavar="COL", help="a time column: each row's window is around it")
    p.add_argument(
        "--window",
        nargs=2,
        type=float,
        metavar=("DAYS_BEFORE", "DAYS_AFTER"),
        help="with --epoch: the window around each row's time (default 0 0)",
    )
    p.add_argument(
        "--overlap-only", action="store_true", help="keep only pairs overlapping the window"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the result (.parquet streams)")
    p.add_argument("--memory", default="2GB", help="memory budget for chunking (default 2GB)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler")
    p.add_argument("--rows", type=int, default=10, metavar="N", help="rows to print (default 10)")
    p.set_defaults(func=run_match)


def catalogue_columns(path: str | Path) -> list[str]:
    """Column names of a catalogue file, without reading its rows."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"catalogue {str(p)!r} does not exist")
    suffix = p.suffix.lower()
    try:
        if p.is_dir():
            return []  # HATS: the matcher knows its columns
        if suffix in (".parquet", ".pq"):
            return list(pl.read_parquet_schema(p))
        if suffix in (".fits", ".fit", ".fts"):
            from astropy.io import fits

            with fits.open(p) as hdul:
                return list(hdul[1].columns.names)  # type: ignore[union-attr]
        return list(pl.scan_csv(p, n_rows=1).collect_schema())
    except Exception as exc:
        raise InputError(f"cannot read the catalogue {str(p)!r}: {exc}") from None


def _pick(columns: list[str], given: str | None, names: tuple[str, ...], what: str) -> str | None:
    if given is not None:
        if columns and given not in columns:
            raise InputError(
                f"--{what} {given!r} is not a column of the catalogue; it has: "
                f"{', '.join(columns[:15])}"
            )
        return given
    lower = {c.lower(): c for c in columns}
    return next((lower[n] for n in names if n in lower), None)


def run_match(args: argparse.Namespace) -> int:
    from daxa.crossmatch import coverage_summary, match_observations

    columns = catalogue_columns(args.catalogue)
    ra = _pick(columns, args.ra, RA_NAMES, "ra")
    dec = _pick(columns, args.dec, DEC_NAMES, "dec")
    if ra is None or dec is None:
        raise InputError(
            f"cannot tell the RA/Dec columns of {args.catalogue!r} (it has: "
            f"{', '.join(columns[:15])}); name them with --ra and --dec"
        )
    ident = _pick(columns, args.id, NAME_NAMES, "id") if args.id or columns else None
    missions = [m.name for m in chosen_missions(args, fetches=False)[0]]
    instruments = parse_instruments(args.instruments, missions) or None
    radius: Any = None
    if args.radius:
        radius = args.radius if args.radius in columns else parse_radius(args.radius)
    progress = sys.stderr.isatty() and not args.quiet
    output = Path(args.output) if args.output else None
    stream = output is not None and output.suffix.lower() in (".parquet", ".pq")
    if args.summary:
        if args.epoch or args.window or args.overlap_only:
            raise InputError("--summary does not take time windows (--epoch/--window)")
        result = coverage_summary(
            args.catalogue,
            missions,
            ra=ra,
            dec=dec,
            id=ident,
            radius=radius,
            instruments=instruments,
            coverage=args.coverage,
            memory_budget=args.memory,
            scheduler=args.scheduler,
            progress=progress,
            output=output if stream else None,
        )
    else:
        epoch = _pick(columns, args.epoch, TIME_NAMES, "epoch") if args.epoch else None
        if args.window and epoch is None:
            raise InputError("--window needs --epoch COL (the time column)")
        if args.overlap_only and epoch is None:
            raise InputError("--overlap-only needs --epoch COL and --window")
        window = None
        if epoch is not None:
            before, after = args.window or (0.0, 0.0)
            if before < 0 or after < 0:
                raise InputError("--window DAYS_BEFORE DAYS_AFTER: both must be >= 0")
            window = (timedelta(days=before), timedelta(days=after))
        result = match_observations(
            args.catalogue,
            missions,
            ra=ra,
            dec=dec,
            id=ident,
            epoch=epoch,
            window=window,
            radius=radius,
            overlap_only=args.overlap_only,
            coverage=args.coverage,
            memory_budget=args.memory,
            scheduler=args.scheduler,
            progress=progress,
            output=output if stream else None,
        )
    frame = pl.read_parquet(result) if isinstance(result, Path) else result
    _print_result(frame, args)
    if output is not None:
        if not stream:
            write_table(frame, output)
        print(f"wrote {frame.height:,} rows to {output}")
    return 0


def _registry_order(frame: pl.DataFrame) -> pl.DataFrame:
    from daxa.missions import mission_names

    order = {m: i for i, m in enumerate(mission_names())}
    return frame.sort(pl.col("mission").replace_strict(order, default=len(order)))


def _print_result(frame: pl.DataFrame, args: argparse.Namespace) -> None:
    if frame.height == 0:
        print("no matches")
        return
    if args.summary:
        totals = (
            frame.filter(pl.col("instrument").is_null()) if "instrument" in frame.columns else frame
        )
        per_mission = totals.group_by("mission", maintain_order=True).agg(
            rows_covered=pl.col("n_obs").gt(0).sum(),
            observations=pl.col("n_obs").sum(),
            exposure_ks=pl.col("exposure").sum() / 1e3
            if "exposure" in totals.columns
            else pl.lit(None),
        )
        print(format_table(_registry_order(per_mission), max_rows=100))
        return
    per_mission = frame.group_by("mission", maintain_order=True).agg(
        pairs=pl.len(),
        rows_matched=pl.col("pos_index").n_unique(),
        observations=pl.col("obs_id").n_unique(),
    )
    print(format_table(_registry_order(per_mission), max_rows=100))
    print(f"\n{frame.height:,} pairs; {frame['pos_index'].n_unique():,} catalogue rows matched")
    shown = [
        c
        for c in ("pos_index", "row_id", "mission", "obs_id", "separation_deg", "instruments")
        if c in frame.columns
    ]
    print()
    print(format_table(frame.select(shown), max_rows=args.rows))
