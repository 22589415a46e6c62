"""Independent answers for the mission-class tests: DAXA's published facts and brute force."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

#: Every name of DAXA's documented mission API the classes must have (issue 9).
API_NAMES = (
    "name",
    "pretty_name",
    "coord_frame",
    "id_regex",
    "fov",
    "all_mission_instruments",
    "chosen_instruments",
    "all_mission_fields",
    "all_mission_field_types",
    "chosen_fields",
    "top_level_path",
    "raw_data_path",
    "filter_array",
    "filtering_operations",
    "all_obs_info",
    "filtered_obs_info",
    "science_usable",
    "ra_decs",
    "filtered_ra_decs",
    "obs_ids",
    "filtered_obs_ids",
    "download_completed",
    "downloaded_type",
    "locked",
    "processed",
    "preprocessed_energy_bands",
    "one_inst_per_obs",
    "reset_filter",
    "check_obsid_pattern",
    "check_inst_names",
    "filter_on_obs_ids",
    "filter_on_rect_region",
    "filter_on_positions",
    "filter_on_name",
    "filter_on_time",
    "filter_on_target_type",
    "filter_on_positions_at_time",
    "filter_on_fields",
    "download",
    "get_evt_list_path",
    "get_image_path",
    "get_expmap_path",
    "get_background_path",
    "delete_raw_data",
    "save",
    "info",
    "show_allowed_target_types",
    "assess_process_obs",
    "ident_to_obsid",
)

#: DAXA's class name per mission (the seed's documented API).
CLASS_NAMES = {
    "xmm_pointed": "XMMPointed",
    "chandra": "Chandra",
    "nustar_pointed": "NuSTARPointed",
    "erosita_calpv": "eROSITACalPV",
    "erosita_all_sky_de_dr1": "eRASS1DE",
    "rosat_pointed": "ROSATPointed",
    "rosat_all_sky": "ROSATAllSky",
    "swift": "Swift",
    "suzaku": "Suzaku",
    "asca": "ASCA",
    "integral_pointed": "INTEGRALPointed",
    "xrism_pointed": "XRISMPointed",
}

#: (every instrument, default instruments), from DESIGN §3 / DAXA's classes.
INSTRUMENTS: dict[str, tuple[list[str], list[str]]] = {
    "xmm_pointed": (["M1", "M2", "PN", "OM", "R1", "R2"], ["M1", "M2", "PN"]),
    "chandra": (["ACIS", "HRC"], ["ACIS", "HRC"]),
    "nustar_pointed": (["FPMA", "FPMB"], ["FPMA", "FPMB"]),
    "erosita_calpv": ([f"TM{i}" for i in range(1, 8)], [f"TM{i}" for i in range(1, 8)]),
    "erosita_all_sky_de_dr1": ([f"TM{i}" for i in range(1, 8)], [f"TM{i}" for i in range(1, 8)]),
    "rosat_pointed": (["PSPCB", "PSPCC", "HRI"], ["PSPCB", "PSPCC", "HRI"]),
    "rosat_all_sky": (["PSPC"], ["PSPC"]),
    "swift": (["XRT", "BAT", "UVOT"], ["XRT", "BAT"]),
    "suzaku": (["XIS0", "XIS1", "XIS2", "XIS3"], ["XIS0", "XIS1", "XIS2", "XIS3"]),
    "asca": (["SIS0", "SIS1", "GIS2", "GIS3"], ["SIS0", "SIS1", "GIS2", "GIS3"]),
    "integral_pointed": (
        ["JEMX1", "JEMX2", "ISGRI", "PICSIT", "SPI"],
        ["JEMX1", "JEMX2", "ISGRI"],
    ),
    "xrism_pointed": (["RESOLVE", "XTEND"], ["RESOLVE", "XTEND"]),
}

#: DAXA's ``fov`` in arcminutes: one number, or one per instrument.
FOV_ARCMIN: dict[str, float | dict[str, float]] = {
    "xmm_pointed": 15.0,
    "chandra": {"ACIS": 27.8, "HRC": 49.5},
    "nustar_pointed": 6.5,
    "erosita_calpv": 4.5 * 60,
    "erosita_all_sky_de_dr1": 1.8 * 60,
    "rosat_pointed": {"PSPCB": 60.0, "PSPCC": 60.0, "HRI": 19.0},
    "rosat_all_sky": 180.0,
    "swift": {"XRT": 11.8, "BAT": 50 * 60.0, "UVOT": 8.5},
    "suzaku": 9.5,
    "asca": {"SIS0": 11.0, "SIS1": 11.0, "GIS2": 25.0, "GIS3": 25.0},
    "integral_pointed": {
        "JEMX1": 2.4 * 60,
        "JEMX2": 2.4 * 60,
        "ISGRI": 4.15 * 60,
        "PICSIT": 4.15 * 60,
        "SPI": 7.0 * 60,
    },
    "xrism_pointed": {"RESOLVE": 1.5, "XTEND": 19.0},
}

#: DAXA columns the archives' tables do not give (so daxa's frames leave them out).
ABSENT_COLUMNS = {
    "suzaku": {f"xis{n}_num_modes" for n in range(4)},
    "xrism_pointed": {
        "xtend_mode1-2",
        "xtend_mode3-4",
        "xtend_dataclass1-2",
        "xtend_dataclass3-4",
    },
}


def reference_columns(shared: Path | None, mission: str) -> list[str] | None:
    """DAXA's ``all_obs_info`` columns recorded from its documentation notebook."""
    if shared is None:
        return None
    path = shared / "reference_rows" / f"{mission}.json"
    if not path.is_file():
        return None
    return list(json.loads(path.read_text())["columns"])


def separation_deg(
    ra1: npt.ArrayLike, dec1: npt.ArrayLike, ra2: npt.ArrayLike, dec2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle separation by the haversine formula (degrees)."""
    r1, d1, r2, d2 = (np.radians(np.asarray(x, dtype=np.float64)) for x in (ra1, dec1, ra2, dec2))
    h = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0, 1))))


def in_ra_arc(ra: npt.ArrayLike, low: float, high: float) -> npt.NDArray[np.bool_]:
    """RA inside the arc from ``low`` eastward to ``high`` (crossing 0 when low > high)."""
    values = np.asarray(ra, dtype=np.float64) % 360
    if low <= high:
        return (values >= low) & (values <= high)
    return (values >= low) | (values <= high)


def jname(ra: float, dec: float) -> str:
    """A J2000 designation ``Jhhmmss.ss+ddmmss.s`` for (ra, dec) degrees."""
    hours = ra / 15.0
    h, m = int(hours), int((hours * 60) % 60)
    s = math.floor((hours * 3600) % 60 * 100) / 100  # IAU designations truncate, never round
    sign = "+" if dec >= 0 else "-"
    a = abs(dec)
    d, dm = int(a), int((a * 60) % 60)
    ds = math.floor((a * 3600) % 60 * 10) / 10
    return f"TEST J{h:02d}{m:02d}{s:05.2f}{sign}{d:02d}{dm:02d}{ds:04.1f}"
