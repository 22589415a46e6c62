"""XRISM pointed observations (DAXA's ``XRISMPointed``)."""

from __future__ import annotations

from daxa.mission.base import BaseMission


class XRISMPointed(BaseMission):
    """Pointed XRISM observations (RESOLVE and XTEND). DAXA's Xtend mode and data-class
    columns are not in the archive table daxa reads, so :attr:`all_obs_info` lacks them."""

    _mission = "xrism_pointed"
