"""Per-exposure assessment and processing identifiers (DESIGN §7), as DAXA's missions use them.

When processing starts, an archive assembles what each observation's files say about their
instruments and sub-exposures; these rules decide which are worth processing, in DAXA's
dictionary shapes:

- XMM: ``{inst: {exposure_id: usable}}`` — a sub-exposure is not usable when its type is not
  SCIENCE, its filter is CalClosed, Closed, Blocked, Unknown or missing (not RGS), or its mode
  is a diagnostic or calibration mode. Instruments without exposures get ``{}``.
- Chandra: ``{inst: {exposure_id: usable}}`` — inactive, alternating-exposure and multi-OBI
  observations are not processed.
- eROSITA: ``{tm: {"usable": bool}}`` — a telescope module is usable when its filter is OPEN or
  FILTER.
- the others: ``{inst: active}``, from each instrument's ``active`` flag (DAXA does this for
  NuSTAR and raises NotImplementedError for the rest; an instrument without the flag counts as
  active).

Processing identifiers (``0201903501M1S001``, ``ACIS1234E001``) start with or contain the
ObsID: :func:`ident_to_obsid` finds it with the mission's own ObsID pattern.

>>> ident_to_obsid("xmm_pointed", "0201903501M1S001")
'0201903501'
>>> ident_to_obsid("rosat_pointed", "rh701867a01HRI")
'RH701867A01'
>>> assess_process_obs("erosita_calpv", {"TM1": {"filter": "OPEN"}, "TM2": {"filter": "CLOSED"}})
{'TM1': {'usable': True}, 'TM2': {'usable': False}}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from daxa.errors import InputError, ObsIDError
from daxa.missions import Mission, get_mission

#: XMM filters that block the sky (or say nothing), for every instrument but the RGS.
XMM_BAD_FILTERS = frozenset({"CalClosed", "Closed", "Blocked", "Unknown", None})
#: XMM modes that are diagnostic or calibration modes, not science.
XMM_BAD_MODES = frozenset(
    {
        "Diagnostic3x3",
        "Diagnostic1x1",
        "CcdDiagnostic",
        "Diagnostic1x1ResetPerPixel",
        "Diagnostic",
        "Noise",
        "Offset",
        "HighTimeResolutionSingleCcd",
        "OffsetVariance",
        "CentroidingConfirmation",
        "CentroidingData",
        "DarkHigh",
        "DarkLow",
        "FlatFieldHigh",
        "FlatFieldLow",
    }
)
#: eROSITA filter-wheel positions that let X-rays through.
EROSITA_GOOD_FILTERS = frozenset({"OPEN", "FILTER"})

ObsInfo = Mapping[str, Mapping[str, Any]]


def _xmm_exposure_ok(info: Mapping[str, Any], rgs: bool) -> bool:
    return (
        info.get("type") == "SCIENCE"
        and (rgs or info.get("filter") not in XMM_BAD_FILTERS)
        and info.get("mode") not in XMM_BAD_MODES
    )


def assess_xmm(obs_info: ObsInfo) -> dict[str, dict[str, bool]]:
    """XMM sub-exposures: ``{inst: {exposure_id: usable}}``."""
    return {
        inst: {
            exp_id: _xmm_exposure_ok(exp, inst in ("R1", "R2"))
            for exp_id, exp in info.get("exposures", {}).items()
        }
        for inst, info in obs_info.items()
    }


def assess_chandra(obs_info: ObsInfo) -> dict[str, dict[str, bool]]:
    """Chandra: ``{inst: {exposure_id: usable}}`` (inactive, alternating-exposure and multi-OBI
    observations are not processed)."""
    return {
        inst: {
            exp_id: bool(info.get("active", True))
            and not info.get("alt_exp_mode", False)
            and not info.get("sub_exp", False)
            for exp_id in info.get("sub_exp_ids", ())
        }
        for inst, info in obs_info.items()
    }


def assess_erosita(obs_info: ObsInfo) -> dict[str, dict[str, bool]]:
    """eROSITA telescope modules: ``{tm: {"usable": filter is OPEN or FILTER}}``."""
    return {
        inst: {"usable": info.get("filter") in EROSITA_GOOD_FILTERS}
        for inst, info in obs_info.items()
    }


def assess_active(obs_info: ObsInfo) -> dict[str, bool]:
    """Any other mission: ``{inst: active}`` (no flag counts as active)."""
    return {inst: bool(info.get("active", True)) for inst, info in obs_info.items()}


ASSESSORS: dict[str, Callable[[ObsInfo], dict[str, Any]]] = {
    "xmm_pointed": assess_xmm,
    "chandra": assess_chandra,
    "erosita_calpv": assess_erosita,
    "erosita_all_sky_de_dr1": assess_erosita,
}


def assess_process_obs(mission: str | Mission, obs_info: ObsInfo) -> dict[str, Any]:
    """Which instruments / sub-exposures of one observation to process (module docstring)."""
    if not isinstance(obs_info, Mapping):
        raise InputError(
            f"obs_info must be a dictionary keyed by instrument, got {type(obs_info).__name__}"
        )
    return ASSESSORS.get(get_mission(mission).name, assess_active)(obs_info)


def ident_to_obsid(mission: str | Mission, ident: str) -> str:
    """The ObsID inside a processing identifier (the first run matching the ObsID pattern)."""
    spec = get_mission(mission)
    body = spec.obs_id_regex.removeprefix("^").removesuffix("$")
    flags = re.IGNORECASE if spec.obs_id_case_insensitive else 0
    found = re.search(body, str(ident), flags)
    if found is None:
        raise ObsIDError(
            f"{ident!r} holds no {spec.pretty_name} ObsID (pattern {spec.obs_id_regex})"
        )
    obs_id = found.group(0)
    return obs_id.upper() if spec.obs_id_case_insensitive else obs_id
