"""XMM-Newton pointed observations (XSA TAP, with HEASARC ``xmmmaster`` as fallback)."""

from __future__ import annotations

import polars as pl

from daxa.missions.spec import Instrument, Mission, TableSource


def normalise(raw: pl.DataFrame) -> pl.DataFrame:
    """XSA or HEASARC xmmmaster rows → standard schema (DESIGN §3.1)."""
    raise NotImplementedError


XMM_POINTED = Mission(
    name="xmm_pointed",
    pretty_name="XMM-Newton Pointed",
    instruments=(
        Instrument("M1", 15 / 60, aliases=("MOS1",)),
        Instrument("M2", 15 / 60, aliases=("MOS2",)),
        Instrument("PN", 15 / 60, aliases=("EPN",)),
        Instrument("OM", 17 / 2 / 60, default=False),
        Instrument("R1", 15 / 60, default=False, aliases=("RGS1",)),
        Instrument("R2", 15 / 60, default=False, aliases=("RGS2",)),
    ),
    frame="fk5",
    obs_id_regex=r"^[0-9]{10}$",
    has_target_types=False,
    raw_obs_id_column="observation_id",
    source=TableSource(
        "xsa_tap",
        "v_all_observations",
        (
            "ra", "dec", "observation_id", "start_utc", "end_utc", "duration", "with_science",
            "proprietary_end_date", "revolution", "target",
        ),
        fallback=TableSource(
            "heasarc_tap",
            "xmmmaster",
            (
                "ra", "dec", "obsid", "time", "end_time", "status", "duration", "public_date",
                "data_in_heasarc", "xmm_revolution", "name",
            ),
        ),
    ),
    normalise=normalise,
)
