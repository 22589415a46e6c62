"""Chandra observations (DAXA's ``Chandra``)."""

from __future__ import annotations

from daxa.mission.base import BaseMission


class Chandra(BaseMission):
    """Chandra observations: one instrument (ACIS or HRC) per observation, so choosing
    instruments is also a row filter, recorded in the lineage (ACIS-I/S and HRC-I/S are
    accepted as ACIS and HRC). DAXA also lists the gratings HETG and LETG as instruments; daxa
    keeps the grating as the ``grating`` column of :attr:`all_obs_info` instead. The default
    search radius is each observation's own instrument's 1.2 × FoV.
    """

    _mission = "chandra"
