"""The offline demo behind ``daxa demo``: a realistic first session against the local emulator.

It starts :class:`~daxa.testing.ArchiveEmulator` on a free port (tables with the real archives'
sizes and formats, generated, not real observations), points every daxa service at it, fetches
all twelve missions into a fresh cache and then does what a new user would: a multi-mission
search for named objects, a time-windowed search for a sample of transients (the shared SN Ia
sample when present), an SQL question, a bulk cross-match (the eFEDS cluster candidates when
present) and a small download, printing short tables and writing plots and result files.

Nothing reaches the internet: every service URL (including any ``DAXA_URL_*`` override) points
at the emulator for the duration of the run, and the cache is a fresh folder under the output
folder, so the user's own cache is never touched.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import polars as pl

from daxa.atomic import atomic_open
from daxa.demo_steps import (
    DAYS_AFTER,
    DAYS_BEFORE,
    DEMO_NAMES,
    SQL_QUESTION,
    _crossmatch,
    _download,
    _fetch_all,
    _named_objects,
    _plots,
    _Printer,
    _sql,
    _transients,
)


@dataclass
class DemoResult:
    """What a demo run produced: where, how long each step took, and the written files."""

    output_dir: Path
    cache_dir: Path
    emulator_url: str
    seconds: dict[str, float] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)


@contextmanager
def offline(url: str) -> Iterator[None]:
    """Point every daxa service at ``url`` (overrides and ``DAXA_URL_*`` included), then restore."""
    from daxa import config

    saved_env = {k: v for k, v in os.environ.items() if k.startswith("DAXA_URL_")}
    saved_overrides = dict(config._overrides)
    for key in saved_env:
        del os.environ[key]
    config._overrides.clear()
    try:
        with config.mirror(url):
            yield
    finally:
        config._overrides.clear()
        config._overrides.update(saved_overrides)
        os.environ.update(saved_env)


def sn_sample(n_fallback: int = 300, seed: int = 0) -> tuple[pl.DataFrame, str, Path | None]:
    """The SN Ia sample (name, ra, dec, time), what it is, and its file (None: generated).

    The shared TNS sample when present, else generated stand-ins.
    """
    from daxa.testing import shared_data_dir

    shared = shared_data_dir()
    path = shared / "samples" / "sn1a_samp.csv" if shared else None
    if path is not None and path.is_file():
        raw = pl.read_csv(
            path, columns=["name_prefix", "name", "ra", "declination", "discoverydate"]
        )
        table = raw.drop_nulls().select(
            name=pl.col("name_prefix") + " " + pl.col("name"),
            ra=pl.col("ra").cast(pl.Float64),
            dec=pl.col("declination").cast(pl.Float64),
            time=pl.col("discoverydate").str.to_datetime(time_zone="UTC", strict=False),
        )
        table = table.drop_nulls()
        return table, f"{table.height:,} Type Ia supernovae from TNS ({path.name})", path
    rng = np.random.default_rng(seed)
    days = rng.uniform(0, 10 * 365, n_fallback)
    table = pl.DataFrame(
        {
            "name": [f"SN demo{i:04d}" for i in range(n_fallback)],
            "ra": rng.uniform(0, 360, n_fallback),
            "dec": np.degrees(np.arcsin(rng.uniform(-1, 1, n_fallback))),
            "time": [datetime(2015, 1, 1, tzinfo=UTC) + timedelta(days=float(d)) for d in days],
        }
    )
    return table, f"{n_fallback} generated transients (the shared SN Ia sample is not here)", None


def cluster_sample(n_fallback: int = 300, seed: int = 1) -> tuple[pl.DataFrame, str, Path | None]:
    """eFEDS X-ray cluster candidates (ID, RA, DEC), what they are, and their file (None:
    generated stand-ins, used when the shared file is absent)."""
    from daxa.testing import shared_data_dir

    shared = shared_data_dir()
    path = shared / "samples" / "efeds_xray_cluster_candidates.csv" if shared else None
    if path is not None and path.is_file():
        table = pl.read_csv(path, columns=["ID", "RA", "DEC"]).drop_nulls()
        return table, f"{table.height:,} eFEDS X-ray cluster candidates ({path.name})", path
    rng = np.random.default_rng(seed)
    table = pl.DataFrame(
        {
            "ID": [f"eFEDS demo{i:04d}" for i in range(n_fallback)],
            "RA": rng.uniform(126.0, 146.0, n_fallback),
            "DEC": rng.uniform(-3.0, 6.0, n_fallback),
        }
    )
    return (
        table,
        f"{n_fallback} generated positions in the eFEDS field (shared file not here)",
        None,
    )


def run_demo(
    output_dir: str | os.PathLike[str] = "demo_output",
    *,
    seed: int = 0,
    sizes: Any = "real",
    plots: bool = True,
    out: TextIO | None = None,
    progress: bool | None = None,
) -> DemoResult:
    """Run the whole demo offline, writing results and plots to ``output_dir``.

    ``sizes`` is the emulator's table size: ``"real"`` (the archives' row counts, default) or
    ``"small"`` (a few hundred rows each, for tests). Returns what was produced.
    """
    from daxa.testing import ArchiveEmulator

    say = _Printer(out or sys.stdout)
    out_dir = Path(output_dir)
    cache_dir = out_dir / "cache"
    if cache_dir.exists():
        shutil.rmtree(cache_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with ArchiveEmulator(seed=seed, sizes=sizes) as emulator, offline(emulator.url):
        result = DemoResult(out_dir, cache_dir, emulator.url)
        say(f"daxa demo: OFFLINE. Every archive below is daxa's local emulator at {emulator.url}:")
        say("tables with the real archives' formats and sizes, but GENERATED, not real data.")

        def timed(name: str, fn: Any, *args: Any) -> Any:
            t0 = time.perf_counter()
            value = fn(*args)
            result.seconds[name] = round(time.perf_counter() - t0, 2)
            return value

        cache = shlex.quote(str(cache_dir))
        sample, sample_what, sample_path = sn_sample()
        if sample_path is None:
            sample_path = _write(sample, out_dir / "transients.csv")
        clusters, clusters_what, clusters_path = cluster_sample()
        if clusters_path is None:
            clusters_path = _write(clusters, out_dir / "clusters.csv")
        sql_path = out_dir / "galactic_centre.sql"
        with atomic_open(sql_path, "w") as handle:
            handle.write(SQL_QUESTION + "\n")

        say.step(1, "Fetch all twelve missions into a fresh cache", "daxa fetch all")
        result.tables["fetched"] = timed("fetch", _fetch_all, say, cache_dir, progress)

        names = " ".join(f"--name {shlex.quote(n)}" for n in DEMO_NAMES)
        say.step(
            2,
            "Search every mission for six named objects",
            f"daxa select --cache-dir {cache} {names} --instruments swift=XRT\n"
            "   (names are resolved by CDS Sesame: that command asks the real service)",
        )
        named = timed("names", _named_objects, say, cache_dir)
        result.tables["named_objects"] = named
        result.files.append(_write(named, out_dir / "named_objects.csv"))

        say.step(
            3,
            f"Which SNe Ia were observed from {DAYS_BEFORE} days before to {DAYS_AFTER} after "
            "discovery?",
            f"daxa select --cache-dir {cache} --positions {shlex.quote(str(sample_path))} "
            f"--at-time {DAYS_BEFORE} {DAYS_AFTER} --instruments swift=XRT",
        )
        transients = timed("transients", _transients, say, cache_dir, sample, sample_what)
        result.tables["transients"] = transients
        result.files.append(_write(transients, out_dir / "sn_ia_observations.csv"))

        say.step(
            4,
            "Ask the cache a question in SQL",
            f"daxa sql --cache-dir {cache} -f {shlex.quote(str(sql_path))}",
        )
        answer = timed("sql", _sql, say, cache_dir)
        result.tables["sql"] = answer
        result.files.append(_write(answer, out_dir / "sql_galactic_centre.csv"))

        say.step(
            5,
            "Cross-match a cluster catalogue against every mission",
            f"daxa match {shlex.quote(str(clusters_path))} --cache-dir {cache} --summary "
            "--instruments swift=XRT",
        )
        summary, pairs_path = timed(
            "crossmatch", _crossmatch, say, cache_dir, out_dir, clusters, clusters_what
        )
        result.tables["coverage"] = summary
        result.files += [_write(summary, out_dir / "efeds_coverage.csv"), pairs_path]

        say.step(
            6,
            "Download two Chandra observations",
            "daxa download chandra <obs_id> <obs_id> --dest DIR",
        )
        result.tables["download"] = timed("download", _download, say, named, out_dir)

        if plots:
            say.step(7, "Plots", "daxa select ... --plots DIR  (or daxa.plots in Python)")
            try:
                import daxa.plots  # noqa: F401
            except ImportError as exc:
                say(f"plots skipped: {exc}")
            else:
                result.files += timed(
                    "plots", _plots, say, out_dir, cache_dir, named, transients, sample
                )
    total = time.perf_counter() - started
    result.seconds["total"] = round(total, 1)
    say()
    steps = ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items() if k != "total")
    say(f"Done in {total:.0f} s ({steps} s). Results, plots and the demo's cache: {out_dir}/")
    say("All of it came from the local EMULATOR (generated data), not from the real archives.")
    say("To do the same against the real archives (HEASARC, XSA, eROSITA, CDS Sesame):")
    say("    daxa fetch all            # a few minutes; tables are cached in ./data_cache")
    say("    daxa select --name Crab --name M87 --instruments swift=XRT -o targets.csv")
    say('    daxa sql "SELECT mission, count(*) FROM observations GROUP BY mission"')
    say("or in Python: daxa.search(names=['Crab', 'M87']) (see README.md and notebooks/).")
    return result


def _write(table: pl.DataFrame, path: Path) -> Path:
    from daxa.cli._output import write_table

    return write_table(table, path)


__all__ = ["DEMO_NAMES", "DemoResult", "cluster_sample", "offline", "run_demo", "sn_sample"]
