"""eROSITA: the CalPV (EDR) observation list and the eRASS1 DE DR1 sky tiles."""

from __future__ import annotations

import polars as pl

from daxa.missions.spec import Instrument, Mission, TableSource

_TMS = tuple(Instrument(f"TM{i}", 0.0) for i in range(1, 8))


def _with_fov(fov_deg: float) -> tuple[Instrument, ...]:
    return tuple(Instrument(t.name, fov_deg) for t in _TMS)


def normalise_calpv(raw: pl.DataFrame) -> pl.DataFrame:
    """The CalPV list (CSV or FITS) → standard schema."""
    raise NotImplementedError


def normalise_erass1_de(raw: pl.DataFrame) -> pl.DataFrame:
    """The eRASS1 DE tile list (CSV or FITS) → standard schema."""
    raise NotImplementedError


EROSITA_CALPV = Mission(
    name="erosita_calpv",
    pretty_name="eROSITA CalPV",
    instruments=_with_fov(4.5),
    frame="fk5",
    obs_id_regex=r"^[0-9]{6}$",
    has_target_types=False,
    raw_obs_id_column="ObsID",
    source=TableSource("erosita_list", "erosita_calpv_info.csv"),
    normalise=normalise_calpv,
)

ERASS1_DE = Mission(
    name="erosita_all_sky_de_dr1",
    pretty_name="eRASS1 DE DR1",
    instruments=_with_fov(1.8),
    frame="fk5",
    obs_id_regex=r"^[0-9]{6}$",
    has_target_types=False,
    raw_obs_id_column="ObsID",
    source=TableSource("erosita_list", "erass_de_dr1_info.csv"),
    normalise=normalise_erass1_de,
)
