"""Suzaku observations (HEASARC ``suzamaster``)."""

from __future__ import annotations

import polars as pl

from daxa.missions.spec import Instrument, Mission, TableSource


def normalise(raw: pl.DataFrame) -> pl.DataFrame:
    """suzamaster rows → standard schema (DESIGN §3.1)."""
    raise NotImplementedError


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
            "ra", "dec", "obsid", "time", "stop_time", "category_code", "xis0_expo",
            "xis1_expo", "xis2_expo", "xis3_expo", "name",
        ),
    ),
    normalise=normalise,
)
