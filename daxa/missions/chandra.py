"""Chandra observations (HEASARC ``chanmaster``); one instrument (ACIS or HRC) per observation."""

from __future__ import annotations

import polars as pl

from daxa.missions.spec import Instrument, Mission, TableSource


def normalise(raw: pl.DataFrame) -> pl.DataFrame:
    """chanmaster rows → standard schema (DESIGN §3.1)."""
    raise NotImplementedError


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
            "ra", "dec", "time", "obsid", "status", "detector", "grating", "exposure", "type",
            "data_mode", "class", "public_date", "name",
        ),
    ),
    normalise=normalise,
)
