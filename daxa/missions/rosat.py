"""ROSAT pointed observations (``rosmaster``) and the RASS (``rassmaster``)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from daxa.missions import _normalise as N
from daxa.missions.spec import Instrument, Mission, TableSource

#: rosmaster ``subj_cat`` codes → taxonomy (DESIGN §6).
SUBJECT_MAP = {
    "0": "MISC",
    "1": "STR",
    "2": "STR",
    "3": "CV",
    "4": "NS",
    "5": "SNR",
    "6": "NGS",
    "7": "AGN",
    "8": "GCL",
    "9": "EGE",
    "10": "MISC",
}


def normalise_pointed(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """rosmaster rows → standard schema (DESIGN §3.1).

    ``instrument`` is PSPCB, PSPCC or HRI; a bare ``PSPC`` (the RASS follow-up pointings,
    all taken with PSPC-B) means PSPCB. ``science_usable`` is ``exposure > 0``. Everything is
    public (the mission ended in 1999). ``filter``, ``proc_rev``, ``fits_type`` and ``site``
    are kept, and ``roll`` (degrees) as ``roll_angle`` for footprints (null when not asked).
    """
    name = "rosat_pointed"
    df = N.prepare(
        raw, name, ["ra", "dec", "seq_id", "start_time", "end_time", "exposure", "instrument"]
    )
    inst = N.text("instrument", df).str.to_uppercase().str.replace_all(r"[\s\-]", "")
    code = pl.col("subj_cat").cast(pl.Int64, strict=False).cast(pl.String)
    df = df.select(
        N.obs_id("seq_id", df, upper=True).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        N.mjd_to_utc(pl.col("start_time")).alias("start"),
        N.mjd_to_utc(pl.col("end_time")).alias("end"),
        N.num("exposure").alias("exposure"),
        (N.num("exposure") > 0).fill_null(False).alias("science_usable"),
        pl.lit(True).alias("public"),
        N.map_category(code if "subj_cat" in df.columns else pl.lit(None), SUBJECT_MAP).alias(
            "target_category"
        ),
        N.text("name", df).alias("target_name"),
        pl.when(inst == "PSPC").then(pl.lit("PSPCB")).otherwise(inst).alias("instrument"),
        N.text("filter", df).alias("filter"),
        (pl.col("proc_rev") if "proc_rev" in df.columns else pl.lit(None))
        .cast(pl.Int64, strict=False)
        .alias("proc_rev"),
        N.text("fits_type", df).alias("fits_type"),
        N.text("site", df).alias("site"),
        N.num("roll", df).alias("roll_angle"),
    )
    return N.finish(df, name, extras=["filter", "proc_rev", "fits_type", "site", "roll_angle"])


def normalise_all_sky(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """rassmaster rows → standard schema (DESIGN §3.1).

    Every row is target category ASK; ``science_usable`` is ``exposure > 0``; all public.
    """
    name = "rosat_all_sky"
    df = N.prepare(raw, name, ["ra", "dec", "seq_id", "start_date", "end_date", "exposure"])
    df = df.select(
        N.obs_id("seq_id", df, upper=True).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        N.mjd_to_utc(pl.col("start_date")).alias("start"),
        N.mjd_to_utc(pl.col("end_date")).alias("end"),
        N.num("exposure").alias("exposure"),
        (N.num("exposure") > 0).fill_null(False).alias("science_usable"),
        pl.lit(True).alias("public"),
        pl.lit("ASK").alias("target_category"),
    )
    return N.finish(df, name)


ROSAT_POINTED = Mission(
    name="rosat_pointed",
    pretty_name="ROSAT Pointed",
    instruments=(
        Instrument("PSPCB", 1.0, aliases=("PSPC-B", "PSPC B")),
        Instrument("PSPCC", 1.0, aliases=("PSPC-C", "PSPC C")),
        Instrument("HRI", 19 / 60),
    ),
    frame="fk5",
    obs_id_regex=r"^(RH|RP|RF|WH|WP|WF)\d{6}([A-Z]\d{2}|)$",
    obs_id_case_insensitive=True,
    one_instrument_per_obs=True,
    raw_obs_id_column="seq_id",
    source=TableSource(
        "heasarc_tap",
        "rosmaster",
        (
            "ra",
            "dec",
            "seq_id",
            "start_time",
            "end_time",
            "exposure",
            "fits_type",
            "instrument",
            "filter",
            "proc_rev",
            "subj_cat",
            "name",
            "site",
            "roll",
        ),
        optional=("roll",),
    ),
    normalise=normalise_pointed,
)

ROSAT_ALL_SKY = Mission(
    name="rosat_all_sky",
    pretty_name="ROSAT All-Sky Survey",
    instruments=(Instrument("PSPC", 3.0),),
    frame="fk5",
    obs_id_regex=r"^(RS)\d{6}[A-Z]\d{2}$",
    obs_id_case_insensitive=True,
    raw_obs_id_column="seq_id",
    source=TableSource(
        "heasarc_tap",
        "rassmaster",
        ("ra", "dec", "seq_id", "start_date", "end_date", "exposure"),
    ),
    normalise=normalise_all_sky,
)
