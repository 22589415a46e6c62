"""Standard tables as DAXA's ``all_obs_info`` pandas frames: DAXA's column names and order.

DAXA users index these frames by DAXA's names (``ObsID``, ``proprietary_usable``,
``xrt_exposure``...), compare ``start``/``end`` with naive datetimes and call
``.total_seconds()`` on durations and exposures, so the frames keep those conventions: times are
naive UTC, durations and per-instrument exposures are timedeltas (CalPV's ``duration`` is float
seconds, as in DAXA), and lists (``active_insts``, ``neigh_obs``) are comma-joined strings.
Columns DAXA has but the archives' tables do not give us (Suzaku's ``xis*_num_modes``, XRISM's
Xtend modes and data classes) are left out rather than invented.

>>> import polars as pl
>>> from datetime import datetime, UTC
>>> t = pl.DataFrame({"ra": [1.0], "dec": [2.0], "obs_id": ["00012345001"],
...                   "science_usable": [True], "start": [datetime(2020, 1, 1, tzinfo=UTC)],
...                   "end": [datetime(2020, 1, 2, tzinfo=UTC)], "target_category": ["AGN"],
...                   "exposure_xrt": [90.5], "exposure_bat": [0.0], "exposure_uvot": [1.0],
...                   "roll_angle": [3.0]}).with_columns(duration=pl.col("end") - pl.col("start"))
>>> frame = daxa_frame(t, "swift")
>>> list(frame.columns)[:4], frame.loc[0, "xrt_exposure"].total_seconds()
(['ra', 'dec', 'ObsID', 'science_usable'], 90.5)
"""

from __future__ import annotations

from typing import Any, Literal

import polars as pl

Kind = Literal["value", "time", "timedelta", "seconds", "joined"]

#: DAXA column → (standard column, conversion). ``timedelta`` turns float seconds into a
#: duration, ``seconds`` a duration into float seconds, ``time`` drops the UTC zone.
SOURCES: dict[str, tuple[str, Kind]] = {
    "ra": ("ra", "value"),
    "dec": ("dec", "value"),
    "ObsID": ("obs_id", "value"),
    "science_usable": ("science_usable", "value"),
    "proprietary_usable": ("public", "value"),
    "start": ("start", "time"),
    "end": ("end", "time"),
    "duration": ("duration", "value"),
    "proprietary_end_date": ("proprietary_end", "time"),
    "target_category": ("target_category", "value"),
    "target_name": ("target_name", "value"),
    "instrument": ("instrument", "value"),
    "revolution": ("revolution", "value"),
    "grating": ("grating", "value"),
    "data_mode": ("data_mode", "value"),
    "exposure": ("exposure", "timedelta"),
    "exposure_a": ("exposure_fpma", "timedelta"),
    "exposure_b": ("exposure_fpmb", "timedelta"),
    "ontime_a": ("ontime_a", "timedelta"),
    "ontime_b": ("ontime_b", "timedelta"),
    "nupsdout": ("nupsdout", "value"),
    "issue_flag": ("issue_flag", "value"),
    "with_filter": ("filter", "value"),
    "proc_rev": ("proc_rev", "value"),
    "fits_type": ("fits_type", "value"),
    "Field_Name": ("field_name", "value"),
    "Field_Type": ("field_type", "value"),
    "active_insts": ("active_insts", "joined"),
    "ra_min": ("ra_min", "value"),
    "ra_max": ("ra_max", "value"),
    "dec_min": ("dec_min", "value"),
    "dec_max": ("dec_max", "value"),
    "neigh_obs": ("neighbours", "joined"),
    "roll_angle": ("roll_angle", "value"),
    "scw_ver": ("scw_ver", "value"),
    "resolve_mode": ("rsl_datamode", "value"),
    **{f"{i}_exposure": (f"exposure_{i}", "timedelta") for i in ("xrt", "bat", "uvot")},
    **{f"xis{n}_expo": (f"exposure_xis{n}", "timedelta") for n in range(4)},
    **{f"{i}_exposure": (f"exposure_{i}", "timedelta") for i in ("sis", "gis", "xtend")},
    **{
        f"{i}_exposure": (f"exposure_{i}", "timedelta")
        for i in ("jemx1", "jemx2", "isgri", "picsit", "spi")
    },
}

_TIMES = ("start", "end", "duration")

#: DAXA's ``all_obs_info`` columns per mission, in DAXA's order (DAXA v0.3.5).
COLUMNS: dict[str, tuple[str, ...]] = {
    "xmm_pointed": (
        "ra", "dec", "ObsID", "start", "science_usable", "duration", "proprietary_end_date",
        "revolution", "proprietary_usable", "end",
    ),
    "chandra": (
        "ra", "dec", "ObsID", "science_usable", "proprietary_usable", *_TIMES,
        "proprietary_end_date", "target_category", "instrument", "grating", "data_mode",
    ),
    "nustar_pointed": (
        "ra", "dec", "ObsID", "science_usable", "proprietary_usable", *_TIMES,
        "proprietary_end_date", "target_category", "exposure_a", "exposure_b", "ontime_a",
        "ontime_b", "nupsdout", "issue_flag", "target_name",
    ),
    "erosita_calpv": (
        "ra", "dec", "ObsID", "science_usable", *_TIMES, "Field_Name", "Field_Type",
        "active_insts",
    ),
    "erosita_all_sky_de_dr1": (
        "ra", "dec", "ObsID", "science_usable", *_TIMES, "ra_min", "ra_max", "dec_min",
        "dec_max", "neigh_obs",
    ),
    "rosat_pointed": (
        "ra", "dec", "ObsID", "science_usable", *_TIMES, "instrument", "with_filter",
        "target_category", "target_name", "proc_rev", "fits_type",
    ),
    "rosat_all_sky": ("ra", "dec", "ObsID", "science_usable", *_TIMES, "target_category"),
    "swift": (
        "ra", "dec", "ObsID", "science_usable", *_TIMES, "target_category", "xrt_exposure",
        "bat_exposure", "uvot_exposure", "roll_angle",
    ),
    "suzaku": (
        "ra", "dec", "ObsID", "science_usable", *_TIMES, "target_category",
        "xis0_expo", "xis1_expo", "xis2_expo", "xis3_expo",
    ),
    "asca": (
        "ra", "dec", "ObsID", "science_usable", *_TIMES, "target_category", "sis_exposure",
        "gis_exposure",
    ),
    "integral_pointed": (
        "ra", "dec", "ObsID", "science_usable", "proprietary_usable", *_TIMES,
        "target_category", "jemx1_exposure", "jemx2_exposure", "isgri_exposure",
        "picsit_exposure", "spi_exposure", "scw_ver",
    ),
    "xrism_pointed": (
        "ra", "dec", "ObsID", "science_usable", "proprietary_usable", *_TIMES,
        "target_category", "exposure", "xtend_exposure", "resolve_mode",
    ),
}  # fmt: skip

#: Where DAXA's type differs from the one ``SOURCES`` gives.
OVERRIDES: dict[str, dict[str, tuple[str, Kind]]] = {
    "erosita_calpv": {"duration": ("duration", "seconds")},
}


def _expression(name: str, source: str, kind: Kind) -> pl.Expr:
    column = pl.col(source)
    if kind == "time":
        expr = column.dt.replace_time_zone(None)
    elif kind == "timedelta":
        expr = pl.duration(microseconds=(column * 1e6).round().cast(pl.Int64))
    elif kind == "seconds":
        expr = column.dt.total_microseconds() / 1e6
    elif kind == "joined":
        expr = column.list.join(",")
    else:
        expr = column
    return expr.alias(name)


def daxa_columns(mission: str, table: pl.DataFrame) -> list[tuple[str, str, Kind]]:
    """(DAXA name, standard column, conversion) of ``mission``'s DAXA columns ``table`` has."""
    overrides = OVERRIDES.get(mission, {})
    out = []
    for name in COLUMNS[mission]:
        source, kind = overrides.get(name, SOURCES[name])
        if source in table.columns:
            out.append((name, source, kind))
    return out


def daxa_frame(table: pl.DataFrame, mission: str) -> Any:
    """``table`` (standard schema) as a pandas frame with DAXA's columns for ``mission``."""
    exprs = [_expression(*entry) for entry in daxa_columns(mission, table)]
    return table.select(exprs).to_pandas()
