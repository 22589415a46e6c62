"""ASCA observations (HEASARC ``ascamaster``)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from daxa.missions import _normalise as N
from daxa.missions.spec import Instrument, Mission, TableSource

NAME = "asca"

#: ascamaster ``subject_category`` → taxonomy (DESIGN §6).
CATEGORY_MAP = {
    "AGN": "AGN",
    "SUPERNOVA REMNANTS AND GALACTIC DIFFUSE EMISSION": "SNR",
    "CLUSTERS OF GALAXIES AND SUPERCLUSTERS": "GCL",
    "STARS": "GS",
    "NORMAL STARS": "GS",
    "X RAY BINARIES": "XRB",
    "COSMIC X-RAY BACKGROUND AND DEEP SURVEYS AND OTHER": "EGS",
    "NORMAL GALAXIES": "NGS",
    "CATACLYSMIC VARIABLES": "CV",
}


def normalise(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """ascamaster rows → standard schema (DESIGN §3.1).

    ``sis_exposure``/``gis_exposure`` become ``exposure_sis``/``exposure_gis`` (one figure
    per detector pair); ``exposure`` is the larger; a row with both 0 is not science-usable.
    The integer ``sequence_number`` becomes an 8-digit ObsID. All ASCA data are public.
    """
    df = N.prepare(
        raw,
        NAME,
        ["ra", "dec", "sequence_number", "time", "end_time", "sis_exposure", "gis_exposure"],
    )
    df = df.select(
        N.obs_id("sequence_number", df, width=8).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        N.mjd_to_utc(pl.col("time")).alias("start"),
        N.mjd_to_utc(pl.col("end_time")).alias("end"),
        N.num("sis_exposure").alias("exposure_sis"),
        N.num("gis_exposure").alias("exposure_gis"),
        pl.lit(True).alias("public"),
        N.map_category(N.text("subject_category", df), CATEGORY_MAP).alias("target_category"),
        N.text("name", df).alias("target_name"),
    )
    exposures = ["exposure_sis", "exposure_gis"]
    df = N.with_best_exposure(df, exposures)
    return N.finish(df, NAME, exposures=exposures)


ASCA = Mission(
    name="asca",
    pretty_name="ASCA",
    instruments=(
        Instrument("SIS0", 11 / 60, aliases=("S0",), exposure_column="exposure_sis"),
        Instrument("SIS1", 11 / 60, aliases=("S1",), exposure_column="exposure_sis"),
        Instrument("GIS2", 25 / 60, aliases=("G2",), exposure_column="exposure_gis"),
        Instrument("GIS3", 25 / 60, aliases=("G3",), exposure_column="exposure_gis"),
    ),
    frame="fk5",
    obs_id_regex=r"^[0-9]{8}$",
    raw_obs_id_column="sequence_number",
    source=TableSource(
        "heasarc_tap",
        "ascamaster",
        (
            "ra",
            "dec",
            "sequence_number",
            "time",
            "end_time",
            "subject_category",
            "status",
            "gis_exposure",
            "sis_exposure",
            "name",
        ),
    ),
    normalise=normalise,
)
