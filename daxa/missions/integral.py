"""INTEGRAL pointed science windows (HEASARC ``intscwpub``)."""

from __future__ import annotations

import polars as pl

from daxa.missions.spec import Instrument, Mission, TableSource


def normalise(raw: pl.DataFrame) -> pl.DataFrame:
    """intscwpub rows → standard schema (DESIGN §3.1)."""
    raise NotImplementedError


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
            "ra", "dec", "scw_id", "scw_ver", "start_date", "end_date", "spi_mode",
            "good_jemx1", "good_jemx2", "good_isgri", "good_picsit", "good_spi",
            "data_in_heasarc",
        ),
    ),
    normalise=normalise,
)
