"""``daxa select``: filter one or several missions' observation tables from the command line.

Filters are options; they build the same :mod:`daxa.filters` objects the Python API uses, and
one :class:`~daxa.Selection` per mission runs them (so the lineage can be saved and replayed).
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from daxa.cli._inputs import (
    add_mission_arguments,
    chosen_missions,
    parse_coordinate,
    parse_instruments,
    parse_radius,
    read_positions,
    split_list,
    to_utc_datetimes,
)
from daxa.cli._output import format_table, write_table
from daxa.cli._select_results import Selected, per_position_table, summary_table, write_plots
from daxa.errors import CacheError, DaxaError, InputError, ServiceError
from daxa.progress import BarProgress

EXAMPLE = """\
daxa select xmm_pointed chandra --name "Coma Cluster" --name M87 -o clusters.csv
daxa select all --positions sne.csv --at-time 20 365 --pairs sn_pairs.csv
daxa select swift --pos "05:34:31.9 +22:00:52" --radius 10arcmin --usable
daxa select chandra --start 2020-01-01 --end 2020-03-01 --target-type AGN,GCL
daxa select erosita_calpv --field EXTRAGALACTIC_FIELDS --plots plots/
daxa select xmm_pointed --name M87 -o m87.vot --moc m87_moc.fits --samp"""


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from daxa.cli import add_subcommand

    p = add_subcommand(
        sub,
        "select",
        common,
        help="filter missions' observations (positions, names, times, types...) to a file",
        description="Select observations of one or more missions. Every filter option is "
        "applied to every mission (a filter a mission cannot use, such as --target-type for "
        "XMM, skips that mission with a warning unless you named it). MISSION defaults to the "
        "cached missions; 'all' means every mission (fetching the missing ones).",
        example=EXAMPLE,
    )
    add_mission_arguments(p)
    where = p.add_argument_group("where")
    where.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="NAME",
        help="an object name resolved with Sesame (repeatable)",
    )
    where.add_argument("--names-file", metavar="FILE", help="object names, one per line")
    where.add_argument(
        "--pos",
        action="append",
        default=[],
        metavar="'RA DEC'",
        help="a position: degrees, or sexagesimal with RA in hours (repeatable)",
    )
    where.add_argument(
        "--positions",
        metavar="FILE",
        help="a CSV/Parquet/FITS file of positions (ra/dec columns, optional name and time)",
    )
    where.add_argument(
        "--radius",
        metavar="ANGLE",
        help="search radius: degrees or with a unit (30arcmin); default 1.2 x each "
        "instrument's field of view",
    )
    where.add_argument(
        "--coverage",
        choices=("circle", "footprint"),
        default="circle",
        help="with --pos/--positions: circle (1.2 x field of view, default) or footprint "
        "(the instruments' real fields)",
    )
    where.add_argument(
        "--region",
        nargs=4,
        type=float,
        metavar=("RA_MIN", "RA_MAX", "DEC_MIN", "DEC_MAX"),
        help="pointings in a box: RA from RA_MIN eastward to RA_MAX (350 10 crosses 0)",
    )
    when = p.add_argument_group("when")
    when.add_argument("--start", metavar="DATE", help="observations overlapping from DATE on")
    when.add_argument("--end", metavar="DATE", help="observations overlapping until DATE")
    when.add_argument(
        "--inside",
        action="store_true",
        help="keep only observations wholly inside --start/--end (default: any overlap)",
    )
    when.add_argument(
        "--at-time",
        nargs=2,
        type=float,
        metavar=("DAYS_BEFORE", "DAYS_AFTER"),
        help="per-position windows around the time column of --positions (e.g. 20 365)",
    )
    p.add_argument(
        "--time-format",
        metavar="FMT",
        help="what numbers in the time column count: mjd, jd, unix, decimalyear (astropy names)",
    )
    what = p.add_argument_group("what")
    what.add_argument(
        "--obs-id",
        action="append",
        default=[],
        metavar="ID[,ID...]",
        help="keep these ObsIDs (one mission only)",
    )
    what.add_argument("--target-type", metavar="CODE[,CODE...]", help="e.g. AGN,GCL,SNR")
    what.add_argument("--field", metavar="NAME[,NAME...]", help="eROSITA CalPV fields or types")
    what.add_argument(
        "--instruments",
        action="append",
        default=[],
        metavar="[MISSION=]INST[,INST...]",
        help="instruments to use (per mission with MISSION=...; repeatable)",
    )
    what.add_argument("--usable", action="store_true", help="only science-usable observations")
    what.add_argument("--public", action="store_true", help="only observations with public data")
    out = p.add_argument_group("output")
    out.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the selected observations (.csv, .fits, .vot, .parquet, .json)",
    )
    out.add_argument(
        "--pairs", metavar="FILE", help="write the position-observation pairs (with separations)"
    )
    out.add_argument(
        "--save", metavar="DIR", help="save each mission's selection (JSON) to replay later"
    )
    out.add_argument(
        "--moc",
        metavar="FILE",
        help="write the selected observations' coverage MOC (.fits; their footprints with "
        "--coverage footprint)",
    )
    out.add_argument(
        "--samp", action="store_true", help="send the selection to TOPCAT/Aladin over SAMP"
    )
    out.add_argument(
        "--plots",
        metavar="DIR",
        help="write sky maps, a timeline, exposure per year and field maps (PNG)",
    )
    out.add_argument("--rows", type=int, default=15, metavar="N", help="rows to print (default 15)")
    p.set_defaults(func=run_select)


def _positions(args: argparse.Namespace) -> pl.DataFrame | None:
    frames = []
    if args.pos:
        coords = [parse_coordinate(text) for text in args.pos]
        frames.append(
            pl.DataFrame(
                {
                    "ra": [c[0] for c in coords],
                    "dec": [c[1] for c in coords],
                    "name": [text.strip() for text in args.pos],
                }
            )
        )
    if args.positions:
        frames.append(read_positions(args.positions))
    if not frames:
        return None
    return pl.concat(frames, how="diagonal_relaxed")


def _names(args: argparse.Namespace) -> list[str]:
    names = list(args.name)
    if args.names_file:
        path = Path(args.names_file)
        if not path.is_file():
            raise InputError(f"names file {str(path)!r} does not exist")
        names += [line.strip() for line in path.read_text().splitlines() if line.strip()]
    return names


def build_filters(args: argparse.Namespace) -> tuple[list[Any], list[str], pl.DataFrame | None]:
    """The filters the options ask for, the position labels and the positions table."""
    from daxa import filters as F

    radius = parse_radius(args.radius) if args.radius else None
    names = _names(args)
    positions = _positions(args)
    out: list[Any] = []
    labels: list[str] = []
    if names and positions is not None:
        raise InputError("give --name/--names-file or --pos/--positions, not both")
    if args.at_time and positions is None:
        raise InputError("--at-time needs --positions FILE with a time column")
    if args.at_time and (args.start or args.end):
        raise InputError("--at-time gives each position its own window; drop --start/--end")
    if args.coverage != "circle" and (positions is None or args.at_time):
        raise InputError("--coverage footprint works with --pos/--positions (without --at-time)")
    if radius is not None and not names and positions is None:
        raise InputError("--radius needs --name, --pos or --positions")
    if names:
        flt = F.Names(names, radius)
        out.append(flt)
        labels = list(flt.resolved_names)
        positions = pl.DataFrame(
            [flt.resolved[n] for n in labels], schema=["ra", "dec"], orient="row"
        ).with_columns(name=pl.Series(labels))
    elif positions is not None:
        labels = (
            positions["name"].fill_null("").to_list()
            if "name" in positions.columns
            else [f"{r:.4f} {d:+.4f}" for r, d in positions.select("ra", "dec").iter_rows()]
        )
        if args.at_time:
            if "time" not in positions.columns:
                raise InputError(
                    f"--at-time: {args.positions!r} has no time column (time, date, "
                    "discoverydate, t0, mjd or epoch)"
                )
            times = to_utc_datetimes(
                positions["time"], time_format=getattr(args, "time_format", None)
            )
            before, after = args.at_time
            if before < 0 or after < 0:
                raise InputError("--at-time DAYS_BEFORE DAYS_AFTER: both must be >= 0")
            out.append(
                F.PositionsAtTime(
                    positions.select("ra", "dec"),
                    times - timedelta(days=before),
                    times + timedelta(days=after),
                    radius,
                    over_run=not args.inside,
                )
            )
        else:
            out.append(F.Positions(positions.select("ra", "dec"), radius, args.coverage))
    if args.region:
        out.append(F.Region(*args.region))
    if args.start or args.end:
        out.append(
            F.TimeWindow(
                args.start or "1950-01-01", args.end or "2200-01-01", over_run=not args.inside
            )
        )
    if args.target_type:
        out.append(F.TargetTypes(split_list(args.target_type)))
    if args.field:
        out.append(F.Fields(split_list(args.field)))
    if args.usable:
        out.append(F.Usable())
    if args.public:
        out.append(F.Public())
    return out, labels, positions


def select(args: argparse.Namespace) -> Selected:
    """Run the selection the options describe over every chosen mission."""
    from daxa import filters as F
    from daxa.selection import Selection

    specs, named = chosen_missions(args, fetches=True)
    if not any(vars(args).get(k) for k in _FILTER_OPTIONS):
        raise InputError(
            "no filter given; add e.g. --name, --pos, --positions, --start/--end or --obs-id "
            "(see `daxa select --help`)"
        )
    filters, labels, positions = build_filters(args)
    instruments = parse_instruments(args.instruments, [s.name for s in specs])
    obs_ids = split_list(args.obs_id)
    if obs_ids and len(specs) != 1:
        raise InputError("--obs-id needs exactly one mission (ObsIDs differ between missions)")
    found = Selected(labels=labels, positions=positions)
    with BarProgress(len(specs), "selecting") as bar:
        for spec in specs:
            bar.set(bar.done, note=spec.name)
            try:
                sel = Selection(spec, instruments=instruments.get(spec.name))
                extra = [F.ObsIDs(obs_ids)] if obs_ids else []
                found.selections[spec.name] = sel.where(*filters, *extra)
            except (ServiceError, CacheError):
                raise
            except DaxaError as exc:
                if named:
                    raise
                found.skipped[spec.name] = str(exc)
            bar.advance()
    return found


_FILTER_OPTIONS = (
    "at_time",
    "name",
    "names_file",
    "pos",
    "positions",
    "region",
    "start",
    "end",
    "obs_id",
    "target_type",
    "field",
    "usable",
    "public",
)


def run_select(args: argparse.Namespace) -> int:
    if args.plots:
        try:
            import daxa.plots  # noqa: F401  (fail before the work, not after)
        except ImportError as exc:
            raise InputError(f"--plots: {exc}") from None
    found = select(args)
    for name, why in found.skipped.items():
        print(f"warning: {name} skipped: {why}", file=sys.stderr)
    summary = summary_table(found)
    print(format_table(summary, max_rows=100))
    total = int(summary["selected"].sum())
    missions = f"{summary.height} mission{'s' if summary.height != 1 else ''}"
    print(f"\n{total:,} observation{'s' if total != 1 else ''} selected from {missions}")
    pairs = found.pairs()
    if found.labels and pairs.height:
        table = per_position_table(pairs, found.labels)
        seen = int((table["total"] > 0).sum())
        print(f"\n{seen:,} of {len(found.labels):,} positions have observations", end="")
        if len(found.labels) > args.rows:
            print("; the most observed:")
            table = table.filter(pl.col("total") > 0).sort("total", descending=True)
        else:
            print(":")
        print(format_table(table, max_rows=args.rows))
    elif total:
        obs = found.observations()
        cols = [c for c in ("mission", "obs_id", "ra", "dec", "start", "exposure", "target_name")]
        print()
        print(format_table(obs.select(cols), max_rows=args.rows))
    if args.output:
        path = write_table(found.observations(), args.output)
        print(f"wrote {total:,} observations to {path}")
    if args.pairs:
        if not found.labels:
            raise InputError("--pairs needs a positional filter (--name, --pos or --positions)")
        path = write_table(pairs, args.pairs)
        print(f"wrote {pairs.height:,} position-observation pairs to {path}")
    if args.moc:
        from daxa.moc import coverage_moc, write_moc

        path = write_moc(coverage_moc(selection=found.selections, coverage=args.coverage), args.moc)
        print(f"wrote the coverage MOC of the selected observations to {path}")
    if args.samp:
        from daxa.outputs.samp import send_samp

        send_samp(found.observations(), name="daxa select")
        print(f"sent {total:,} observations over SAMP")
    if args.save:
        folder = Path(args.save)
        for name, sel in found.selections.items():
            sel.save(folder / f"{name}.json")
        print(f"saved {len(found.selections)} selections to {folder}/ (replay them in Python)")
    if args.plots:
        for path in write_plots(found, args.plots):
            print(f"wrote {path}")
    return 0


__all__ = ["Selected", "build_filters", "per_position_table", "select", "summary_table"]
