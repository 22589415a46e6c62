"""Suzaku observations (HEASARC ``suzamaster``)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from daxa.missions import _normalise as N
from daxa.missions.spec import Instrument, Mission, TableSource

NAME = "suzaku"

#: suzamaster ``category_code`` → taxonomy (DESIGN §6); other codes are MISC.
CATEGORY_MAP = {"0": "MISC", "1": "CAL", "4": "GS", "5": "GS", "7": "EGS", "8": "GCL", "9": "TOO"}


def normalise(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """suzamaster rows → standard schema (DESIGN §3.1).

    ``xis<i>_expo`` become ``exposure_xis<i>``; ``exposure`` is the largest; a row with all
    four 0 is not science-usable. All Suzaku data are public.
    """
    raw_exp = [f"xis{i}_expo" for i in range(4)]
    df = N.prepare(raw, NAME, ["ra", "dec", "obsid", "time", "stop_time", *raw_exp])
    exposures = [f"exposure_xis{i}" for i in range(4)]
    code = (
        pl.col("category_code").cast(pl.Int64, strict=False).cast(pl.String)
        if "category_code" in df.columns
        else pl.lit(None, pl.String)
    )
    df = df.select(
        N.obs_id("obsid", df, width=9).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        N.mjd_to_utc(pl.col("time")).alias("start"),
        N.mjd_to_utc(pl.col("stop_time")).alias("end"),
        *(N.num(r).alias(e) for r, e in zip(raw_exp, exposures, strict=True)),
        pl.lit(True).alias("public"),
        N.map_category(code, CATEGORY_MAP).alias("target_category"),
        N.text("name", df).alias("target_name"),
    )
    df = N.with_best_exposure(df, exposures)
    return N.finish(df, NAME, exposures=exposures)


SUZAKU = Mission(
    name="suzaku",
    pretty_name="Suzaku",
    instruments=tuple(
        Instrument(f"XIS{i}", 9.5 / 60, aliases=(f"X{i}",), exposure_column=f"exposure_xis{i}")
        for i in range(4)
    ),
    frame="fk5",
    obs_id_regex=r"^[0-9]{9}$",
    source=TableSource(
        "heasarc_tap",
        "suzamaster",
        (
            "ra",
            "dec",
            "obsid",
            "time",
            "stop_time",
            "category_code",
            "xis0_expo",
            "xis1_expo",
            "xis2_expo",
            "xis3_expo",
            "name",
        ),
    ),
    normalise=normalise,
)
