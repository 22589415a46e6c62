"""Suzaku observations (DAXA's ``Suzaku``)."""

from __future__ import annotations

from daxa.mission.base import BaseMission


class Suzaku(BaseMission):
    """Suzaku XIS observations (XIS0–XIS3; X0–X3 accepted). DAXA's ``xis*_num_modes``
    columns are not in the archive table daxa reads, so :attr:`all_obs_info` lacks them."""

    _mission = "suzaku"
