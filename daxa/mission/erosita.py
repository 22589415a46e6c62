"""eROSITA: the CalPV early data release and the eRASS1 DE sky tiles (DAXA's
``eROSITACalPV`` and ``eRASS1DE``)."""

from __future__ import annotations

import os
import warnings
from typing import Any

from daxa.mission.base import BaseMission


class eROSITACalPV(BaseMission):  # noqa: N801 (DAXA's name)
    """The 170 eROSITA Calibration and Performance Verification observations.

    ``fields`` (names, DAXA's aliases such as ``"Crab II"`` or ``"47 Tuc"``, or field types
    such as ``"SURVEY"``) filters on fields from the start; :attr:`chosen_fields` lists the
    fields passing every field filter. DAXA maps ``47_TUC`` to a name the list does not have
    (``47_TUC__NGC_04_``); daxa maps it to ``47_TUC__NGC_104_``. The field filter is part of
    ``filtering_operations`` (DAXA did not record it). Instruments: TM1–TM7; downloads fetch
    each field's tarball once and cut event lists to the chosen telescope modules.
    ``filter_on_obs_ids`` also takes ``invert`` (DAXA's CalPV version did not); 700195,
    misprinted on the EDR pages for Puppis A, means 700199 and 700200 (with a warning, as in
    DAXA; daxa's own ObsID filter does the same).
    """

    _mission = "erosita_calpv"

    def __init__(
        self,
        insts: list[str] | str | None = None,
        fields: list[str] | str | None = None,
        save_file_path: str | os.PathLike[str] | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        table: Any = None,
    ) -> None:
        super().__init__(insts, save_file_path, cache_dir=cache_dir, table=table)
        if fields is not None and save_file_path is None:
            self.filter_on_fields(fields)

    @property
    def fov(self) -> Any:
        """4.5°, the half-length of an eFEDS section, with DAXA's warning: CalPV mixes pointed
        and slewed observations, so no one field of view fits them all."""
        warnings.warn(
            "a field of view cannot be defined well for eROSITA CalPV: 4.5 deg is the "
            "half-length of an eFEDS section, far larger than a pointed observation needs; "
            "choose your own search distance",
            stacklevel=2,
        )
        return super().fov


class eRASS1DE(BaseMission):  # noqa: N801 (DAXA's name)
    """The eRASS1 German sky tiles (DR1): one observation per 3.6° sky tile, ObsID RRRDDD.

    ``download(pipeline_version=...)`` picks the processing version (default: the highest
    available); products (images, exposure and background maps) come in the seven eRASS1
    bands.
    """

    _mission = "erosita_all_sky_de_dr1"
