"""Reading what users type on the command line: coordinates, position files, times.

Each parser raises :class:`~daxa.errors.InputError` naming the offending text, so the CLI can
print it as one line.

>>> parse_coordinate("83.633 22.0145")
(83.633, 22.0145)
>>> parse_coordinate("05:34:31.9, +22:00:52")
(83.63291..., 22.01444...)
>>> parse_coordinate("12h30m49.4s +12d23m28s")
(187.70583..., 12.39111...)
>>> parse_radius("30arcmin"), parse_radius("0.25"), parse_radius("90 arcsec")
(0.5, 0.25, 0.025)
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.inputs.columns import NAMES
from daxa.inputs.times import utc_series

if TYPE_CHECKING:
    from daxa.missions import Mission

#: Column names accepted for right ascension / declination / name / time, lower-cased (the
#: input layer's lists: UCDs and units are looked at too).
RA_NAMES = NAMES["ra"]
DEC_NAMES = NAMES["dec"]
NAME_NAMES = NAMES["id"]
TIME_NAMES = NAMES["time"]

_SPLIT = re.compile(r"[\s,]+")


def parse_coordinate(text: str) -> tuple[float, float]:
    """``"RA DEC"`` in degrees or sexagesimal (RA in hours) → (ra, dec) in degrees.

    Decimal pairs are degrees; colon- or space-separated sexagesimal takes RA in hours and Dec
    in degrees; explicit units (``12h30m``, ``12d30m``) are honoured.
    """
    raw = text.strip()
    parts = [p for p in _SPLIT.split(raw) if p]
    decimal: tuple[float, float] | None = None
    if len(parts) == 2:
        try:
            decimal = float(parts[0]), float(parts[1])
        except ValueError:
            decimal = None
    if decimal is not None:
        return _checked(*decimal, text)
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    try:
        coord = SkyCoord(raw.replace(",", " "), unit=(u.hourangle, u.deg), frame="icrs")
    except Exception:
        raise InputError(
            f"cannot read coordinates {text!r}: give 'RA DEC' in degrees (e.g. '83.63 22.01') "
            "or sexagesimal with RA in hours (e.g. '05:34:31.9 +22:00:52')"
        ) from None
    return _checked(float(coord.ra.deg), float(coord.dec.deg), text)


def _checked(ra: float, dec: float, text: str) -> tuple[float, float]:
    if not (np.isfinite(ra) and np.isfinite(dec)) or not (0 <= ra < 360 or -360 < ra < 720):
        raise InputError(f"coordinates {text!r}: RA must be a finite angle in degrees")
    if not -90 <= dec <= 90:
        raise InputError(f"coordinates {text!r}: Dec {dec:g} is outside -90..90 degrees")
    return ra % 360.0, dec


def read_table_file(path: str | Path, *, what: str = "table") -> pl.DataFrame:
    """A table file of any kind :func:`daxa.inputs.read_table` reads, as a DataFrame."""
    from daxa.inputs import read_table

    return read_table(path, what=what).frame


def read_positions(path: str | Path) -> pl.DataFrame:
    """A file of positions → DataFrame with ``ra``, ``dec`` (degrees), ``name`` (and ``time``).

    Read by the input layer (:func:`daxa.inputs.read_positions`): RA/Dec columns found by UCD
    or name (ra, RA, RAJ2000, declination, ...), degrees or sexagesimal text (RA in hours). A
    name column and a time column (as it is; see :func:`to_utc_datetimes`) are kept, so
    positions-at-time searches can use them.
    """
    from daxa.inputs import find_column
    from daxa.inputs import read_positions as read

    given = read(path, what="positions")
    out = pl.DataFrame({"ra": given.ra, "dec": given.dec})
    frame = given.table.frame
    if given.id_column is not None:
        out = out.with_columns(frame[given.id_column].cast(pl.String).alias("name"))
    time_col = find_column(
        frame.columns, "time", ucds=given.table.ucds, required=False, label=given.table.label
    )
    if time_col is not None:
        out = out.with_columns(frame[time_col].alias("time"))
    return out


def parse_radius(text: str) -> float:
    """A radius: a number of degrees, or a number with an angle unit (``30arcmin``, ``10'``)."""
    from daxa.inputs import angle_deg

    return angle_deg(text, what="radius")


def to_utc_datetimes(
    values: pl.Series, *, what: str = "time", time_format: str | None = None
) -> pl.Series:
    """A column of times → Datetime(us, UTC) (see :func:`daxa.inputs.utc_series`).

    >>> to_utc_datetimes(pl.Series(["2023-07-26 08:16:47.000", "2021-01-01"])).to_list()[0]
    datetime.datetime(2023, 7, 26, 8, 16, 47, tzinfo=zoneinfo.ZoneInfo(key='UTC'))
    >>> to_utc_datetimes(pl.Series("mjd", [51544.5])).dt.to_string("%Y-%m-%d %H:%M").to_list()
    ['2000-01-01 12:00']
    """
    return utc_series(values, what=f"{what} column", time_format=time_format)


def add_mission_arguments(parser: argparse.ArgumentParser) -> None:
    """MISSION... positionally and ``--missions M[,M...]`` (both end up in :func:`chosen_missions`)."""
    parser.add_argument("missions", nargs="*", metavar="MISSION", help="mission names, or 'all'")
    parser.add_argument(
        "--missions",
        dest="mission_list",
        action="append",
        default=[],
        metavar="M[,M...]",
        help="missions, as an option (same as MISSION)",
    )


def chosen_missions(args: argparse.Namespace, *, fetches: bool) -> tuple[list[Mission], bool]:
    """The missions to use and whether the user named them (vs. defaulting to the cache).

    ``fetches``: the command fetches named missions that are not cached (the error says so).
    """
    from daxa.missions import resolve_missions

    names = [*args.missions, *split_list(args.mission_list)]
    if names:
        return resolve_missions(" ".join(names)), not (len(names) == 1 and names[0] == "all")
    from daxa.cache import cached_missions
    from daxa.config import cache_dir

    cached = cached_missions()
    if not cached:
        how = " to fetch them, or" if fetches else " or"
        raise InputError(
            f"no missions are cached in {cache_dir()}; name missions (or 'all'){how} run "
            "`daxa fetch all` first"
        )
    return resolve_missions(cached), False


def split_list(values: list[str] | str | None) -> list[str]:
    """Comma-separated and/or repeated option values as one flat list.

    >>> split_list(["AGN,GCL", " SNR "])
    ['AGN', 'GCL', 'SNR']
    """
    if not values:
        return []
    items = [values] if isinstance(values, str) else values
    return [v.strip() for item in items for v in item.split(",") if v.strip()]


def parse_instruments(items: list[str], missions: list[str]) -> dict[str, list[str]]:
    """``--instruments`` values (``MISSION=INST,INST`` or, for one mission, ``INST,INST``).

    >>> parse_instruments(["swift=XRT", "chandra=ACIS"], ["swift", "chandra"])
    {'swift': ['XRT'], 'chandra': ['ACIS']}
    >>> parse_instruments(["XRT,UVOT"], ["swift"])
    {'swift': ['XRT', 'UVOT']}
    """
    from daxa.missions import get_mission, normalise_instruments

    chosen: dict[str, list[str]] = {}
    for item in items:
        mission, sep, insts = item.partition("=")
        if sep:
            name = get_mission(mission).name
        elif len(missions) == 1:
            name, insts = missions[0], item
        else:
            raise InputError(
                f"--instruments {item!r}: with several missions say which one, e.g. "
                f"--instruments {missions[0] if missions else 'swift'}={item}"
            )
        chosen[name] = list(normalise_instruments(name, split_list(insts)))
    return chosen
