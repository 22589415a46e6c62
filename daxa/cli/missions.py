"""``daxa missions``, ``daxa fetch`` and ``daxa info``: what daxa knows and what is cached."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import numpy as np
import polars as pl

from daxa import cache
from daxa.cli._output import format_table
from daxa.errors import (
    CacheError,
    DaxaError,
    RefreshRefused,
    ServiceError,
    ServiceUnavailableError,
)
from daxa.missions import Mission, get_mission, mission_names, resolve_missions
from daxa.progress import BarProgress
from daxa.schema import STANDARD_COLUMNS
from daxa.services.http import ArchiveSession


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from daxa.cli import add_subcommand

    p = add_subcommand(
        sub,
        "missions",
        common,
        help="list the missions and what is cached",
        description="Every mission daxa knows: instruments, fields of view, and whether (and "
        "when) its observation table is in the cache.",
        example="daxa missions\ndaxa missions --cached --cache-dir ~/daxa_cache",
    )
    p.add_argument("--cached", action="store_true", help="only the missions that are cached")
    p.set_defaults(func=run_missions)

    p = add_subcommand(
        sub,
        "fetch",
        common,
        help="fetch observation tables into the cache (or refresh them)",
        description="Fetch missions' observation tables from their archives into the Parquet "
        "cache. Cached tables are kept unless --refresh is given.",
        example="daxa fetch xmm_pointed chandra\ndaxa fetch all --refresh\n"
        "daxa fetch swift --refresh --force",
    )
    p.add_argument("missions", nargs="+", metavar="MISSION", help="mission names, or 'all'")
    p.add_argument("--refresh", action="store_true", help="fetch again even when cached")
    p.add_argument(
        "--force",
        action="store_true",
        help="with --refresh: accept a table much smaller than the cached one (normally refused)",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=4,
        metavar="N",
        help="retries per request on network failures (default 4)",
    )
    p.set_defaults(func=run_fetch)

    p = add_subcommand(
        sub,
        "info",
        common,
        aliases=["summary"],
        help="summarise one mission's table",
        description="Summarise a mission's observation table: size, time span, exposure, "
        "instruments, target types and columns (fetching it first if it is not cached).",
        example="daxa info chandra\ndaxa info swift --head 5",
    )
    p.add_argument("mission", metavar="MISSION")
    p.add_argument("--head", type=int, default=0, metavar="N", help="also print the first N rows")
    p.set_defaults(func=run_info)


def _angle(deg: float) -> str:
    return f"{deg:g}°" if deg >= 1 else f"{deg * 60:.3g}′"


def _fov_text(spec: Mission) -> str:
    """Field-of-view radii of the default instruments, shortest form ("15′", "XRT 11.8′, ...")."""
    default = [i for i in spec.instruments if i.default]
    if len({i.fov_deg for i in default}) == 1:
        return _angle(default[0].fov_deg)
    return ", ".join(f"{i.name} {_angle(i.fov_deg)}" for i in default)


def source_label(meta: cache.CacheInfo) -> str:
    """Where a cached table came from, in a few words: ``SYNTHETIC`` (daxa's emulator) or the
    host, with ``(not configured)`` when daxa now points at another service."""
    from urllib.parse import urlsplit

    from daxa.provenance import source_mismatch

    if meta.service_url is None:
        return urlsplit(meta.source_url).hostname or "unknown"
    label = "SYNTHETIC" if meta.synthetic else urlsplit(meta.service_url).hostname or "unknown"
    if source_mismatch(meta.service, meta.service_url, meta.synthetic) is not None:
        label = f"{label} (not configured)"
    return label


def missions_table(cache_dir: cache.CacheDir = None) -> pl.DataFrame:
    """One row per mission: names, default instruments, FoV, cached rows, fetch date and the
    source of the cached table (``SYNTHETIC`` for daxa's emulator)."""
    rows = []
    for name in mission_names():
        spec = get_mission(name)
        cached_rows: int | None = None
        fetched: str | None = None
        source: str | None = None
        try:
            meta = cache.info(name, cache_dir)
            cached_rows, fetched = meta.rows, meta.fetched_at.strftime("%Y-%m-%d %H:%M")
            source = source_label(meta)
        except CacheError as exc:
            fetched = "not cached" if "not cached" in str(exc) else "unreadable"
        rows.append(
            {
                "mission": name,
                "name": spec.pretty_name,
                "instruments": " ".join(spec.default_instruments),
                "fov": _fov_text(spec),
                "cached_rows": cached_rows,
                "fetched": fetched,
                "source": source,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"cached_rows": pl.Int64, "source": pl.String})


def run_missions(args: argparse.Namespace) -> int:
    from daxa.config import cache_dir

    table = missions_table()
    if args.cached:
        table = table.filter(pl.col("cached_rows").is_not_null())
    print(format_table(table, max_rows=100))
    n = table["cached_rows"].is_not_null().sum()
    print(f"\n{n} of {len(mission_names())} missions cached in {cache_dir()}")
    if n < len(mission_names()) and not args.cached:
        print("fetch tables with `daxa fetch all` (or `daxa fetch <mission>`)")
    if table["source"].str.contains("SYNTHETIC").any():
        print("SYNTHETIC: the table came from daxa's emulator, not the archives (not for science)")
    if table["source"].str.contains("not configured", literal=True).any():
        print(
            "(not configured): cached from another service than daxa uses now; "
            "`daxa fetch MISSION --refresh` fetches it from there"
        )
    return 0


def fetch_missions(
    names: list[str] | str,
    *,
    refresh: bool = False,
    force: bool = False,
    retries: int = 4,
    cache_dir: cache.CacheDir = None,
    progress: bool | None = None,
) -> pl.DataFrame:
    """Fetch ``names`` into the cache; one result row per mission (status, rows, seconds).

    A service that cannot be reached stops the whole run (the next missions would wait for
    the same retries); other service errors are recorded and the remaining missions go on. A
    refresh that would shrink a table sharply keeps the cached one (status ``kept``) unless
    ``force``.
    """
    specs = resolve_missions(names)
    results = []
    with (
        ArchiveSession(retries=retries) as session,
        BarProgress(len(specs), "fetching", enabled=progress) as bar,
    ):
        for spec in specs:
            bar.set(bar.done, note=spec.name)
            t0 = time.perf_counter()
            status = "cached"
            try:
                if refresh or not cache.cache_path(spec, cache_dir).exists():
                    cache.refresh(spec, cache_dir, session=session, force=force)
                    status = "fetched"
                meta = cache.info(spec, cache_dir)
                rows, source = meta.rows, meta.source_url
            except ServiceUnavailableError:
                raise
            except RefreshRefused as exc:
                status, rows, source = "kept", exc.old_rows, str(exc)
            except (ServiceError, CacheError) as exc:
                status, rows, source = "failed", None, str(exc)
            results.append(
                {
                    "mission": spec.name,
                    "status": status,
                    "rows": rows,
                    "seconds": round(time.perf_counter() - t0, 2),
                    "source": source,
                }
            )
            bar.advance()
    return pl.DataFrame(results, schema_overrides={"rows": pl.Int64})


def run_fetch(args: argparse.Namespace) -> int:
    if args.retries < 0:
        raise DaxaError(f"--retries {args.retries}: must be 0 or more")
    names = " ".join(args.missions)
    resolve_missions(names)  # unknown names fail before any network work
    if args.force and not args.refresh:
        raise DaxaError(
            "--force only applies with --refresh (daxa fetch MISSION --refresh --force)"
        )
    table = fetch_missions(names, refresh=args.refresh, force=args.force, retries=args.retries)
    print(format_table(table.drop("source"), max_rows=100))
    failed = table.filter(pl.col("status").is_in(["failed", "kept"]))
    for row in failed.iter_rows(named=True):
        print(f"error: {row['mission']}: {row['source']}", file=sys.stderr)
    if failed.height:
        return 1
    sources = table["source"].unique().to_list()
    if sources:
        host = sources[0].split("/")[2] if "//" in sources[0] else sources[0]
        print(f"\n{table['rows'].sum():,} observations cached (from {host})")
    return 0


def summary_lines(table: pl.DataFrame, spec: Mission) -> list[str]:
    """A few lines describing ``table`` (a mission's normalised observation table)."""
    n = table.height
    lines = [f"rows          {n:,}"]
    if n == 0:
        return lines
    usable = int(table["science_usable"].sum())
    public = int(table["public"].sum())
    lines.append(
        f"usable        {usable:,} ({usable / n:.0%})    public {public:,} ({public / n:.0%})"
    )
    span = table.select(pl.col("start").min().dt.date(), pl.col("end").max().dt.date()).row(0)
    if None not in span:
        lines.append(f"time span     {span[0]} to {span[1]}")
    exposure = table["exposure"].drop_nulls().to_numpy()
    if len(exposure):
        lines.append(
            f"exposure      total {exposure.sum() / 1e6:,.1f} Ms, median "
            f"{np.median(exposure) / 1e3:,.1f} ks"
        )
    inst_parts = []
    for inst in spec.instruments:
        col = inst.exposure_column
        if spec.one_instrument_per_obs and "instrument" in table.columns:
            count = int((table["instrument"] == inst.name).sum())
        elif col and col in table.columns:
            count = int((table[col] > 0).sum())
        else:
            inst_parts.append(inst.name)
            continue
        inst_parts.append(f"{inst.name} {count:,}")
    lines.append("instruments   " + ", ".join(inst_parts) + f"    (fov {_fov_text(spec)})")
    if table["target_category"].null_count() < n:
        top = table["target_category"].drop_nulls().value_counts(sort=True).head(6).iter_rows()
        lines.append("target types  " + ", ".join(f"{k} {v:,}" for k, v in top))
    extras = [c for c in table.columns if c not in STANDARD_COLUMNS]
    if extras:
        lines.append("extra columns " + ", ".join(extras))
    return lines


def run_info(args: argparse.Namespace) -> int:
    spec = get_mission(args.mission)
    if not cache.cache_path(spec).exists():
        print(f"{spec.name} is not cached yet; fetching it...", file=sys.stderr)
    table = cache.load(spec)
    meta = cache.info(spec)
    print(f"{spec.pretty_name} ({spec.name})")
    print(f"cache         {meta.path}")
    print(f"fetched       {meta.fetched_at:%Y-%m-%d %H:%M} UTC from {meta.source_url}")
    if meta.synthetic:
        print("source        SYNTHETIC: daxa's emulator, not a real archive (not for science)")
    if meta.service_url is None:
        print("source        not recorded (cached by an older daxa)")
    for line in summary_lines(table, spec):
        print(line)
    if args.head > 0:
        print()
        cols = [c for c in ("obs_id", "ra", "dec", "start", "exposure", "target_name") if c]
        print(format_table(table.select(cols).head(args.head)))
    return 0
