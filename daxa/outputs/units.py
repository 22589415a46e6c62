"""One table of what each result column means: its unit, its UCD and a one-line description.

Every writer (FITS, VOTable, Parquet, CSV) and :func:`~daxa.outputs.to_astropy` read units from
here, so a column has the same unit in every output. The rule for units:

- values are stored in the column's unit below: angles in degrees, exposures and durations in
  **seconds**, times as UTC instants;
- formats with column metadata (FITS ``TUNIT``, VOTable ``unit``/``ucd``, Parquet field
  metadata, astropy tables) keep the schema's names and state the unit there;
- text formats without metadata (CSV, JSON) append the unit to the name (``ra_deg``,
  ``exposure_s``), unless the name already ends with it (``separation_deg``), and write
  times as ISO-8601 UTC strings ending in ``Z``.

>>> column_info("exposure_xrt").unit, column_info("exposure_ks").unit, column_info("ra").ucd
('s', 'ks', 'pos.eq.ra;meta.main')
>>> text_name("exposure"), text_name("separation_deg"), text_name("obs_id")
('exposure_s', 'separation_deg', 'obs_id')
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ColumnInfo:
    """What a column holds: ``unit`` (astropy/VOUnit string or None), ``ucd``, ``description``."""

    unit: str | None
    ucd: str | None
    description: str


_I = ColumnInfo

#: The standard observation schema (daxa.schema), search/match results and coverage summaries.
COLUMNS: dict[str, ColumnInfo] = {
    # the standard observation schema
    "mission": _I(None, "meta.id;instr.obsty", "daxa mission name"),
    "obs_id": _I(None, "meta.id;obs", "observation identifier in the mission's archive"),
    "ra": _I("deg", "pos.eq.ra;meta.main", "pointing right ascension (ICRS)"),
    "dec": _I("deg", "pos.eq.dec;meta.main", "pointing declination (ICRS)"),
    "start": _I(None, "time.start;obs", "observation start (UTC)"),
    "end": _I(None, "time.end;obs", "observation end (UTC)"),
    "duration": _I("s", "time.duration;obs", "end minus start"),
    "exposure": _I("s", "time.duration;obs.exposure", "exposure time (null when unknown)"),
    "science_usable": _I(None, "meta.code.qual", "whether the observation is usable for science"),
    "proprietary_end": _I(None, "time.release", "end of the proprietary period (UTC)"),
    "public": _I(None, "meta.code", "whether the data are public now"),
    "target_category": _I(None, "src.class", "target category"),
    "target_name": _I(None, "meta.id;src", "target name given by the observer"),
    "instrument": _I(None, "meta.id;instr", "instrument"),
    "_healpix_29": _I(None, "pos.healpix", "HEALPix nested index of (ra, dec) at order 29"),
    # search / match results
    "pos_index": _I(None, "meta.id;meta.number", "row number of the position in the input"),
    "row_id": _I(None, "meta.id", "the input row's identifier"),
    "name": _I(None, "meta.id", "the name the position was resolved from"),
    "pos_ra": _I("deg", "pos.eq.ra", "right ascension of the input position (ICRS)"),
    "pos_dec": _I("deg", "pos.eq.dec", "declination of the input position (ICRS)"),
    "separation_deg": _I("deg", "pos.angDistance", "position to pointing separation"),
    "instruments": _I(None, "meta.id;instr", "chosen instruments that observed and reach it"),
    "time_overlap": _I(None, "meta.code", "whether the observation overlaps the time window"),
    "s_region": _I(
        None,
        "pos.outline;obs.field",
        "the observation's field of view as an STC-S polygon or circle (frame named in it)",
    ),
    "left_index": _I(None, "meta.id;meta.number", "row number in the left catalogue"),
    "right_index": _I(None, "meta.id;meta.number", "row number in the right catalogue"),
    # coverage summaries
    "n_obs": _I(None, "meta.number;obs", "observations covering the position"),
    "first_start": _I(None, "time.start;obs", "earliest start of the covering observations"),
    "last_end": _I(None, "time.end;obs", "latest end of the covering observations"),
}

#: Names of which the last part states the unit (``separation_deg``, ``radius_arcmin``).
_UNIT_SUFFIXES = {"deg": "deg", "arcmin": "arcmin", "arcsec": "arcsec", "s": "s", "ks": "ks"}
_PATTERNS: tuple[tuple[re.Pattern[str], ColumnInfo], ...] = (
    (
        re.compile(r"^exposure_[a-z0-9]+$"),
        _I("s", "time.duration;obs.exposure", "exposure time of one instrument"),
    ),
    (re.compile(r"^(ra|dec)_(min|max)$"), _I("deg", "pos.eq", "edge of the field (ICRS)")),
    (re.compile(r"^ontime_[a-z0-9]+$"), _I("s", "time.duration", "on-source time")),
    (re.compile(r"^roll_angle$"), _I("deg", "pos.posAng", "spacecraft roll angle")),
)


def column_info(name: str) -> ColumnInfo | None:
    """What column ``name`` holds, or None for a column daxa knows nothing about."""
    if name in COLUMNS:
        return COLUMNS[name]
    _, sep, tail = name.rpartition("_")
    suffix_unit = _UNIT_SUFFIXES.get(tail) if sep else None
    for pattern, info in _PATTERNS:
        if pattern.match(name):
            # exposure_ks (an SQL answer) is in ks whatever the exposure_<instrument> rule says
            return info if suffix_unit in (None, info.unit) else _I(suffix_unit, info.ucd, "")
    if suffix_unit is not None:
        return _I(suffix_unit, None, "")
    return None


def column_unit(name: str) -> str | None:
    """The unit of column ``name`` (None when it has none or is unknown)."""
    info = column_info(name)
    return info.unit if info is not None else None


def text_name(name: str, unit: str | None = None) -> str:
    """The name of column ``name`` in a format without column metadata: the unit appended."""
    unit = unit if unit is not None else column_unit(name)
    if unit is None or name.endswith(f"_{unit}"):
        return name
    return f"{name}_{unit}"
