"""NuSTAR pointed observations (DAXA's ``NuSTARPointed``)."""

from __future__ import annotations

from daxa.mission.base import BaseMission


class NuSTARPointed(BaseMission):
    """Pointed NuSTAR science observations (FPMA and FPMB; FA and FB accepted). Observations
    where a module has no exposure are not searched for that module, and downloads fetch only
    the modules that observed."""

    _mission = "nustar_pointed"
