"""``multi_mission_filter_on_positions``: one positional search over several mission classes."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from daxa.errors import InputError, NoObsAfterFilterError
from daxa.mission.base import BaseMission
from daxa.mission.index import MISS_INDEX


def _per_mission(search_distance: Any, names: list[str]) -> dict[str, Any]:
    """DAXA's ``search_distance`` forms as one value per mission (None: the default)."""
    if isinstance(search_distance, Mapping):
        unknown = [m for m in search_distance if m not in MISS_INDEX]
        if unknown:
            raise InputError(
                f"search_distance names unknown mission(s) {', '.join(map(repr, unknown))}; "
                f"the missions are: {', '.join(MISS_INDEX)}"
            )
        return {m: search_distance.get(m) for m in names}
    return dict.fromkeys(names, search_distance)


def multi_mission_filter_on_positions(
    positions: Any,
    search_distance: Any = None,
    missions: list[str] | None = None,
    insts: Mapping[str, list[str] | str] | None = None,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
) -> list[BaseMission]:
    """Mission objects (all missions, or ``missions``) filtered on ``positions``; missions
    where nothing is found are left out with a warning.

    ``search_distance``: None (each mission's default), one distance for every mission, or a
    mapping mission → distance (any form :meth:`BaseMission.filter_on_positions` accepts;
    missions left out use their default). ``insts`` maps mission → chosen instruments.
    ``cache_dir`` is where the tables are cached (daxa's addition).
    """
    if isinstance(missions, str):
        missions = [missions]
    if missions is not None and (
        not isinstance(missions, Iterable) or not all(isinstance(m, str) for m in missions)
    ):
        raise InputError(
            f"missions must be a list of mission names, got {missions!r}; the missions are: "
            f"{', '.join(MISS_INDEX)}"
        )
    names = list(MISS_INDEX) if missions is None else list(missions)
    unknown = [m for m in names if m not in MISS_INDEX]
    if unknown:
        raise InputError(
            f"unknown mission(s) {', '.join(map(repr, unknown))}; the missions are: "
            f"{', '.join(MISS_INDEX)}"
        )
    chosen = dict(insts or {})
    stray = [m for m in chosen if m not in names]
    if stray:
        raise InputError(
            f"insts names mission(s) {', '.join(map(repr, stray))} that are not searched; add "
            "them to missions or drop them from insts"
        )
    distances = _per_mission(search_distance, names)
    found: list[BaseMission] = []
    for name in names:
        kwargs: dict[str, Any] = {"cache_dir": cache_dir}
        if name in chosen:
            kwargs["insts"] = chosen[name]
        mission = MISS_INDEX[name](**kwargs)
        try:
            mission.filter_on_positions(positions, distances[name])
        except NoObsAfterFilterError:
            warnings.warn(
                f"no {mission.pretty_name} observations found; {name} is left out",
                stacklevel=2,
            )
            continue
        found.append(mission)
    return found
