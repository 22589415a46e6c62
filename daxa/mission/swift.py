"""Swift observations (DAXA's ``Swift``)."""

from __future__ import annotations

from daxa.mission.base import BaseMission


class Swift(BaseMission):
    """Swift observations (XRT and BAT by default, UVOT on request).

    The default search radius is per observation: 1.2 × the largest FoV among the chosen
    instruments that observed, so an XRT-only observation is searched within 14′, not within
    BAT's 60° as in DAXA; downloads fetch, per observation, only the instruments that cover a
    searched position.
    """

    _mission = "swift"
