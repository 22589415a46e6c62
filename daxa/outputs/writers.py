"""Writing result tables to files: the suffix picks the format, every write is atomic.

FITS and VOTable go through astropy with each column's unit, UCD and description (from
:mod:`daxa.outputs.units`), times as MJD (UTC) doubles marked as times (FITS ``TCTYPn``,
``TIMESYS``, ``MJDREF``, ``TIMEUNIT``; VOTable ``TIMESYS``) and positions as ICRS (FITS
``RADESYS``, VOTable ``COOSYS``); unknown values are NaN or masked. Parquet keeps the types
(times as UTC timestamps) and stores unit, UCD and description in each field's metadata.
CSV and JSON, which have no column metadata, put the unit in the name and write times as
ISO-8601 UTC (``2020-01-01T12:00:00.000000Z``, which astropy ``Time`` parses).

>>> import polars as pl, tempfile, pathlib
>>> from astropy.table import QTable
>>> frame = pl.DataFrame({"obs_id": ["a", "b"], "exposure": [1500.0, None]})
>>> path = write_table(frame, pathlib.Path(tempfile.mkdtemp()) / "obs.fits")
>>> t = QTable.read(path, astropy_native=True)
>>> str(t["exposure"].unit), t["exposure"].info.meta["ucd"]
('s', 'time.duration;obs.exposure')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import polars as pl

from daxa.atomic import atomic_path
from daxa.errors import InputError
from daxa.outputs.astropy_table import (
    as_frame,
    check_frame,
    file_table,
    flatten,
    radesys_keywords,
)
from daxa.outputs.units import column_info, text_name

#: File suffixes and the format each writes.
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".fits": "fits",
    ".fit": "fits",
    ".fts": "fits",
    ".vot": "votable",
    ".votable": "votable",
    ".xml": "votable",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}

#: Time format of CSV and JSON: ISO-8601, UTC, microseconds.
ISO_UTC = "%Y-%m-%dT%H:%M:%S%.6fZ"

#: VOTable ids of the coordinate and time systems the fields refer to.
COOSYS_ID = "icrs"
TIMESYS_ID = "utc"
_POSITION_COLUMNS = ("ra", "dec", "pos_ra", "pos_dec")


def format_of(path: str | os.PathLike[str], format: str | None = None) -> str:
    """The format to write ``path`` in: ``format`` if given, else from its suffix."""
    if format is not None:
        if format not in set(FORMATS.values()):
            raise InputError(
                f"unknown output format {format!r}; use one of "
                + ", ".join(sorted(set(FORMATS.values())))
            )
        return format
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"cannot write {str(path)!r}: unknown file type {suffix or '(none)'!r}; use one of "
            + ", ".join(FORMATS)
        )
    return FORMATS[suffix]


def text_frame(result: Any) -> pl.DataFrame:
    """``result`` as CSV/JSON write it: units in the names, times ISO-8601 UTC strings."""
    original = as_frame(result)
    frame = flatten(original)
    units = {c: "s" if isinstance(t, pl.Duration) else None for c, t in original.schema.items()}
    renamed = {c: text_name(c, units.get(c)) for c in frame.columns}
    return frame.with_columns(
        pl.col(c).dt.strftime(ISO_UTC)
        for c, t in frame.schema.items()
        if isinstance(t, pl.Datetime)
    ).rename(renamed)


def write_table(
    result: Any,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    frame: str | None = None,
) -> Path:
    """Write ``result`` (a frame, a Selection, an astropy table...) to ``path`` atomically.

    The format comes from the suffix (``.csv .fits .vot/.xml .parquet .json .ndjson``) or
    ``format``. ``frame``: the positions' frame, ``icrs`` (default) or ``fk5`` (J2000; a
    Selection's default is its mission's). Returns the path written.
    """
    path = Path(path)
    fmt = format_of(path, format)
    spec = getattr(result, "spec", None)
    sky = check_frame(frame or getattr(spec, "frame", None) or "icrs")
    data = as_frame(result)
    writer = {
        "csv": _write_csv,
        "json": _write_json,
        "ndjson": _write_json,
        "parquet": _write_parquet,
        "fits": _write_fits,
        "votable": _write_votable,
    }[fmt]
    try:
        with atomic_path(path) as temp:
            writer(data, temp, fmt, sky)
    except OSError as exc:  # disk full, no permission...: our error, the old file kept
        raise InputError(
            f"could not write {path}: {exc.strerror or exc}; the previous file (if any) is "
            "unchanged"
        ) from None
    return path


def _write_csv(frame: pl.DataFrame, temp: Path, fmt: str, sky: str) -> None:
    text_frame(frame).write_csv(temp)


def _write_json(frame: pl.DataFrame, temp: Path, fmt: str, sky: str) -> None:
    text = text_frame(frame)
    if fmt == "json":
        text.write_json(temp)
    else:
        text.write_ndjson(temp)


def _field_metadata(name: str, dtype: pl.DataType) -> dict[bytes, bytes]:
    info = column_info(name)
    meta: dict[bytes, bytes] = {}
    unit = info.unit if info is not None else None
    if isinstance(dtype, pl.Duration):
        unit = None  # an Arrow duration carries its own unit
    if unit:
        meta[b"unit"] = unit.encode()
    if info is not None and info.ucd:
        meta[b"ucd"] = info.ucd.encode()
    if info is not None and info.description:
        meta[b"description"] = info.description.encode()
    return meta


def annotate_arrow_schema(schema: Any, types: dict[str, pl.DataType]) -> Any:
    """``schema`` (pyarrow) with each known field's unit, UCD and description as metadata;
    ``types`` are the polars types of the columns (durations carry their own unit)."""
    import pyarrow as pa

    fields = [
        field.with_metadata(_field_metadata(field.name, types[field.name]) or None)
        if field.name in types
        else field
        for field in schema
    ]
    return pa.schema(fields, metadata=schema.metadata)


def _write_parquet(frame: pl.DataFrame, temp: Path, fmt: str, sky: str) -> None:
    import pyarrow.parquet as pq

    arrow = frame.to_arrow()
    arrow = arrow.cast(annotate_arrow_schema(arrow.schema, dict(frame.schema)))
    pq.write_table(arrow, temp, compression="zstd")


def _ascii_safe(table: Any) -> None:
    """FITS strings are ASCII: columns with other characters are stored as UTF-8 bytes."""
    import numpy as np

    for name in table.colnames:
        col = table[name]
        if col.dtype.kind == "U" and any(not str(v).isascii() for v in np.unique(col)):
            table[name] = np.char.encode(np.asarray(col), "utf-8")


def _write_fits(frame: pl.DataFrame, temp: Path, fmt: str, sky: str) -> None:
    from astropy.io import fits

    table, times = file_table(frame)
    _ascii_safe(table)
    table.meta.update(radesys_keywords(sky))
    table.meta.update(TIMESYS="UTC", MJDREF=0.0, TIMEUNIT="d", TREFPOS="TOPOCENTER")
    table.write(temp, format="fits", overwrite=True)  # astropy keeps descriptions and UCDs
    with fits.open(temp, mode="update") as hdul:
        header = hdul[1].header
        for i, name in enumerate(table.colnames, start=1):
            info = column_info(name)
            if name in times:
                header[f"TCTYP{i}"] = ("UTC", "time column: MJD in the UTC scale")
                header[f"TCUNI{i}"] = "d"
            if info is not None and info.description:
                header[f"TCOMM{i}"] = info.description
            if info is not None and info.ucd:
                header[f"TUCD{i}"] = info.ucd
        header["ORIGIN"] = "daxa"


def _write_votable(frame: pl.DataFrame, temp: Path, fmt: str, sky: str) -> None:
    import numpy as np
    from astropy.io.votable import from_table
    from astropy.io.votable.tree import CooSys, TimeSys

    table, times = file_table(frame)
    votable = from_table(table)
    resource = votable.resources[0]
    config = votable._config  # the file's version (1.4): TIMESYS needs at least 1.4
    system = {"system": "ICRS"} if sky == "icrs" else {"system": "eq_FK5", "equinox": "J2000"}
    resource.coordinate_systems.append(CooSys(ID=COOSYS_ID, config=config, **system))
    resource.time_systems.append(
        TimeSys(
            ID=TIMESYS_ID,
            timeorigin="MJD-origin",
            timescale="UTC",
            refposition="TOPOCENTER",
            config=config,
        )
    )
    for field in votable.get_first_table().fields:
        if field.name in times:
            field.ref = TIMESYS_ID
        elif field.name in _POSITION_COLUMNS:
            field.ref = COOSYS_ID
    # BINARY writes 4x faster than BINARY2 but cannot mark integers or booleans missing: it is
    # used when none of them is (floats are NaN, strings empty, in both)
    nulls = any(
        table[c].dtype.kind in "iub" and bool(np.ma.getmaskarray(table[c]).any())
        for c in table.colnames
    )
    votable.to_xml(str(temp), tabledata_format="binary2" if nulls else "binary")
