"""XRISM pointed observations (HEASARC ``xrismmastr``)."""

from __future__ import annotations

import polars as pl

from daxa.missions.spec import Instrument, Mission, TableSource


def normalise(raw: pl.DataFrame) -> pl.DataFrame:
    """xrismmastr rows → standard schema (DESIGN §3.1)."""
    raise NotImplementedError


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
            "ra", "dec", "obsid", "time", "end_time", "duration", "exposure", "xtd_expo",
            "subject_category", "rsl_datamode", "public_date", "name",
        ),
    ),
    normalise=normalise,
)
