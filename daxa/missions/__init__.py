"""Mission specs and normalisers, one module per mission family, and the registry."""

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
