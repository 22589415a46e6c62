"""XMM-Newton pointed observations (XSA TAP, with HEASARC ``xmmmaster`` as fallback)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from daxa.errors import SchemaError
from daxa.missions import _normalise as N
from daxa.missions.spec import Instrument, Mission, TableSource

NAME = "xmm_pointed"

#: HEASARC placeholders for an unknown public date (MJD 0 and 416422, the year 2999).
PUBLIC_DATE_SENTINELS = (0.0, 416422.0)


def normalise(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """XSA ``v_all_observations`` or HEASARC ``xmmmaster`` rows → standard schema (DESIGN §3.1).

    The source is recognised by its ObsID column (``observation_id`` for XSA, ``obsid`` for
    HEASARC). Slews (ObsIDs starting with 9) and rows at NaN or (0, 0) are dropped and logged.
    XSA: ``science_usable`` is ``with_science``; public once ``proprietary_end_date`` has
    passed. HEASARC: only ``processed``/``archived`` rows are kept, all are science-usable,
    public dates 0 or 416422 are null, and data must also be in HEASARC to count as public.
    ``exposure`` is the observation duration, the only figure either table gives.
    """
    now = N.resolve_now(now)
    cols = [c.strip().lower() for c in raw.columns]
    if "observation_id" in cols:
        df = _from_xsa(raw, now)
    elif "obsid" in cols:
        df = _from_heasarc(raw, now)
    else:
        raise SchemaError(
            f"raw {NAME} table has neither 'observation_id' (XSA) nor 'obsid' (HEASARC "
            f"xmmmaster); its columns are: {', '.join(raw.columns)}"
        )
    df = N.drop_rows(df, pl.col("obs_id").str.starts_with("9"), NAME, "slew observations")
    return N.finish(df, NAME, extras=["revolution"], drop_zero_positions=True)


def _from_xsa(raw: pl.DataFrame, now: datetime) -> pl.DataFrame:
    df = N.prepare(
        raw,
        NAME,
        ["ra", "dec", "observation_id", "start_utc", "duration", "with_science", "revolution"],
    )
    start = N.iso_to_utc("start_utc", df)
    end = (
        N.iso_to_utc("end_utc", df)
        if "end_utc" in df.columns
        else start + pl.duration(seconds=N.num("duration"))
    )
    prop_end = (
        N.iso_to_utc("proprietary_end_date", df)
        if "proprietary_end_date" in df.columns
        else pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    )
    return df.select(
        N.obs_id("observation_id", df, width=10).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        start.alias("start"),
        end.alias("end"),
        N.num("duration").alias("exposure"),
        N.flag("with_science", df).fill_null(False).alias("science_usable"),
        prop_end.alias("proprietary_end"),
        N.public_by(prop_end, now).alias("public"),
        N.text("target", df).alias("target_name"),
        pl.col("revolution").cast(pl.Int64, strict=False).alias("revolution"),
    )


def _from_heasarc(raw: pl.DataFrame, now: datetime) -> pl.DataFrame:
    df = N.prepare(
        raw,
        NAME,
        ["ra", "dec", "obsid", "time", "end_time", "status", "duration", "public_date"],
    )
    df = N.keep_values(df, "status", ["processed", "archived"], NAME)
    prop_end = N.mjd_to_utc(pl.col("public_date"), PUBLIC_DATE_SENTINELS)
    in_heasarc = (
        N.flag("data_in_heasarc", df).fill_null(False)
        if "data_in_heasarc" in df.columns
        else pl.lit(True)
    )
    revolution = (
        pl.col("xmm_revolution").cast(pl.Int64, strict=False)
        if "xmm_revolution" in df.columns
        else pl.lit(None, dtype=pl.Int64)
    )
    return df.select(
        N.obs_id("obsid", df, width=10).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        N.mjd_to_utc(pl.col("time")).alias("start"),
        N.mjd_to_utc(pl.col("end_time")).alias("end"),
        N.num("duration").alias("exposure"),
        pl.lit(True).alias("science_usable"),
        prop_end.alias("proprietary_end"),
        (N.public_by(prop_end, now) & in_heasarc).alias("public"),
        N.text("name", df).alias("target_name"),
        revolution.alias("revolution"),
    )


XMM_POINTED = Mission(
    name="xmm_pointed",
    pretty_name="XMM-Newton Pointed",
    instruments=(
        Instrument("M1", 15 / 60, aliases=("MOS1",)),
        Instrument("M2", 15 / 60, aliases=("MOS2",)),
        Instrument("PN", 15 / 60, aliases=("EPN",)),
        Instrument("OM", 17 / 2 / 60, default=False),
        Instrument("R1", 15 / 60, default=False, aliases=("RGS1",)),
        Instrument("R2", 15 / 60, default=False, aliases=("RGS2",)),
    ),
    frame="fk5",
    obs_id_regex=r"^[0-9]{10}$",
    has_target_types=False,
    raw_obs_id_column="observation_id",
    source=TableSource(
        "xsa_tap",
        "v_all_observations",
        (
            "ra",
            "dec",
            "observation_id",
            "start_utc",
            "end_utc",
            "duration",
            "with_science",
            "proprietary_end_date",
            "revolution",
            "target",
        ),
        optional=("target",),
        fallback=TableSource(
            "heasarc_tap",
            "xmmmaster",
            (
                "ra",
                "dec",
                "obsid",
                "time",
                "end_time",
                "status",
                "duration",
                "public_date",
                "data_in_heasarc",
                "xmm_revolution",
                "name",
            ),
        ),
    ),
    normalise=normalise,
)
