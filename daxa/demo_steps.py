"""The steps of ``daxa demo`` (see :mod:`daxa.demo`): what each one asks, runs and prints.

Each step takes the printer and the demo's cache and does what a new user would (fetch all
missions, search named objects, a time-windowed transient search, an SQL question, a bulk
cross-match, a small download, the plots), printing a short table; the constants say what
the demo asks about.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TextIO

import polars as pl

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
    from daxa.cli._select_results import per_position_table
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
