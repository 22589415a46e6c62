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

if TYPE_CHECKING:
    from daxa.missions import Mission

#: Column names accepted for right ascension / declination / name / time, lower-cased.
RA_NAMES = ("ra", "ra_deg", "raj2000", "ra_j2000", "ra_icrs", "alpha")
DEC_NAMES = (
    "dec",
    "dec_deg",
    "declination",
    "dej2000",
    "decj2000",
    "dec_j2000",
    "de_icrs",
    "delta",
)
NAME_NAMES = ("name", "object", "id", "target", "target_name", "source")
TIME_NAMES = ("time", "date", "discoverydate", "discovery_date", "t0", "mjd", "epoch")

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


def _pick(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    return next((lower[w] for w in wanted if w in lower), None)


def read_table_file(path: str | Path, *, what: str = "table") -> pl.DataFrame:
    """A CSV, Parquet, JSON or FITS file as a DataFrame (``what`` names it in errors)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{what} file {str(p)!r} does not exist")
    if p.is_dir():
        raise InputError(f"{what} file {str(p)!r} is a folder, not a file")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(p)
        if suffix == ".json":
            return pl.read_json(p)
        if suffix == ".ndjson":
            return pl.read_ndjson(p)
        if suffix in (".fits", ".fit", ".fts"):
            from astropy.table import Table

            from daxa.frames import astropy_table_to_polars

            return astropy_table_to_polars(Table.read(p))
        return pl.read_csv(p, infer_schema_length=10_000)
    except Exception as exc:
        raise InputError(f"cannot read {what} file {str(p)!r}: {exc}") from None


def read_positions(path: str | Path) -> pl.DataFrame:
    """A file of positions → DataFrame with ``ra``, ``dec`` (degrees), ``name`` (and ``time``).

    RA/Dec columns are found by common names (ra, RA, RAJ2000, declination, ...); they may hold
    degrees or sexagesimal strings (RA in hours). A name column and a time column are kept when
    present, so positions-at-time searches can use them.
    """
    table = read_table_file(path, what="positions")
    ra_col = _pick(table.columns, RA_NAMES)
    dec_col = _pick(table.columns, DEC_NAMES)
    if ra_col is None or dec_col is None:
        raise InputError(
            f"positions file {str(path)!r} needs RA and Dec columns (e.g. 'ra' and 'dec'); it "
            f"has: {', '.join(table.columns[:15])}"
        )
    if table.height == 0:
        raise InputError(f"positions file {str(path)!r} has no rows")
    ra, dec = _to_degrees(table[ra_col], table[dec_col], str(path))
    out = pl.DataFrame({"ra": ra, "dec": dec})
    name_col = _pick(table.columns, NAME_NAMES)
    if name_col is not None:
        out = out.with_columns(table[name_col].cast(pl.String).alias("name"))
    time_col = _pick(table.columns, TIME_NAMES)
    if time_col is not None:
        out = out.with_columns(table[time_col].alias("time"))
    return out


def _to_degrees(ra: pl.Series, dec: pl.Series, where: str) -> tuple[np.ndarray, np.ndarray]:
    if ra.dtype.is_numeric() and dec.dtype.is_numeric():
        ra_deg = ra.cast(pl.Float64).to_numpy()
        dec_deg = dec.cast(pl.Float64).to_numpy()
    else:
        from astropy import units as u
        from astropy.coordinates import SkyCoord

        try:
            coords = SkyCoord(
                ra.cast(pl.String).to_list(),
                dec.cast(pl.String).to_list(),
                unit=(u.hourangle, u.deg),
            )
        except Exception as exc:
            raise InputError(f"cannot read the coordinates in {where!r}: {exc}") from None
        ra_deg, dec_deg = coords.ra.deg, coords.dec.deg
    bad = ~np.isfinite(ra_deg) | ~np.isfinite(dec_deg) | (np.abs(dec_deg) > 90)
    if bad.any():
        rows = np.flatnonzero(bad)[:5] + 1
        raise InputError(
            f"{where!r}: {int(bad.sum())} rows have missing or impossible coordinates "
            f"(data rows {', '.join(map(str, rows))}{'...' if bad.sum() > 5 else ''})"
        )
    return np.mod(ra_deg, 360.0), dec_deg


def parse_radius(text: str) -> float:
    """A radius: a number of degrees, or a number with an angle unit (``30arcmin``, ``10'``)."""
    raw = text.strip().replace("′", "arcmin").replace("″", "arcsec")
    raw = raw.replace("'", "arcmin").replace('"', "arcsec").replace("°", "deg")
    try:
        value = float(raw)
    except ValueError:
        from astropy import units as u

        try:
            value = float(u.Quantity(raw).to_value(u.deg))
        except Exception:
            raise InputError(
                f"radius {text!r} is not an angle: give degrees (0.5) or a number with a unit "
                "(30arcmin, 90arcsec)"
            ) from None
    if not np.isfinite(value) or value < 0:
        raise InputError(f"radius {text!r} must be a finite angle >= 0")
    return value


def to_utc_datetimes(values: pl.Series, *, what: str = "time") -> pl.Series:
    """A column of times → Datetime(us, UTC): ISO strings, dates, datetimes, or MJD numbers.

    >>> to_utc_datetimes(pl.Series(["2023-07-26 08:16:47.000", "2021-01-01"])).to_list()[0]
    datetime.datetime(2023, 7, 26, 8, 16, 47, tzinfo=zoneinfo.ZoneInfo(key='UTC'))
    >>> to_utc_datetimes(pl.Series([51544.5])).dt.to_string("%Y-%m-%d %H:%M").to_list()
    ['2000-01-01 12:00']
    """
    target = pl.Datetime("us", "UTC")
    if isinstance(values.dtype, pl.Datetime):
        if values.dtype.time_zone is None:  # type: ignore[union-attr]
            return values.dt.replace_time_zone("UTC").cast(target)
        return values.dt.convert_time_zone("UTC").cast(target)
    if values.dtype == pl.Date:
        return values.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if values.dtype.is_numeric():
        mjd = values.cast(pl.Float64)
        if ((mjd < 30_000) | (mjd > 100_000)).any():
            raise InputError(
                f"the {what} column holds numbers that are not MJDs (30000-100000); give ISO "
                "dates (2023-07-26) or MJD"
            )
        us = ((mjd - 40587.0) * 86_400e6).round().cast(pl.Int64)
        return us.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    text = values.cast(pl.String).str.strip_chars().str.replace("T", " ").str.replace("Z$", "")
    parsed = pl.select(
        pl.coalesce(
            text.str.to_datetime(fmt, time_unit="us", strict=False)
            for fmt in ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
        )
    ).to_series()
    bad = parsed.is_null() & text.is_not_null()
    if bad.any():
        first = text.filter(bad).head(3).to_list()
        raise InputError(
            f"cannot read {int(bad.sum())} {what} values (e.g. {', '.join(map(repr, first))}); "
            "use ISO dates such as 2023-07-26 or 2023-07-26 08:16:47"
        )
    return parsed.dt.replace_time_zone("UTC").cast(target)


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
