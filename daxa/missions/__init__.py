"""The core's mission specs and normalisers: the rest of daxa imports them, they import no facade.

One module per mission family, and the registry. Not to be confused with :mod:`daxa.mission`,
DAXA's API facade, which sits on top of the core and imports this package, never the reverse.
"""

from daxa.missions.registry import (
    MISSIONS,
    check_obs_ids,
    get_mission,
    mission_names,
    normalise_instruments,
    resolve_missions,
)
from daxa.missions.spec import Instrument, Mission, TableSource
from daxa.missions.taxonomy import TARGET_TYPES

__all__ = [
    "MISSIONS",
    "TARGET_TYPES",
    "Instrument",
    "Mission",
    "TableSource",
    "check_obs_ids",
    "get_mission",
    "mission_names",
    "normalise_instruments",
    "resolve_missions",
]
