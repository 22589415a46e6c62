"""ASCA observations (DAXA's ``ASCA``)."""

from __future__ import annotations

from daxa.mission.base import BaseMission


class ASCA(BaseMission):
    """ASCA observations (SIS0, SIS1, GIS2, GIS3; S0, S1, G2, G3 accepted). SIS and GIS have
    different FoVs: the default search radius of an observation comes from the detectors that
    observed in it."""

    _mission = "asca"
