"""XRISM pointed observations (HEASARC ``xrismmastr``)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from daxa.missions import _normalise as N
from daxa.missions.spec import Instrument, Mission, TableSource

NAME = "xrism_pointed"

#: HEASARC placeholders for an unknown public date (MJD 0 and 88068, the end of 2099).
PUBLIC_DATE_SENTINELS = (0.0, 88068.0)

#: xrismmastr ``subject_category`` → taxonomy (DESIGN §6).
CATEGORY_MAP = {
    "Non-Jet-Dominated AGN": "AGN",
    "Blazars and Other Jet-Dominated AGN": "BLZ",
    "Solar System": "SOL",
    "Supernova Remnants": "SNR",
    "Normal Galaxies: Integrated Emission": "NGS",
    "Groups and Clusters of Galaxies": "GCL",
    "Extragalactic Diffuse Emission and Surveys": "EGS",
    "Extragalactic Transients: SNe, GRBs, GW Events, and TDEs": "EGS",
    "BH and NS Binaries": "NS",
    "Non-Accreting Neutron Stars": "NS",
    "Galactic Diffuse Emission and Surveys": "GS",
    "Stellar Coronae, Winds, and Young Stars": "STR",
    "Accreting White Dwarfs and Novae": "STR",
    "Astrophysical Processes": "MISC",
}


def normalise(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """xrismmastr rows → standard schema (DESIGN §3.1).

    ``exposure`` is the archive's (Resolve's when Resolve observed, else Xtend's); a row with
    exposure 0 is not science-usable. ``exposure_xtend`` is ``xtd_expo``; ``exposure_resolve``
    is ``exposure`` when the row has a Resolve data mode, else 0. Public dates 0 and 88068
    are null. ``rsl_datamode`` is kept.
    """
    now = N.resolve_now(now)
    df = N.prepare(raw, NAME, ["ra", "dec", "obsid", "time", "end_time", "exposure"])
    prop_end = (
        N.mjd_to_utc(pl.col("public_date"), PUBLIC_DATE_SENTINELS)
        if "public_date" in df.columns
        else pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    )
    exposure = N.num("exposure")
    resolve_mode = N.text("rsl_datamode", df)
    xtend = N.num("xtd_expo", df)
    df = df.select(
        N.obs_id("obsid", df, width=9).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        N.mjd_to_utc(pl.col("time")).alias("start"),
        N.mjd_to_utc(pl.col("end_time")).alias("end"),
        exposure.alias("exposure"),
        (exposure > 0).fill_null(False).alias("science_usable"),
        prop_end.alias("proprietary_end"),
        N.public_by(prop_end, now).alias("public"),
        N.map_category(N.text("subject_category", df), CATEGORY_MAP).alias("target_category"),
        N.text("name", df).alias("target_name"),
        pl.when(resolve_mode.is_not_null()).then(exposure).otherwise(0.0).alias("exposure_resolve"),
        xtend.alias("exposure_xtend"),
        resolve_mode.alias("rsl_datamode"),
    )
    return N.finish(
        df, NAME, exposures=["exposure_resolve", "exposure_xtend"], extras=["rsl_datamode"]
    )


XRISM_POINTED = Mission(
    name="xrism_pointed",
    pretty_name="XRISM Pointed",
    instruments=(
        Instrument("RESOLVE", 1.5 / 60, exposure_column="exposure_resolve"),
        Instrument("XTEND", 19 / 60, exposure_column="exposure_xtend"),
    ),
    frame="fk5",
    obs_id_regex=r"^[0-9]{9}$",
    source=TableSource(
        "heasarc_tap",
        "xrismmastr",
        (
            "ra",
            "dec",
            "obsid",
            "time",
            "end_time",
            "duration",
            "exposure",
            "xtd_expo",
            "subject_category",
            "rsl_datamode",
            "public_date",
            "name",
        ),
    ),
    normalise=normalise,
)
