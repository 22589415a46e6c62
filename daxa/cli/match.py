"""``daxa match``: bulk cross-match of a catalogue against the observation tables."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from daxa.cli._inputs import (
    add_mission_arguments,
    chosen_missions,
    parse_instruments,
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
    p.add_argument("--ra", metavar="COL", help="RA column (default: found by UCD or name)")
    p.add_argument("--dec", metavar="COL", help="Dec column (default: found by UCD or name)")
    p.add_argument("--id", metavar="COL", help="an id column copied to the result as row_id")
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
    p.add_argument(
        "--time-format",
        metavar="FMT",
        help="what numbers in the --epoch column count: mjd, jd, unix, decimalyear",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the result (.parquet streams)")
    p.add_argument(
        "--moc",
        metavar="FILE",
        help="write the searched coverage as a MOC (.fits; footprints with --coverage footprint)",
    )
    p.add_argument("--samp", action="store_true", help="send the result over SAMP (TOPCAT)")
    p.add_argument("--memory", default="2GB", help="memory budget for chunking (default 2GB)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler")
    p.add_argument("--rows", type=int, default=10, metavar="N", help="rows to print (default 10)")
    p.set_defaults(func=run_match)


def run_match(args: argparse.Namespace) -> int:
    from daxa.crossmatch import coverage_summary, match_observations
    from daxa.inputs import find_column, open_source

    source = open_source(Path(args.catalogue), what="catalogue")
    columns = source.columns
    label = source.label
    ra, dec = args.ra, args.dec
    if source.coordinates is None or ra or dec:  # a HATS catalogue declares its own
        kw: dict[str, Any] = {"units": source.units, "ucds": source.ucds, "label": label}
        ra = find_column(columns, "ra", given=args.ra, option="--ra", **kw)
        dec = find_column(columns, "dec", given=args.dec, option="--dec", **kw)
    ident = find_column(
        columns,
        "id",
        given=args.id,
        ucds=source.ucds,
        required=bool(args.id),
        label=label,
        option="--id",
    )
    missions = [m.name for m in chosen_missions(args, fetches=False)[0]]
    instruments = parse_instruments(args.instruments, missions) or None
    progress = sys.stderr.isatty() and not args.quiet
    output = Path(args.output) if args.output else None
    stream = output is not None and output.suffix.lower() in (".parquet", ".pq")
    common: dict[str, Any] = {
        "ra": ra,
        "dec": dec,
        "id": ident,
        "radius": args.radius or None,  # a column name or an angle such as 30arcmin
        "instruments": instruments,
        "memory_budget": args.memory,
        "scheduler": args.scheduler,
        "progress": progress,
        "output": output if stream else None,
    }
    if args.summary:
        if args.epoch or args.window or args.overlap_only:
            raise InputError("--summary does not take time windows (--epoch/--window)")
        result = coverage_summary(source, missions, coverage=args.coverage, **common)
    else:
        epoch = None
        if args.epoch:
            epoch = find_column(columns, "time", given=args.epoch, label=label, option="--epoch")
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
            source,
            missions,
            epoch=epoch,
            window=window,
            overlap_only=args.overlap_only,
            time_format=args.time_format,
            coverage=args.coverage,
            **common,
        )
    if isinstance(result, Path):
        # streamed: the summary is tallied from the file a batch at a time, never by reading
        # the result back into memory (the CLI's peak stays the matcher's)
        n = _print_streamed(result, args)
        print(f"wrote {n:,} rows to {result}")
        _moc_and_samp(args, result, missions, instruments)
        return 0
    _print_result([result], result.height, result.head(args.rows), args)
    if output is not None:
        write_table(result, output)
        print(f"wrote {result.height:,} rows to {output}")
    _moc_and_samp(args, result, missions, instruments)
    return 0


def _moc_and_samp(
    args: argparse.Namespace, result: pl.DataFrame | Path, missions: Any, inst: Any
) -> None:
    """``--moc``: the coverage searched (chosen missions and instruments); ``--samp``: the
    result (a streamed one is read back only for this, as asked)."""
    if args.moc:
        from daxa.moc import coverage_moc, write_moc

        mocs = [coverage_moc(m, (inst or {}).get(m), coverage=args.coverage) for m in missions]
        moc = mocs[0]
        for other in mocs[1:]:
            moc = moc.union(other)
        print(f"wrote the coverage MOC of {', '.join(missions)} to {write_moc(moc, args.moc)}")
    if args.samp:
        from daxa.outputs.samp import send_samp

        frame = pl.read_parquet(result) if isinstance(result, Path) else result
        send_samp(frame, name="daxa match")
        print(f"sent {frame.height:,} rows over SAMP")


def _print_streamed(path: Path, args: argparse.Namespace) -> int:
    import pyarrow.parquet as pq

    from daxa.cli._summary import batches

    n = int(pq.read_metadata(path).num_rows)
    cols = (
        ["mission", "instrument", "n_obs", "exposure"]
        if args.summary
        else ["mission", "pos_index", "obs_id"]
    )
    head = pl.scan_parquet(path).head(args.rows).collect()
    _print_result(batches(path, cols), n, head, args)
    return n


def _registry_order(frame: pl.DataFrame) -> pl.DataFrame:
    from daxa.missions import mission_names

    order = {m: i for i, m in enumerate(mission_names())}
    return frame.sort(pl.col("mission").replace_strict(order, default=len(order)))


def _print_result(
    parts: Iterable[pl.DataFrame], height: int, head: pl.DataFrame, args: argparse.Namespace
) -> None:
    """Per-mission totals (tallied over ``parts``) and the first rows (``head``)."""
    from daxa.cli._summary import PairTally, SummaryTally

    if height == 0:
        print("no matches")
        return
    tally = SummaryTally() if args.summary else PairTally()
    for part in parts:
        tally.add(part)
    print(format_table(_registry_order(tally.table()), max_rows=100))
    if isinstance(tally, SummaryTally):
        return
    print(f"\n{height:,} pairs; {tally.rows_matched():,} catalogue rows matched")
    shown = [
        c
        for c in ("pos_index", "row_id", "mission", "obs_id", "separation_deg", "instruments")
        if c in head.columns
    ]
    print()
    print(format_table(head.select(shown), max_rows=args.rows))
