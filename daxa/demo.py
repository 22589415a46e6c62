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
from daxa.cli._output import SHORT_NAMES, format_table

#: Objects of the named-object search: bright, much-observed X-ray targets.
DEMO_NAMES = ("Crab", "M87", "Cas A", "Coma Cluster", "Eta Car", "SN 1987A")
#: Objects whose surroundings the field-of-view maps show.
FIELD_TARGETS = ("Crab", "SN 1987A")
#: Missions whose fields span degrees: left off the field maps.
WIDE_FIELD_MISSIONS = (
    "integral_pointed",
    "rosat_all_sky",
    "erosita_all_sky_de_dr1",
    "erosita_calpv",
)
#: Window of the transient search, around each discovery date.
DAYS_BEFORE, DAYS_AFTER = 20, 365
#: Swift's BAT reaches 60° (1.2 × 50°): the demo asks for XRT, as a user after images would.
INSTRUMENTS = {"swift": ["XRT"]}
#: The SQL question: what has been observed within 30′ of the Galactic Centre (Sgr A*)?
SQL_QUESTION = """\
SELECT mission, count(*) AS observations, sum(exposure) AS exposure_s,
       min(year(start)) AS first_year, max(year("end")) AS last_year
FROM observations
WHERE in_cone(ra, dec, _healpix_29, 266.41684, -29.00781, 0.5)
GROUP BY mission ORDER BY exposure_s DESC NULLS LAST"""


@dataclass
class DemoResult:
    """What a demo run produced: where, how long each step took, and the written files."""

    output_dir: Path
    cache_dir: Path
    emulator_url: str
    seconds: dict[str, float] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)


class _Printer:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    def __call__(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def step(self, number: int, title: str, command: str) -> None:
        self()
        self(f"== {number}. {title}")
        self(f"   same thing yourself:  {command}")
        self()


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


def _fetch_all(say: _Printer, cache_dir: Path, progress: bool | None) -> pl.DataFrame:
    from daxa.cli.missions import fetch_missions

    fetched = fetch_missions("all", cache_dir=cache_dir, progress=progress)
    failed = fetched.filter(pl.col("status") == "failed")
    if failed.height:
        from daxa.errors import ServiceError

        raise ServiceError(
            "the emulator did not serve "
            + ", ".join(f"{m} ({why})" for m, why in failed.select("mission", "source").rows())
        )
    table = fetched.select("mission", "rows", "seconds")
    say(format_table(table, max_rows=20))
    say(f"\n{int(table['rows'].sum()):,} observations of 12 missions cached in {cache_dir}")
    return table


def _named_objects(say: _Printer, cache_dir: Path) -> pl.DataFrame:
    from daxa.cli.select import per_position_table
    from daxa.search import search

    found = search(names=list(DEMO_NAMES), cache_dir=cache_dir, instruments=INSTRUMENTS)
    names = list(dict.fromkeys(found.sort("pos_index")["name"].to_list()))
    say("observations covering each object, per mission:")
    say(format_table(per_position_table(found, names), max_rows=20))
    return found


def _transients(say: _Printer, cache_dir: Path, sample: pl.DataFrame, what: str) -> pl.DataFrame:
    from daxa.search import search

    say(f"sample: {what}; window: discovery -{DAYS_BEFORE} d to +{DAYS_AFTER} d")
    found = search(
        sample.select("ra", "dec"),
        start=sample["time"] - timedelta(days=DAYS_BEFORE),
        end=sample["time"] + timedelta(days=DAYS_AFTER),
        cache_dir=cache_dir,
        instruments=INSTRUMENTS,
    )
    found = found.with_columns(
        name=sample["name"].gather(found["pos_index"]),
        discovered=sample["time"].gather(found["pos_index"]),
    ).with_columns(days_after=(pl.col("start") - pl.col("discovered")).dt.total_days())
    per_mission = (
        found.group_by("mission")
        .agg(
            transients=pl.col("pos_index").n_unique(),
            observations=pl.len(),
            median_days_after=pl.col("days_after").median(),
        )
        .with_columns(pl.col("mission").replace(SHORT_NAMES))
        .sort("transients", descending=True)
    )
    say(format_table(per_mission, max_rows=20))
    say(
        f"\n{found['pos_index'].n_unique():,} of {sample.height:,} transients were observed "
        "in their window (wide fields such as INTEGRAL's catch most of them)"
    )
    return found


def _sql(say: _Printer, cache_dir: Path) -> pl.DataFrame:
    from daxa.sql import sql

    say("query:")
    for line in SQL_QUESTION.splitlines():
        say("    " + line)
    say()
    answer: pl.DataFrame = sql(SQL_QUESTION, cache_dir=cache_dir)
    say(format_table(answer, max_rows=20))
    return answer


def _crossmatch(
    say: _Printer, cache_dir: Path, out_dir: Path, clusters: pl.DataFrame, what: str
) -> tuple[pl.DataFrame, Path]:
    from daxa.crossmatch import coverage_summary, match_observations

    say(f"catalogue: {what}")
    summary = coverage_summary(
        clusters, "all", ra="RA", dec="DEC", id="ID", cache_dir=cache_dir,
        instruments=INSTRUMENTS, progress=False,
    )  # fmt: skip
    assert isinstance(summary, pl.DataFrame)
    totals = summary.filter(pl.col("instrument").is_null())
    per_mission = (
        totals.group_by("mission", maintain_order=True)
        .agg(
            clusters_covered=(pl.col("n_obs") > 0).sum(),
            observations=pl.col("n_obs").sum(),
            # seconds, null where the tables give no exposure (eROSITA)
            exposure_s=pl.when(pl.col("exposure").count() > 0).then(pl.col("exposure").sum()),
        )
        .with_columns(pl.col("mission").replace(SHORT_NAMES))
    )
    say(format_table(per_mission, max_rows=20))
    pairs_path = out_dir / "efeds_pairs.parquet"
    path = match_observations(
        clusters, "all", ra="RA", dec="DEC", id="ID", cache_dir=cache_dir,
        instruments=INSTRUMENTS, progress=False, output=pairs_path,
    )  # fmt: skip
    assert isinstance(path, Path)
    n_pairs = pl.scan_parquet(path).select(pl.len()).collect().item()
    say(f"\nevery (cluster, observation) pair: {n_pairs:,} rows in {path}")
    return summary, path


def _download(say: _Printer, named: pl.DataFrame, out_dir: Path) -> pl.DataFrame:
    from daxa.download import download

    chosen = (
        named.filter((pl.col("mission") == "chandra") & pl.col("public"))
        .sort("separation_deg")
        .unique("name", keep="first", maintain_order=True)
        .head(2)
    )
    ids = chosen["obs_id"].to_list()
    dest = out_dir / "downloads"
    report = download("chandra", ids, dest=dest, progress=False)
    frame = report.to_frame().select("obs_id", "status", "files", "bytes")
    say(format_table(frame.with_columns(object=chosen["name"]), max_rows=10))
    say()
    say(str(report).splitlines()[0])
    return frame


def _plots(
    say: _Printer,
    out_dir: Path,
    cache_dir: Path,
    named: pl.DataFrame,
    transients: pl.DataFrame,
    sample: pl.DataFrame,
) -> list[Path]:
    from daxa import plots
    from daxa.cache import load_many
    from daxa.plots.footprints import footprint_map, sky_density

    everything = load_many("all", cache_dir)
    written = [
        plots.save(
            sky_density(everything, title="Where the missions pointed (the whole emulated cache)"),
            out_dir / "sky_missions.png",
        )
    ]
    # the real fields (circumscribed circles where the roll is unknown) of the narrow-field
    # missions: wide fields (INTEGRAL, RASS, eROSITA) would cover the whole map
    narrow = named.filter(~pl.col("mission").is_in(list(WIDE_FIELD_MISSIONS)))
    for name in FIELD_TARGETS:
        target = narrow.filter(pl.col("name") == name)
        if target.height:
            centre = (float(target["pos_ra"][0]), float(target["pos_dec"][0]))
            slug = name.lower().replace(" ", "")
            figure = footprint_map(
                target,
                centre,
                instruments={"swift": ["XRT"]},
                title=f"{name}: the fields of view that cover it",
            )
            written.append(plots.save(figure, out_dir / f"field_{slug}.png"))
    narrow = transients.filter(pl.col("mission") != "integral_pointed")
    written.append(
        plots.save(
            plots.sky_map(
                narrow,
                sample,
                title="SN Ia sample and the X-ray observations in their windows "
                "(INTEGRAL left out)",
                position_label="SNe Ia",
            ),
            out_dir / "sky_sn_ia.png",
        )
    )
    if transients.height:
        written.append(
            plots.save(
                plots.days_since_event(
                    transients,
                    "discovered",
                    window_days=(-DAYS_BEFORE, DAYS_AFTER),
                    event_label="discovery",
                    title="When SNe Ia were observed, relative to their discovery",
                ),
                out_dir / "sn_ia_days_since_discovery.png",
            )
        )
    written.append(
        plots.save(
            plots.exposure_per_year(
                everything, title="Exposure per mission per year (the whole emulated cache)"
            ),
            out_dir / "exposure_per_year.png",
        )
    )
    written.append(
        plots.save(
            plots.timeline(everything, title="When each mission observed (the whole cache)"),
            out_dir / "timeline_missions.png",
        )
    )
    for path in written:
        say(f"wrote {path}")
    return written


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
