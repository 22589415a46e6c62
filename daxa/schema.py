"""The standard observation schema every mission table is normalised to (DESIGN §2).

One row per observation; lower-case snake-case columns. Besides the columns below, a table may
carry ``exposure_<instrument>`` columns (Float64 seconds) and mission-specific lower-case extras.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

from daxa.errors import SchemaError

#: Bumped whenever a column is added, removed or changes meaning; caches of an older version
#: are refused with a message saying how to refresh.
SCHEMA_VERSION = 1

UTC_DATETIME = pl.Datetime("us", "UTC")

#: Required columns and their types, in the order tables are written.
STANDARD_COLUMNS: dict[str, pl.DataType] = {
    "mission": pl.String(),
    "obs_id": pl.String(),
    "ra": pl.Float64(),
    "dec": pl.Float64(),
    "start": UTC_DATETIME,
    "end": UTC_DATETIME,
    "duration": pl.Duration("us"),
    "exposure": pl.Float64(),
    "science_usable": pl.Boolean(),
    "proprietary_end": UTC_DATETIME,
    "public": pl.Boolean(),
    "target_category": pl.String(),
    "target_name": pl.String(),
    "instrument": pl.String(),
    "_healpix_29": pl.Int64(),
}

#: Columns that must never hold nulls.
NON_NULL_COLUMNS = ("mission", "obs_id", "ra", "dec", "science_usable", "public", "_healpix_29")

#: Optional column: the row's position in the archive's answer (the cache is HEALPix-sorted).
ARCHIVE_ROW = "_archive_row"

_EXTRA_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def validate(
    table: pl.DataFrame, *, mission: str | None = None, exposure_columns: Iterable[str] = ()
) -> pl.DataFrame:
    """Check ``table`` against the standard schema and return it unchanged.

    ``mission`` names the table in the error; ``exposure_columns`` are its per-instrument
    exposure columns (``Mission.exposure_columns``), which must be Float64 seconds. The caller
    passes them, so this bottom layer never looks a mission up. Raises :class:`~daxa.errors.SchemaError` naming every missing column, every column of the
    wrong type, and null values where none are allowed.

    >>> validate(empty_table()).height
    0
    """
    where = f" of mission {mission!r}" if mission else ""
    problems: list[str] = []
    for name, dtype in STANDARD_COLUMNS.items():
        if name not in table.columns:
            problems.append(f"missing column {name!r}")
        elif table.schema[name] != dtype:
            problems.append(f"column {name!r} is {table.schema[name]}, expected {dtype}")
    for name in table.columns:
        if name in STANDARD_COLUMNS:
            continue
        if not _EXTRA_NAME.match(name):
            problems.append(f"extra column {name!r} is not lower-case snake case")
    for name in exposure_columns:
        if name in table.columns and table.schema[name] != pl.Float64():
            problems.append(f"column {name!r} is {table.schema[name]}, expected Float64 seconds")
    if not problems:
        nulls = table.select(pl.col(c).null_count() for c in NON_NULL_COLUMNS).row(0)
        problems += [
            f"column {c!r} has {n} null values"
            for c, n in zip(NON_NULL_COLUMNS, nulls, strict=True)
            if n
        ]
    if problems:
        raise SchemaError(f"table{where} does not match the daxa schema: " + "; ".join(problems))
    return table


def empty_table() -> pl.DataFrame:
    """A zero-row table with exactly the standard columns."""
    return pl.DataFrame(schema=STANDARD_COLUMNS)
