"""The ``daxa sql`` subcommand: run SQL over the cache and print or save the result."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from daxa.errors import DaxaError, InputError

EXAMPLES = """\
examples:
  daxa sql "SELECT mission, count(*) AS n FROM observations GROUP BY mission ORDER BY n DESC"
  daxa sql "SELECT obs_id, target_name, exposure FROM chandra
            WHERE in_cone(ra, dec, _healpix_29, 187.7059, 12.3911, 0.5)"
  daxa sql "SELECT * FROM cone('observations', 83.633, 22.0145, 0.25)" -o crab.csv
  daxa sql --table targets=targets.csv \\
      "SELECT t.name, o.mission, o.obs_id FROM targets t JOIN observations o
       ON in_cone(o.ra, o.dec, t.ra, t.dec, 10 / 60.0)"
  daxa sql --views            # what is cached, every view and its columns

Views: one per cached mission (xmm_pointed, chandra, swift, ...), observations (all cached
missions, with a mission column) and cached_missions. Helpers: ang_sep, in_cone, cone,
healpix_index, healpix_coarsen, time_overlap, time_inside, mjd_to_timestamp, timestamp_to_mjd.
Quote the column "end" (an SQL keyword).
"""

_FORMATS = ("table", "csv", "parquet", "json")


def register_cli(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``sql`` subcommand to the ``daxa`` command's subparsers.

    The handler is stored as ``func`` (and ``handler``) in the parsed namespace; it takes the
    namespace and returns the exit code.
    """
    parser = subparsers.add_parser(
        "sql",
        help="run SQL over the cached observation tables (DuckDB)",
        description="Run an SQL query (DuckDB dialect) directly over the cached tables.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(func=run, handler=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``sql`` subcommand's options (shared by :func:`register_cli` and :func:`cli_main`)."""
    parser.add_argument("query", nargs="?", help="the SQL query; '-' reads it from stdin")
    parser.add_argument("-f", "--file", type=Path, help="read the query from this file")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="write the result to this file (format from the suffix: .csv, .parquet, .json)",
    )
    parser.add_argument(
        "--format",
        choices=_FORMATS,
        help="output format (default: from --output's suffix, else a table on the terminal)",
    )
    parser.add_argument(
        "--table",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="make a CSV or Parquet file a table the query can join (repeatable)",
    )
    parser.add_argument("--cache-dir", type=Path, help="the cache folder (default: daxa's)")
    parser.add_argument(
        "--database", type=Path, help="a DuckDB file to keep your own tables in (optional)"
    )
    parser.add_argument(
        "--max-rows", type=int, default=40, help="rows to print in a table (default 40)"
    )
    parser.add_argument(
        "--views", action="store_true", help="list what is cached and every view's columns"
    )


def run(args: argparse.Namespace) -> int:
    """Run the ``sql`` subcommand from parsed arguments; returns the exit code."""
    from daxa.sql.db import connect

    tables: dict[str, Any] = dict(_read_table_option(spec) for spec in args.table)
    with connect(args.cache_dir, args.database) as db:
        if args.views:
            from daxa.sql.macros import HELPER_NAMES

            print(db.note)
            print(db.listing())
            print(f"Helpers: {', '.join(HELPER_NAMES)}")
            return 0
        query = _query_text(args)
        result = db.query(query, **tables)
    fmt = args.format or _format_from_suffix(args.output)
    if args.output is not None:
        if fmt == "table":
            raise InputError("--format table prints to the terminal; give csv, parquet or json")
        _write(result, args.output, fmt)
        print(f"wrote {result.height:,} rows to {args.output}", file=sys.stderr)
        return 0
    if fmt == "parquet":
        raise InputError("Parquet output needs a file: add -o result.parquet")
    if fmt == "csv":
        sys.stdout.write(_flatten(result).write_csv())
    elif fmt == "json":
        sys.stdout.write(result.write_ndjson())
    else:
        _print_table(result, max_rows=args.max_rows)
    return 0


def _query_text(args: argparse.Namespace) -> str:
    if args.file is not None:
        if args.query:
            raise InputError("give the query either as an argument or with --file, not both")
        try:
            return args.file.read_text()
        except OSError as exc:
            raise InputError(f"cannot read the query file {args.file}: {exc.strerror}") from None
    if args.query == "-":
        return sys.stdin.read()
    if not args.query:
        raise InputError('no query given: daxa sql "SELECT ..." (or --file q.sql, or --views)')
    return str(args.query)


def _read_table_option(spec: str) -> tuple[str, pl.DataFrame]:
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise InputError(f"--table wants NAME=FILE, got {spec!r}")
    file = Path(path)
    if not file.exists():
        raise InputError(f"--table {name}: no such file {file}")
    if file.suffix.lower() in (".parquet", ".pq"):
        return name, pl.read_parquet(file)
    if file.suffix.lower() in (".csv", ".txt", ".tsv"):
        return name, pl.read_csv(file, separator="\t" if file.suffix.lower() == ".tsv" else ",")
    raise InputError(f"--table {name}: {file} is neither .csv nor .parquet")


def _format_from_suffix(path: Path | None) -> str:
    if path is None:
        return "table"
    suffix = path.suffix.lower()
    for fmt, suffixes in (
        ("csv", (".csv",)),
        ("parquet", (".parquet", ".pq")),
        ("json", (".json", ".ndjson", ".jsonl")),
    ):
        if suffix in suffixes:
            return fmt
    raise InputError(
        f"cannot tell the format of {path} from its suffix; add --format csv|parquet|json"
    )


def _flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists become ';'-joined strings (CSV has no nested values)."""
    nested = [c for c, t in frame.schema.items() if isinstance(t, pl.List | pl.Array | pl.Struct)]
    return frame.with_columns(
        pl.col(c).cast(pl.List(pl.String)).list.join(";")
        if isinstance(frame.schema[c], pl.List | pl.Array)
        else pl.col(c).struct.json_encode()
        for c in nested
    )


def _write(frame: pl.DataFrame, path: Path, fmt: str) -> None:
    """Write the result beside ``path`` and rename it into place (nothing half-written)."""
    from daxa.atomic import atomic_path

    try:
        with atomic_path(path) as temp:
            if fmt == "csv":
                _flatten(frame).write_csv(temp)
            elif fmt == "parquet":
                frame.write_parquet(temp)
            else:
                frame.write_ndjson(temp)
    except OSError as exc:
        raise InputError(
            f"could not write {path}: {exc.strerror or exc}; the previous file (if any) is "
            "unchanged"
        ) from None


def _print_table(frame: pl.DataFrame, *, max_rows: int) -> None:
    width = shutil.get_terminal_size((120, 40)).columns
    with pl.Config(
        tbl_rows=max_rows,
        tbl_cols=-1,
        fmt_str_lengths=60,
        tbl_width_chars=width,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=False,
    ):
        print(frame)
    print(f"{frame.height:,} row{'s' if frame.height != 1 else ''}")


def cli_main(argv: Sequence[str] | None = None) -> int:
    """``daxa sql`` as a stand-alone entry point: parse ``argv``, run, print errors on one line."""
    parser = argparse.ArgumentParser(
        prog="daxa sql",
        description="Run an SQL query (DuckDB dialect) directly over the cached tables.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except DaxaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
