"""Swift observations (HEASARC ``swiftmastr``)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from daxa.missions import _normalise as N
from daxa.missions.spec import Instrument, Mission, TableSource

NAME = "swift"
_EXPOSURES = {"xrt_exposure": "exposure_xrt", "bat_exposure": "exposure_bat",
              "uvot_exposure": "exposure_uvot"}  # fmt: skip


def normalise(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """swiftmastr rows → standard schema (DESIGN §3.1).

    Per-instrument exposures become ``exposure_xrt``/``exposure_bat``/``exposure_uvot``;
    ``exposure`` is the largest. A row with all three 0 is not science-usable. Swift data
    are public at once; the table has no target categories (all MISC). ``roll_angle`` is kept.
    """
    df = N.prepare(raw, NAME, ["ra", "dec", "obsid", "start_time", "stop_time", *_EXPOSURES])
    exposures = list(_EXPOSURES.values())
    df = df.select(
        N.obs_id("obsid", df, width=11).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        N.mjd_to_utc(pl.col("start_time")).alias("start"),
        N.mjd_to_utc(pl.col("stop_time")).alias("end"),
        *(N.num(raw_name).alias(new) for raw_name, new in _EXPOSURES.items()),
        pl.lit(True).alias("public"),
        pl.lit("MISC").alias("target_category"),
        N.text("name", df).alias("target_name"),
        N.num("roll_angle", df).alias("roll_angle"),
    )
    df = N.with_best_exposure(df, exposures)
    return N.finish(df, NAME, exposures=exposures, extras=["roll_angle"])


SWIFT = Mission(
    name="swift",
    pretty_name="Swift",
    instruments=(
        Instrument("XRT", 11.8 / 60, exposure_column="exposure_xrt"),
        Instrument("BAT", 50.0, exposure_column="exposure_bat"),
        Instrument("UVOT", 8.5 / 60, default=False, exposure_column="exposure_uvot"),
    ),
    frame="fk5",
    obs_id_regex=r"^[0-9]{11}$",
    source=TableSource(
        "heasarc_tap",
        "swiftmastr",
        (
            "ra",
            "dec",
            "roll_angle",
            "obsid",
            "start_time",
            "stop_time",
            "xrt_exposure",
            "uvot_exposure",
            "bat_exposure",
            "name",
        ),
    ),
    normalise=normalise,
)
