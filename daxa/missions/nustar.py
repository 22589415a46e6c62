"""NuSTAR pointed observations (HEASARC ``numaster``)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from daxa.missions import _normalise as N
from daxa.missions.spec import Instrument, Mission, TableSource

NAME = "nustar_pointed"

#: numaster ``subject_category`` → taxonomy (DESIGN §6).
CATEGORY_MAP = {
    "Active galaxies and Quasars": "AGN",
    "Non-Proposal ToOs": "TOO",
    "Proposed ToOs and Directors Discretionary Time": "TOO",
    "Galactic Compact Sources": "GS",
    "Solar System Objects": "SOL",
    "Calibration Observations": "CAL",
    "Non-ToO Supernovae, Supernova Remnants, and Galactic diffuse": "SNR",
    "Normal galaxies": "NGS",
    "Galaxy clusters and extragalactic diffuse objects": "GCL",
    "Non-Pointing data": "MISC",
}


def normalise(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """numaster rows → standard schema (DESIGN §3.1).

    Keeps ``observation_mode`` SCIENCE with ``spacecraft_mode`` INERTIAL (no STELLAR-mode or
    slew data) and status ``processed``/``archived``. ``exposure_fpma``/``exposure_fpmb`` are
    ``exposure_a``/``exposure_b``; ``exposure`` is the larger. A row is science-usable unless
    both on-times are 0 or it has no start: numaster writes ``time = 0`` for approved targets
    not yet observed, which gives null start and end (never 1858-11-17). ``issue_flag`` (Boolean), ``ontime_a``, ``ontime_b`` and
    ``nupsdout`` are kept.
    """
    now = N.resolve_now(now)
    df = N.prepare(
        raw,
        NAME,
        [
            "ra", "dec", "time", "end_time", "obsid", "status", "exposure_a", "exposure_b",
            "ontime_a", "ontime_b", "observation_mode", "spacecraft_mode",
        ],
    )  # fmt: skip
    df = N.keep_values(df, "observation_mode", ["SCIENCE"], NAME)
    df = N.keep_values(df, "spacecraft_mode", ["INERTIAL"], NAME)
    df = N.keep_values(df, "status", ["processed", "archived"], NAME)
    prop_end = (
        N.mjd_to_utc(pl.col("public_date"), (0.0,))
        if "public_date" in df.columns
        else pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    )
    ontime_a, ontime_b = N.num("ontime_a"), N.num("ontime_b")
    df = df.select(
        N.obs_id("obsid", df, width=11).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        N.mjd_to_utc(pl.col("time")).alias("start"),
        N.mjd_to_utc(pl.col("end_time")).alias("end"),
        N.num("exposure_a").alias("exposure_fpma"),
        N.num("exposure_b").alias("exposure_fpmb"),
        (((ontime_a > 0) | (ontime_b > 0)) & N.mjd_to_utc(pl.col("time")).is_not_null())
        .fill_null(False)
        .alias("science_usable"),
        prop_end.alias("proprietary_end"),
        N.public_by(prop_end, now).alias("public"),
        N.map_category(N.text("subject_category", df), CATEGORY_MAP).alias("target_category"),
        N.text("name", df).alias("target_name"),
        (N.flag("issue_flag", df) if "issue_flag" in df.columns else pl.lit(None))
        .cast(pl.Boolean)
        .alias("issue_flag"),
        ontime_a.alias("ontime_a"),
        ontime_b.alias("ontime_b"),
        (pl.col("nupsdout") if "nupsdout" in df.columns else pl.lit(None))
        .cast(pl.Int64, strict=False)
        .alias("nupsdout"),
    )
    df = df.with_columns(N.largest(["exposure_fpma", "exposure_fpmb"]).alias("exposure"))
    return N.finish(
        df,
        NAME,
        exposures=["exposure_fpma", "exposure_fpmb"],
        extras=["issue_flag", "ontime_a", "ontime_b", "nupsdout"],
    )


NUSTAR_POINTED = Mission(
    name="nustar_pointed",
    pretty_name="NuSTAR Pointed",
    instruments=(
        Instrument("FPMA", 6.5 / 60, aliases=("FA",), exposure_column="exposure_fpma"),
        Instrument("FPMB", 6.5 / 60, aliases=("FB",), exposure_column="exposure_fpmb"),
    ),
    frame="fk5",
    obs_id_regex=r"^[0-9]{11}$",
    source=TableSource(
        "heasarc_tap",
        "numaster",
        (
            "ra",
            "dec",
            "time",
            "end_time",
            "obsid",
            "status",
            "exposure_a",
            "exposure_b",
            "ontime_a",
            "ontime_b",
            "observation_mode",
            "spacecraft_mode",
            "instrument_mode",
            "subject_category",
            "obs_type",
            "public_date",
            "issue_flag",
            "nupsdout",
            "name",
        ),
    ),
    normalise=normalise,
)
