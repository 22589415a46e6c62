"""Reading a table from a path: CSV/TSV, FITS, Parquet (file or folder), VOTable, JSON, HATS.

``nan``, ``NaN``, ``--`` (as astropy and numpy write missing values) and empty fields are
missing values (nulls) in CSV. FITS and VOTable files are read through astropy, keeping the
units and UCDs their columns declare (angles in any unit become degrees).

>>> kind_of(Path("cat.fits.gz")), kind_of(Path("cat.vot")), kind_of(Path("x.tsv"))
('fits', 'votable', 'csv')
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.inputs.tables import Table, from_astropy, native

#: Suffixes each reader takes (lower case).
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".ecsv")
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")
VOTABLE_SUFFIXES = (".vot", ".votable", ".xml", ".vot.gz")
JSON_SUFFIXES = (".json", ".ndjson")
#: Text read as a missing value in CSV.
NULL_VALUES = ["", "nan", "NaN", "NAN", "-nan", "--", "null", "NULL", "None"]
PATH_FORMS = "a CSV/TSV, FITS, Parquet, VOTable or JSON file, a Parquet folder or a HATS folder"


def kind_of(path: Path) -> str:
    """'parquet', 'csv', 'fits', 'votable', 'json' or 'hats'/'folder' for a folder."""
    name = path.name.lower()
    for kind, suffixes in (
        ("parquet", PARQUET_SUFFIXES),
        ("fits", FITS_SUFFIXES),
        ("votable", VOTABLE_SUFFIXES),
        ("json", JSON_SUFFIXES),
        ("csv", CSV_SUFFIXES),
    ):
        if name.endswith(suffixes):
            return kind
    if path.is_dir():
        from daxa.inputs.hats import is_hats

        return "hats" if is_hats(path) else "folder"
    raise InputError(f"cannot tell how to read {str(path)!r} from its name; give {PATH_FORMS}")


def csv_separator(path: Path) -> str:
    return "\t" if ".tsv" in path.name.lower() else ","


def scan_csv(path: Path, row_index: str | None = None) -> pl.LazyFrame:
    """A CSV/TSV file as a lazy frame (gzip is read whole), missing values as nulls."""
    if path.name.lower().endswith(".gz"):
        frame = pl.read_csv(
            path, separator=csv_separator(path), infer_schema_length=10_000, null_values=NULL_VALUES
        )
        return frame.lazy().with_row_index(row_index) if row_index else frame.lazy()
    return pl.scan_csv(
        path,
        separator=csv_separator(path),
        infer_schema_length=10_000,
        null_values=NULL_VALUES,
        row_index_name=row_index,
    )


def fits_table_hdu(path: Path) -> int:
    """Index of the first table HDU of a FITS file."""
    from astropy.io import fits

    with fits.open(path, memmap=True) as hdul:
        for i, hdu in enumerate(hdul):
            if isinstance(hdu, (fits.BinTableHDU, fits.TableHDU)):
                return i
    raise InputError(f"{path} has no table HDU; give a FITS file with a binary table")


def read_fits(path: Path, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """Columns of the first table HDU of a FITS file (memory-mapped, native byte order)."""
    from astropy.io import fits

    try:
        hdu_index = fits_table_hdu(path)
        with fits.open(path, memmap=True) as hdul:
            data = hdul[hdu_index].data
            names = list(data.columns.names) if data is not None else []
            wanted = names if columns is None else list(columns)
            out: dict[str, Any] = {}
            for name in wanted:
                if name not in names:
                    continue
                col = np.asarray(data[name])
                if col.ndim > 1:
                    continue
                if col.dtype.kind == "S":
                    out[name] = np.char.decode(col, "ascii", "replace")
                else:
                    out[name] = native(col).copy()
        return pl.DataFrame(out)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {path} as a FITS table: {exc}") from None


def fits_columns(path: Path) -> tuple[list[str], int]:
    """The column names and row count of a FITS table, without reading its rows."""
    from astropy.io import fits

    try:
        hdu_index = fits_table_hdu(path)
        with fits.open(path, memmap=True) as hdul:
            header = hdul[hdu_index].header
            names = [header[f"TTYPE{i}"] for i in range(1, int(header["TFIELDS"]) + 1)]
            return names, int(header["NAXIS2"])
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {path} as a FITS table: {exc}") from None


def read_astropy(path: Path, kind: str, what: str) -> Table:
    """A FITS or VOTable file through astropy (units and UCDs kept)."""
    from astropy.table import Table as AstropyTable

    try:
        if kind == "votable":
            table = AstropyTable.read(path, format="votable")
        else:
            table = AstropyTable.read(path, hdu=fits_table_hdu(path))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {str(path)!r} as a {kind.upper()} table: {exc}") from None
    return from_astropy(table, f"the {what} {path}")


def read_file(p: Path, kind: str, what: str) -> Table:
    """The whole file ``p`` of ``kind`` (:func:`kind_of`; folders are read as sources by
    :func:`daxa.inputs.load.read_table`)."""
    label = f"the {what} {p}"
    try:
        if kind in ("fits", "votable"):
            return read_astropy(p, kind, what)
        if kind == "csv" and p.name.lower().endswith(".ecsv"):
            return read_astropy_ecsv(p, what)
        if kind == "csv":
            return Table(scan_csv(p).collect(), label)
        if kind == "json":
            frame = pl.read_ndjson(p) if p.suffix.lower() == ".ndjson" else pl.read_json(p)
            return Table(frame, label)
        if kind == "parquet":
            return Table(pl.read_parquet(p), label)
        raise InputError(f"{label} is a {kind}, not a file; give {PATH_FORMS}")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {label}: {exc}") from None


def read_astropy_ecsv(path: Path, what: str) -> Table:
    from astropy.table import Table as AstropyTable

    return from_astropy(AstropyTable.read(path, format="ascii.ecsv"), f"the {what} {path}")
