"""ROSAT pointed observations and the ROSAT All-Sky Survey (DAXA's ``ROSATPointed`` and
``ROSATAllSky``)."""

from __future__ import annotations

import os
from typing import Any

from daxa.mission.base import BaseMission


class ROSATPointed(BaseMission):
    """ROSAT pointed observations: one instrument (PSPCB, PSPCC or HRI) per observation, so
    choosing instruments is also a row filter recorded in the lineage. ObsIDs are matched in any
    case and stored upper-case. Unlike DAXA, ``'PSPC-B'``-style names are not accepted: use
    PSPCB or PSPCC."""

    _mission = "rosat_pointed"


class ROSATAllSky(BaseMission):
    """The ROSAT All-Sky Survey fields (PSPC only, so there is no ``insts`` argument)."""

    _mission = "rosat_all_sky"

    def __init__(
        self,
        save_file_path: str | os.PathLike[str] | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        table: Any = None,
    ) -> None:
        super().__init__(None, save_file_path, cache_dir=cache_dir, table=table)
