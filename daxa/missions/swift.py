"""Swift observations (HEASARC ``swiftmastr``)."""

from __future__ import annotations

import polars as pl

from daxa.missions.spec import Instrument, Mission, TableSource


def normalise(raw: pl.DataFrame) -> pl.DataFrame:
    """swiftmastr rows → standard schema (DESIGN §3.1)."""
    raise NotImplementedError


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
            "ra", "dec", "roll_angle", "obsid", "start_time", "stop_time", "xrt_exposure",
            "uvot_exposure", "bat_exposure", "name",
        ),
    ),
    normalise=normalise,
)
