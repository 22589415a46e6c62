"""ASCA observations (HEASARC ``ascamaster``)."""

from __future__ import annotations

import polars as pl

from daxa.missions.spec import Instrument, Mission, TableSource


def normalise(raw: pl.DataFrame) -> pl.DataFrame:
    """ascamaster rows → standard schema (DESIGN §3.1)."""
    raise NotImplementedError


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
            "ra", "dec", "sequence_number", "time", "end_time", "subject_category", "status",
            "gis_exposure", "sis_exposure", "name",
        ),
    ),
    normalise=normalise,
)
