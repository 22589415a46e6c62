"""NuSTAR pointed observations (HEASARC ``numaster``)."""

from __future__ import annotations

import polars as pl

from daxa.missions.spec import Instrument, Mission, TableSource


def normalise(raw: pl.DataFrame) -> pl.DataFrame:
    """numaster rows → standard schema (DESIGN §3.1)."""
    raise NotImplementedError


NUSTAR_POINTED = Mission(
    name="nustar_pointed",
    pretty_name="NuSTAR Pointed",
    instruments=(
        Instrument("FPMA", 6.5 / 60, aliases=("FA",), exposure_column="exposure_fpma"),
        Instrument("FPMB", 6.5 / 60, aliases=("FB",), exposure_column="exposure_fpmb"),
    ),
    frame="fk5",
    obs_id_regex=r"^[0-9]{11}$",
    source=TableSource(
        "heasarc_tap",
        "numaster",
        (
            "ra", "dec", "time", "end_time", "obsid", "status", "exposure_a", "exposure_b",
            "ontime_a", "ontime_b", "observation_mode", "spacecraft_mode", "instrument_mode",
            "subject_category", "obs_type", "public_date", "issue_flag", "nupsdout", "name",
        ),
    ),
    normalise=normalise,
)
