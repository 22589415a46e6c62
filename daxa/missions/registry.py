"""The mission registry: every mission daxa knows, keyed by its name.

>>> [m for m in mission_names()][:3]
['xmm_pointed', 'chandra', 'nustar_pointed']
>>> normalise_instruments("xmm_pointed", ["mos1", "PN"])
('M1', 'PN')
>>> get_mission("Chandra").pretty_name
'Chandra'
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from daxa.errors import ObsIDError, UnknownMissionError
from daxa.missions import asca, chandra, erosita, integral, nustar, rosat, suzaku, swift, xmm, xrism
from daxa.missions.spec import Mission, canonical_instruments

MISSIONS: dict[str, Mission] = {
    m.name: m
    for m in (
        xmm.XMM_POINTED,
        chandra.CHANDRA,
        nustar.NUSTAR_POINTED,
        erosita.EROSITA_CALPV,
        erosita.ERASS1_DE,
        rosat.ROSAT_POINTED,
        rosat.ROSAT_ALL_SKY,
        swift.SWIFT,
        suzaku.SUZAKU,
        asca.ASCA,
        integral.INTEGRAL_POINTED,
        xrism.XRISM_POINTED,
    )
}


def mission_names() -> list[str]:
    """Names of every mission in the registry, in a stable order."""
    return list(MISSIONS)


def get_mission(name: str | Mission) -> Mission:
    """The :class:`Mission` called ``name`` (case-insensitive); a Mission passes through."""
    if isinstance(name, Mission):
        return name
    key = str(name).strip().lower()
    if key not in MISSIONS:
        raise UnknownMissionError(f"unknown mission {name!r}; choose one of: {', '.join(MISSIONS)}")
    return MISSIONS[key]


def resolve_missions(names: str | Iterable[str] | None) -> list[Mission]:
    """Missions from one name, several, ``'all'`` or ``None`` (all)."""
    if names is None or (isinstance(names, str) and names.lower() == "all"):
        return list(MISSIONS.values())
    if isinstance(names, str):
        names = [n for n in names.replace(",", " ").split() if n]
    return [get_mission(n) for n in names]


def normalise_instruments(mission: str | Mission, names: str | Iterable[str]) -> tuple[str, ...]:
    """Canonical instrument names for ``names`` (aliases and any case accepted), in order.

    Raises :class:`~daxa.errors.InstrumentError` listing the allowed names.
    """
    return canonical_instruments(get_mission(mission), names)


def check_obs_ids(mission: str | Mission, obs_ids: str | Iterable[str]) -> list[str]:
    """Return ``obs_ids`` as strings after checking them against the mission's ObsID pattern.

    Raises :class:`~daxa.errors.ObsIDError` naming every id that does not match.

    >>> check_obs_ids("xmm_pointed", ["0201903501"])
    ['0201903501']
    """
    spec = get_mission(mission)
    if isinstance(obs_ids, (str, int, np.integer)):
        obs_ids = [obs_ids]  # type: ignore[list-item]
    ids = [str(o).strip() for o in obs_ids]
    pattern = spec.obs_id_pattern
    bad = [o for o in ids if not pattern.match(o)]
    if bad:
        shown = ", ".join(map(repr, bad[:10])) + (
            f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        )
        raise ObsIDError(
            f"{shown} {'is not a valid' if len(bad) == 1 else 'are not valid'} {spec.pretty_name} "
            f"ObsID{'s' if len(bad) > 1 else ''} (pattern {spec.obs_id_regex})"
        )
    if spec.obs_id_case_insensitive:
        ids = [o.upper() for o in ids]
    return ids
