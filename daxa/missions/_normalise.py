"""Building blocks shared by the mission normalisers (raw archive table → standard schema).

Each mission module reads its raw table with these helpers: :func:`prepare` (lower-case column
names, strip strings, check required columns), typed column readers (:func:`num`, :func:`text`,
:func:`flag`, :func:`obs_id`), time parsers (:func:`mjd_to_utc` for HEASARC MJDs,
:func:`iso_to_utc` for the ISO strings of XSA and the eROSITA lists), :func:`map_category` for
the target taxonomy, :func:`drop_rows` for logged row cuts, and :func:`finish`, which adds
``mission``, ``duration`` and ``_healpix_29``, drops rows without a usable position, orders the
columns and validates the result against :mod:`daxa.schema`.

Everything is vectorised over polars expressions: the 373k-row Swift table normalises in well
under a second.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import polars as pl

from daxa.errors import SchemaError
from daxa.schema import STANDARD_COLUMNS, UTC_DATETIME, validate
from daxa.sky.healpix import healpix_index
from daxa.utc import LEAP_SECOND_DAYS, MJD_UNIX_EPOCH, mjd_to_utc  # noqa: F401 (re-exported)

log = logging.getLogger("daxa.missions")


#: Dates written as ``YYYY-MM-DD``, optionally followed by ``[T ]HH:MM[:SS[.ffffff]]``, then
#: anything (``Z``, ``+00:00``) which is ignored: every archive here writes UTC.
_ISO = (
    r"^\s*(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d+))?)?)?"
)


def prepare(raw: pl.DataFrame, mission: str, required: Iterable[str]) -> pl.DataFrame:
    """Lower-case and strip the column names, strip string values, and check ``required``.

    Services differ in case (FITS lists come upper-case, the eROSITA CSVs mixed) and FITS pads
    strings with blanks (and may give bytes); normalisers work on one spelling. Raises
    :class:`~daxa.errors.SchemaError` naming every required column that is missing.

    >>> prepare(pl.DataFrame({" ObsID ": [" 1 "]}), "x", ["obsid"]).row(0)
    ('1',)
    """
    names = [c.strip().lower() for c in raw.columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SchemaError(
            f"raw {mission} table has columns that differ only in case: {', '.join(dupes)}"
        )
    df = raw.rename(dict(zip(raw.columns, names, strict=True)))
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SchemaError(
            f"raw {mission} table lacks column(s) {', '.join(map(repr, missing))} "
            f"(it has: {', '.join(df.columns)}); check the table source and its column list"
        )
    binary = [c for c, t in df.schema.items() if t == pl.Binary]
    if binary:  # FITS readers may hand over bytes
        df = df.with_columns(pl.col(binary).cast(pl.String, strict=False))
    strings = [c for c, t in df.schema.items() if t == pl.String]
    return df.with_columns(pl.col(strings).str.strip_chars()) if strings else df


def num(name: str, df: pl.DataFrame | None = None) -> pl.Expr:
    """Column ``name`` as Float64; unparsable strings and NaN become null.

    With ``df`` given, a column that does not exist becomes an all-null Float64 column.
    """
    if df is not None and name not in df.columns:
        return pl.lit(None, dtype=pl.Float64)
    return pl.col(name).cast(pl.Float64, strict=False).fill_nan(None)


def text(name: str, df: pl.DataFrame | None = None) -> pl.Expr:
    """Column ``name`` as a stripped String with empty strings as null.

    With ``df`` given, a column that does not exist becomes an all-null String column.
    """
    if df is not None and name not in df.columns:
        return pl.lit(None, dtype=pl.String)
    s = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(s.str.len_chars() > 0).then(s)


def flag(name: str, df: pl.DataFrame) -> pl.Expr:
    """Column ``name`` as Boolean, whatever the service sent.

    Booleans pass; numbers are true when non-zero; strings are true for
    ``true/t/yes/y/1`` (any case) and false for ``false/f/no/n/0``; anything else is null.
    """
    dtype = df.schema[name]
    if dtype == pl.Boolean:
        return pl.col(name)
    if dtype.is_numeric():
        return pl.col(name).cast(pl.Float64) != 0
    s = pl.col(name).cast(pl.String).str.strip_chars().str.to_lowercase()
    return (
        pl.when(s.is_in(["true", "t", "yes", "y", "1"]))
        .then(True)
        .when(s.is_in(["false", "f", "no", "n", "0"]))
        .then(False)
        .otherwise(None)
    )


def obs_id(name: str, df: pl.DataFrame, width: int | None = None, upper: bool = False) -> pl.Expr:
    """ObsIDs as strings, zero-padded to ``width`` digits.

    Archives that type their ObsID as an integer (Chandra, ASCA) or CSV readers that infer
    integers (``001180`` → 1180) lose leading zeros; padding restores them. Floats from a
    lossy reader are cast to integers first.
    """
    dtype = df.schema[name]
    col = pl.col(name)
    if dtype.is_float():
        col = col.cast(pl.Int64, strict=False)
    s = col.cast(pl.String).str.strip_chars()
    if width is not None:
        s = s.str.zfill(width)
    return s.str.to_uppercase() if upper else s


def iso_to_utc(name: str, df: pl.DataFrame) -> pl.Expr:
    """An ISO-8601-like UTC time column → ``Datetime(us, UTC)``.

    Accepts ``T`` or a blank between date and time, optional seconds and fractions, a date
    alone, and a trailing ``Z``; unparsable values become null. A seconds field of 60 (the
    eRASS1 list writes ``2020-03-25T16:40:60``) is read as the next minute. Datetime and Date
    columns pass through (naive values are taken as UTC).
    """
    dtype = df.schema[name]
    if isinstance(dtype, pl.Datetime):
        col = pl.col(name).cast(pl.Datetime("us", dtype.time_zone))
        if dtype.time_zone is None:
            return col.dt.replace_time_zone("UTC")
        return col.dt.convert_time_zone("UTC")
    if dtype == pl.Date:
        return pl.col(name).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    g = pl.col(name).cast(pl.String).str.extract_groups(_ISO)

    def part(field: str) -> pl.Expr:
        return g.struct.field(field).cast(pl.Int64, strict=False)

    day = pl.datetime(part("y"), part("mo"), part("d"), time_unit="us", time_zone="UTC")
    micro = g.struct.field("f").str.pad_end(6, "0").str.slice(0, 6).cast(pl.Int64, strict=False)
    offset = pl.duration(
        hours=part("h").fill_null(0),
        minutes=part("mi").fill_null(0),
        seconds=part("s").fill_null(0),
        microseconds=micro.fill_null(0),
        time_unit="us",
    )
    return day + offset


def map_category(expr: pl.Expr, mapping: Mapping[str, str], default: str = "MISC") -> pl.Expr:
    """Archive category strings → taxonomy codes (DESIGN §6), case- and blank-insensitive.

    Unknown strings and nulls map to ``default`` (MISC) so a new archive category never
    breaks a fetch.

    >>> pl.select(map_category(pl.lit("agn "), {"AGN": "AGN"})).item()
    'AGN'
    """
    upper = {k.strip().upper(): v for k, v in mapping.items()}
    key = expr.cast(pl.String).str.strip_chars().str.to_uppercase()
    return key.replace_strict(upper, default=default, return_dtype=pl.String)


def drop_rows(df: pl.DataFrame, drop: pl.Expr, mission: str, reason: str) -> pl.DataFrame:
    """Remove rows where ``drop`` is true (null counts as keep) and log how many went."""
    mask = df.select(drop.fill_null(False).alias("_drop")).to_series()
    n = int(mask.sum())
    if n:
        log.info("%s: dropped %d of %d rows (%s)", mission, n, df.height, reason)
        df = df.filter(~mask)
    return df


def keep_values(
    df: pl.DataFrame, column: str, allowed: Iterable[str], mission: str
) -> pl.DataFrame:
    """Keep rows whose ``column`` is one of ``allowed`` (any case); drop the rest, nulls too.

    Logs how many rows went and which values they had.
    """
    allowed = tuple(allowed)
    allowed_upper = [a.upper() for a in allowed]
    value = pl.col(column).cast(pl.String).str.strip_chars().str.to_uppercase()
    drop = ~value.is_in(allowed_upper).fill_null(False)
    if df.height:
        gone = df.filter(drop).get_column(column).cast(pl.String).unique().sort(nulls_last=True)
        shown = ", ".join("null" if g is None else g for g in gone.head(10).to_list())
        reason = f"{column} not {'/'.join(allowed)}: {shown}"
    else:
        reason = ""
    return drop_rows(df, drop, mission, reason)


def resolve_now(now: datetime | None) -> datetime:
    """``now`` as an aware UTC datetime (naive means UTC; None means the current time)."""
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def public_by(proprietary_end: pl.Expr, now: datetime) -> pl.Expr:
    """True where the proprietary period ended at or before ``now`` (unknown end: False)."""
    return (proprietary_end <= pl.lit(now, dtype=UTC_DATETIME)).fill_null(False)


def largest(columns: Sequence[str]) -> pl.Expr:
    """The largest of several exposure columns, ignoring nulls (null when all are null)."""
    return pl.max_horizontal([pl.col(c) for c in columns])


def with_best_exposure(df: pl.DataFrame, exposures: Sequence[str]) -> pl.DataFrame:
    """``df`` with ``exposure`` (the largest of ``exposures``) and ``science_usable`` (any of
    them above 0; all null or 0 is not usable)."""
    return df.with_columns(
        largest(exposures).alias("exposure"),
        pl.any_horizontal([pl.col(c) > 0 for c in exposures])
        .fill_null(False)
        .alias("science_usable"),
    )


def finish(
    df: pl.DataFrame,
    mission: str,
    *,
    exposures: Sequence[str] = (),
    extras: Sequence[str] = (),
    drop_zero_positions: bool = False,
) -> pl.DataFrame:
    """Complete a normalised table: positions, derived columns, column order, validation.

    ``df`` holds (some of) the standard columns computed by the mission normaliser; missing
    optional ones (``target_name``, ``instrument``, ...) become typed nulls. Rows whose
    position is null, NaN or outside the sphere cannot be placed on the sky and are dropped
    (logged), as are rows at exactly (0, 0) when ``drop_zero_positions`` (XMM's placeholder).
    ``ra`` is wrapped into [0, 360). ``duration`` is ``end - start``. Then come the
    ``exposures`` (``exposure_<inst>``, Float64) and ``extras`` in the order given.
    """
    ra, dec = pl.col("ra").cast(pl.Float64), pl.col("dec").cast(pl.Float64)
    df = df.with_columns(ra.fill_nan(None).alias("ra"), dec.fill_nan(None).alias("dec"))
    df = drop_rows(
        df,
        pl.col("ra").is_null() | pl.col("dec").is_null() | (pl.col("dec").abs() > 90),
        mission,
        "no usable RA/Dec",
    )
    if drop_zero_positions:
        df = drop_rows(
            df, (pl.col("ra") == 0) & (pl.col("dec") == 0), mission, "placeholder position (0, 0)"
        )
    df = df.with_columns(pl.col("ra") % 360.0)
    hpx = healpix_index(df["ra"].to_numpy(), df["dec"].to_numpy()) if df.height else np.array([])
    df = df.with_columns(
        pl.lit(mission).alias("mission"),
        pl.Series("_healpix_29", np.asarray(hpx, dtype=np.int64), dtype=pl.Int64),
    )
    df = df.with_columns(
        (pl.col("end") - pl.col("start")).alias("duration")
        if "start" in df.columns and "end" in df.columns
        else pl.lit(None, dtype=pl.Duration("us")).alias("duration")
    )
    columns: list[pl.Expr] = []
    for name, dtype in STANDARD_COLUMNS.items():
        if name in df.columns:
            columns.append(pl.col(name).cast(dtype))
        else:
            columns.append(pl.lit(None, dtype=dtype).alias(name))
    columns += [pl.col(c).cast(pl.Float64) for c in exposures]
    columns += [pl.col(c) for c in extras]
    out = df.select(columns).with_columns(
        pl.col("science_usable").fill_null(False), pl.col("public").fill_null(False)
    )
    return validate(out, mission=mission, exposure_columns=exposures)
