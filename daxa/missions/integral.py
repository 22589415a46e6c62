"""INTEGRAL pointed science windows (HEASARC ``intscwpub``)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from daxa.missions import _normalise as N
from daxa.missions.spec import Instrument, Mission, TableSource

NAME = "integral_pointed"
_INSTRUMENTS = ("jemx1", "jemx2", "isgri", "picsit", "spi")


def normalise(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """intscwpub rows → standard schema (DESIGN §3.1); one row per science window.

    ``good_<inst>`` become ``exposure_<inst>``; ``exposure`` is the largest; a window with
    all five 0 is not science-usable. ``public`` needs both ``status`` PUBLIC and
    ``data_in_heasarc`` Y: HEASARC lists PRIVATE windows whose data it already holds (see the
    real ``intscw`` answers); a table without ``status`` (intscwpub as documented, public
    windows only) goes by ``data_in_heasarc`` alone. intscwpub holds pointings only and may
    have no ``scw_type`` column; if a table with one is given (the ``intscw`` table), only
    POINTING windows are kept. ``scw_ver`` (e.g. ``001``) is kept, as downloads need it, and
    ``posangle`` (degrees) as ``roll_angle`` for footprints. No target categories (all MISC).
    """
    raw_exp = [f"good_{i}" for i in _INSTRUMENTS]
    df = N.prepare(
        raw, NAME, ["ra", "dec", "scw_id", "start_date", "end_date", "data_in_heasarc", *raw_exp]
    )
    if "scw_type" in df.columns:
        df = N.keep_values(df, "scw_type", ["POINTING"], NAME)
    exposures = [f"exposure_{i}" for i in _INSTRUMENTS]
    scw_ver = (
        N.obs_id("scw_ver", df, width=3) if "scw_ver" in df.columns else pl.lit(None, pl.String)
    )
    df = df.select(
        N.obs_id("scw_id", df, width=12).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        N.mjd_to_utc(pl.col("start_date")).alias("start"),
        N.mjd_to_utc(pl.col("end_date")).alias("end"),
        *(N.num(r).alias(e) for r, e in zip(raw_exp, exposures, strict=True)),
        _public(df).alias("public"),
        pl.lit("MISC").alias("target_category"),
        scw_ver.alias("scw_ver"),
        N.num("posangle", df).alias("roll_angle"),
    )
    df = N.with_best_exposure(df, exposures)
    return N.finish(df, NAME, exposures=exposures, extras=["scw_ver", "roll_angle"])


def _public(df: pl.DataFrame) -> pl.Expr:
    in_heasarc = N.flag("data_in_heasarc", df).fill_null(False)
    if "status" not in df.columns:
        return in_heasarc
    status = N.text("status", df).str.to_uppercase()
    return in_heasarc & (status == "PUBLIC").fill_null(False)


INTEGRAL_POINTED = Mission(
    name="integral_pointed",
    pretty_name="INTEGRAL Pointed",
    instruments=(
        Instrument("JEMX1", 2.4, exposure_column="exposure_jemx1"),
        Instrument("JEMX2", 2.4, exposure_column="exposure_jemx2"),
        Instrument("ISGRI", 4.15, exposure_column="exposure_isgri"),
        Instrument("PICSIT", 4.15, default=False, exposure_column="exposure_picsit"),
        Instrument("SPI", 7.0, default=False, exposure_column="exposure_spi"),
    ),
    frame="fk5",
    obs_id_regex=r"^[0-9]{12}$",
    raw_obs_id_column="scw_id",
    source=TableSource(
        "heasarc_tap",
        "intscwpub",
        (
            "ra",
            "dec",
            "scw_id",
            "scw_ver",
            "start_date",
            "end_date",
            "spi_mode",
            "good_jemx1",
            "good_jemx2",
            "good_isgri",
            "good_picsit",
            "good_spi",
            "data_in_heasarc",
            "status",
            "scw_type",
            "posangle",
        ),
        optional=("scw_type", "status", "posangle"),
    ),
    normalise=normalise,
)
