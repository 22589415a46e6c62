"""INTEGRAL pointed science windows (DAXA's ``INTEGRALPointed``)."""

from __future__ import annotations

from daxa.mission.base import BaseMission


class INTEGRALPointed(BaseMission):
    """Public INTEGRAL pointing science windows (JEMX1, JEMX2, ISGRI by default; PICsIT and
    SPI on request). With wide-field instruments a large share of the table is near every
    position: positional searches use one vectorised pair search, and positions-at-time
    searches join on time first."""

    _mission = "integral_pointed"
