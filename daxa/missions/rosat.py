"""ROSAT pointed observations (``rosmaster``) and the RASS (``rassmaster``)."""

from __future__ import annotations

import polars as pl

from daxa.missions.spec import Instrument, Mission, TableSource


def normalise_pointed(raw: pl.DataFrame) -> pl.DataFrame:
    """rosmaster rows → standard schema (DESIGN §3.1)."""
    raise NotImplementedError


def normalise_all_sky(raw: pl.DataFrame) -> pl.DataFrame:
    """rassmaster rows → standard schema (DESIGN §3.1)."""
    raise NotImplementedError


ROSAT_POINTED = Mission(
    name="rosat_pointed",
    pretty_name="ROSAT Pointed",
    instruments=(
        Instrument("PSPCB", 1.0),
        Instrument("PSPCC", 1.0),
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
            "ra", "dec", "seq_id", "start_time", "end_time", "exposure", "fits_type",
            "instrument", "filter", "proc_rev", "subj_cat", "name", "site",
        ),
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
