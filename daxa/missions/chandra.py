"""Chandra observations (HEASARC ``chanmaster``); one instrument (ACIS or HRC) per observation."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from daxa.missions import _normalise as N
from daxa.missions.spec import Instrument, Mission, TableSource

NAME = "chandra"

#: A single Chandra ObsID cannot outlast one ~64 h orbit (≈230 ks; the longest real ones are
#: ≈192 ks). Larger ``exposure`` values are archive errors (ObsID 6616: 49,578,750 s).
ABSURD_EXPOSURE_S = 300_000.0

#: chanmaster ``class`` → taxonomy (DESIGN §6), plus the CXC science-category names.
CLASS_MAP = {
    "AGN UNCLASSIFIED": "AGN",
    "EXTENDED GALACTIC OR EXTRAGALACTIC": "EGE",
    "X-RAY BINARY": "GS",
    "CV": "GS",
    "CALIBRATION OBSERVATIONS": "CAL",
    "SNR": "SNR",
    "NON-ACTIVE GALAXY": "NGS",
    "CLUSTER OF GALAXIES": "GCL",
    "NON-POINTING DATA": "MISC",
    "ACTIVE GALAXIES AND QUASARS": "AGN",
    "CLUSTERS OF GALAXIES": "GCL",
    "NORMAL GALAXIES": "NGS",
    "SN, SNR AND ISOLATED NS": "SNR",
    "SOLAR SYSTEM": "SOL",
}

#: Proposal ``type`` codes that name a category when ``class`` gives none (maps to MISC).
TYPE_MAP = {"TOO": "TOO", "DDT": "TOO", "CAL": "CAL"}


def normalise(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """chanmaster rows → standard schema (DESIGN §3.1).

    Keeps status ``processed``/``archived``. ``instrument`` is the detector before the dash
    (ACIS-S → ACIS); ``detector``, ``grating`` (NONE/HETG/LETG), ``data_mode`` and
    ``proposal_type`` are kept. ``end = start + exposure``. Exposures above
    :data:`ABSURD_EXPOSURE_S` are flagged in ``exposure_flagged``: their ``exposure`` becomes
    null and their ``end`` is ``start + ABSURD_EXPOSURE_S`` (an upper bound on the real span,
    so time filters with overlap still find them); they stay science-usable. Other rows are
    usable when ``exposure > 0``. Category: ``class`` mapped, else TOO/DDT → TOO, CAL → CAL.
    """
    now = N.resolve_now(now)
    df = N.prepare(raw, NAME, ["ra", "dec", "time", "obsid", "status", "detector", "exposure"])
    df = N.keep_values(df, "status", ["processed", "archived"], NAME)
    exposure = N.num("exposure")
    flagged = (exposure > ABSURD_EXPOSURE_S).fill_null(False)
    start = N.mjd_to_utc(pl.col("time"))
    span = pl.when(flagged).then(ABSURD_EXPOSURE_S).otherwise(exposure.fill_null(0.0))
    prop_end = (
        N.mjd_to_utc(pl.col("public_date"), (0.0,))
        if "public_date" in df.columns
        else pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    )
    from_class = N.map_category(N.text("class", df), CLASS_MAP)
    from_type = N.map_category(N.text("type", df), TYPE_MAP)
    detector = N.text("detector", df).str.to_uppercase()
    df = df.select(
        N.obs_id("obsid", df).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        start.alias("start"),
        (start + pl.duration(milliseconds=(span * 1000).round(0).cast(pl.Int64))).alias("end"),
        pl.when(flagged).then(None).otherwise(exposure).alias("exposure"),
        (flagged | (exposure > 0)).fill_null(False).alias("science_usable"),
        prop_end.alias("proprietary_end"),
        N.public_by(prop_end, now).alias("public"),
        pl.when(from_class == "MISC")
        .then(from_type)
        .otherwise(from_class)
        .alias("target_category"),
        N.text("name", df).alias("target_name"),
        detector.str.split("-").list.first().alias("instrument"),
        detector.alias("detector"),
        N.text("grating", df).str.to_uppercase().fill_null("NONE").alias("grating"),
        N.text("data_mode", df).alias("data_mode"),
        N.text("type", df).str.to_uppercase().alias("proposal_type"),
        flagged.alias("exposure_flagged"),
    )
    return N.finish(
        df,
        NAME,
        extras=["detector", "grating", "data_mode", "proposal_type", "exposure_flagged"],
    )


CHANDRA = Mission(
    name="chandra",
    pretty_name="Chandra",
    instruments=(
        Instrument("ACIS", 27.8 / 60, aliases=("ACIS-I", "ACIS-S")),
        Instrument("HRC", 49.5 / 60, aliases=("HRC-I", "HRC-S")),
    ),
    frame="icrs",
    obs_id_regex=r"^[0-9]{1,5}$",
    one_instrument_per_obs=True,
    source=TableSource(
        "heasarc_tap",
        "chanmaster",
        (
            "ra",
            "dec",
            "time",
            "obsid",
            "status",
            "detector",
            "grating",
            "exposure",
            "type",
            "data_mode",
            "class",
            "public_date",
            "name",
        ),
    ),
    normalise=normalise,
)
