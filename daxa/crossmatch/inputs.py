"""Catalogues as inputs: paths or frames, column mapping, time windows, bad coordinates.

A catalogue is given as a path (Parquet file or folder, CSV, FITS, a HATS catalogue) or a frame
(polars, pandas, Arrow, astropy Table, a dict of columns). :func:`open_source` turns any of them
into a :class:`Source` that can be read whole, or piece by piece without loading it all
(Parquet and HATS read only the chosen columns and row groups; CSV and FITS are streamed).
:func:`prepare` then maps the user's columns to the standard ones the matchers use:

=============== ===================================================================
``pos_index``   row number in the input (0-based; kept when rows are skipped)
``ra``, ``dec`` degrees (Float64)
``_healpix_29`` NESTED order-29 HEALPix index (taken from the input when it has one)
``row_id``      the user's id column, when one is named
``win_start``,  the row's time window (Datetime us UTC), when windows are asked for
``win_end``
``_radius``     a per-row radius in degrees, when one is given
=============== ===================================================================

Rows whose coordinates are missing, NaN, infinite or outside [-90, 90] in Dec are counted,
reported once in a :class:`CrossmatchWarning` naming the first few rows, and skipped.

>>> frame = pl.DataFrame({"RA": [10.0, None, 20.0], "DE": [1.0, 2.0, 95.0], "name": "a b c".split()})
>>> cols = ColumnMap(ra="RA", dec="DE", id="name")
>>> prepared, skipped = prepare(frame, cols)
>>> prepared.select("pos_index", "ra", "row_id").rows(), skipped.tolist()
([(0, 10.0, 'a')], [1, 2])
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError

UTC_US = pl.Datetime("us", "UTC")
HPX = "_healpix_29"
ROW = "__row"

#: Suffixes each reader takes (lower case; a trailing .gz is allowed for CSV and FITS).
PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz")
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")

SourceKind = Literal["frame", "lazy", "parquet", "csv", "fits", "hats"]


class CrossmatchWarning(UserWarning):
    """Something about a cross-match input the user should know but that is not an error."""


# --------------------------------------------------------------------------- column mapping


@dataclass(frozen=True)
class ColumnMap:
    """Which input columns hold what.

    ``window`` is ``(before, after)`` around ``epoch``; ``radius`` names a per-row radius
    column (degrees). ``keep`` are extra input columns carried into the output.
    """

    ra: str = "ra"
    dec: str = "dec"
    id: str | None = None
    start: str | None = None
    end: str | None = None
    epoch: str | None = None
    window: tuple[timedelta, timedelta] | None = None
    radius: str | None = None
    keep: tuple[str, ...] = ()

    @property
    def has_window(self) -> bool:
        return self.start is not None or self.epoch is not None

    def needed(self) -> list[str]:
        """The input columns this mapping reads (each once, in a stable order)."""
        names = [self.ra, self.dec, self.id, self.start, self.end, self.epoch, self.radius]
        out: list[str] = []
        for name in [*names, *self.keep]:
            if name is not None and name not in out:
                out.append(name)
        return out


def column_map(
    *,
    ra: str = "ra",
    dec: str = "dec",
    id: str | None = None,
    start: str | None = None,
    end: str | None = None,
    epoch: str | None = None,
    window: Any = None,
    radius: str | None = None,
    keep: Iterable[str] | str | None = None,
) -> ColumnMap:
    """Check the column arguments of the public matchers and bundle them.

    Time windows come either from ``start`` and ``end`` columns or from an ``epoch`` column
    with ``window``: a timedelta (± that much), a number of days, or ``(before, after)``.

    >>> column_map(epoch="t0", window=(timedelta(days=365), 30)).window[1]
    datetime.timedelta(days=30)
    """
    if (start is None) != (end is None):
        raise InputError(
            f"give both start= and end= columns for time windows (got start={start!r}, "
            f"end={end!r}), or epoch= with window="
        )
    if start is not None and epoch is not None:
        raise InputError("give either start=/end= columns or epoch= with window=, not both")
    if epoch is not None and window is None:
        raise InputError(
            f"epoch={epoch!r} needs window= (a timedelta, a number of days, or (before, after))"
        )
    if window is not None and epoch is None:
        raise InputError("window= needs epoch=, the column the window is centred on")
    parsed = None if window is None else _parse_window(window)
    if isinstance(keep, str):
        keep = [keep]
    return ColumnMap(
        ra=ra,
        dec=dec,
        id=id,
        start=start,
        end=end,
        epoch=epoch,
        window=parsed,
        radius=radius,
        keep=tuple(keep or ()),
    )


def _as_timedelta(value: Any, what: str) -> timedelta:
    if isinstance(value, timedelta):
        out = value
    elif isinstance(value, np.timedelta64):
        out = timedelta(microseconds=int(value.astype("timedelta64[us]").astype(np.int64)))
    elif hasattr(value, "unit") and hasattr(value, "to_value"):
        try:
            out = timedelta(days=float(value.to_value("day")))
        except Exception:
            raise InputError(f"{what}={value!r} is not a duration") from None
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        out = timedelta(days=float(value))
    else:
        raise InputError(f"{what}={value!r} is not a duration; give a timedelta or days")
    if out < timedelta(0):
        raise InputError(f"{what}={value!r} is negative; give how far before/after the epoch")
    return out


def _parse_window(window: Any) -> tuple[timedelta, timedelta]:
    if isinstance(window, (tuple, list)):
        if len(window) != 2:
            raise InputError(f"window={window!r}: give one duration or a (before, after) pair")
        return _as_timedelta(window[0], "window[0]"), _as_timedelta(window[1], "window[1]")
    half = _as_timedelta(window, "window")
    return half, half


# --------------------------------------------------------------------------- memory budget

_SIZE = re.compile(r"^\s*([0-9.]+)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}


def parse_bytes(value: int | float | str) -> int:
    """Bytes from ``2_000_000_000``, ``"2GB"``, ``"500 MB"`` or ``"1.5GiB"``.

    >>> parse_bytes("2GB"), parse_bytes("1GiB"), parse_bytes(1e6)
    (2000000000, 1073741824, 1000000)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value <= 0 or not math.isfinite(value):
            raise InputError(f"memory_budget={value!r} must be a positive number of bytes")
        return int(value)
    m = _SIZE.match(str(value))
    if not m:
        raise InputError(f"memory_budget={value!r} is not a size; give e.g. '2GB' or '500MB'")
    unit = (m.group(2) or "").lower()
    scale = _UNITS[unit[:1]] if unit else 1
    if "i" in unit:
        scale = 1024 ** "bkmgt".index(unit[0])
    out = int(float(m.group(1)) * scale)
    if out <= 0:
        raise InputError(f"memory_budget={value!r} must be positive")
    return out


# --------------------------------------------------------------------------- sources


@dataclass
class Source:
    """A catalogue that can be read whole or in pieces.

    ``kind`` says how: an in-memory ``frame``, a polars ``lazy`` query, ``parquet`` files,
    ``csv``, ``fits`` (first table HDU) or a ``hats`` catalogue (its partition files, in
    HEALPix order). ``healpix_sorted`` is True when the rows are stored in ``_healpix_29``
    order, so a HEALPix range can be read by pruning row groups.
    """

    kind: SourceKind
    label: str
    columns: list[str]
    frame: pl.DataFrame | None = None
    lazy: pl.LazyFrame | None = None
    paths: list[Path] = field(default_factory=list)
    healpix_sorted: bool = False
    hats_order: list[tuple[int, int]] = field(default_factory=list)
    coordinates: tuple[str, str] | None = None  # RA/Dec columns the catalogue declares (HATS)
    _n_rows: int | None = None

    def coordinate_columns(self, ra: str, dec: str) -> tuple[str, str]:
        """``(ra, dec)``, or the catalogue's declared columns when those names are absent."""
        if self.coordinates and ra not in self.columns and dec not in self.columns:
            return self.coordinates
        return ra, dec

    @property
    def n_rows(self) -> int:
        """Number of rows (counted once for CSV and lazy queries)."""
        if self._n_rows is None:
            lf = self.scan(self.columns[:1])
            self._n_rows = int(lf.select(pl.len()).collect().item())
        return self._n_rows

    def require(self, names: Iterable[str]) -> None:
        """Raise InputError naming every column in ``names`` the catalogue lacks."""
        missing = [n for n in names if n not in self.columns]
        if missing:
            shown = ", ".join(self.columns[:40]) + (" ..." if len(self.columns) > 40 else "")
            raise InputError(
                f"{self.label} has no column {', '.join(map(repr, missing))}; its columns are: "
                f"{shown}. Name the right ones with ra=, dec=, id=, start=, end=, epoch="
            )

    def scan(self, columns: Sequence[str], *, row_index: bool = False) -> pl.LazyFrame:
        """A lazy query of ``columns`` (plus the row number as ``__row`` when asked)."""
        cols = list(columns)
        try:
            if self.kind == "frame":
                assert self.frame is not None
                lf = self.frame.lazy()
                if row_index:
                    lf = lf.with_row_index(ROW)
            elif self.kind == "lazy":
                assert self.lazy is not None
                lf = self.lazy.with_row_index(ROW) if row_index else self.lazy
            elif self.kind in ("parquet", "hats"):
                lf = pl.scan_parquet(
                    [str(p) for p in self.paths],
                    row_index_name=ROW if row_index else None,
                    missing_columns="insert",
                    extra_columns="ignore",
                )
            elif self.kind == "csv":
                lf = _scan_csv(self.paths[0], row_index)
            else:
                lf = read_fits(self.paths[0], cols).lazy()
                if row_index:
                    lf = lf.with_row_index(ROW)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"cannot read {self.label}: {exc}") from None
        if row_index:
            lf = lf.with_columns(pl.col(ROW).cast(pl.Int64))
            cols = [ROW, *cols]
        return lf.select(cols)

    def read(self, columns: Sequence[str], *, row_index: bool = False) -> pl.DataFrame:
        """All rows of ``columns`` in memory, one chunk per column (so that ``to_numpy``
        is a view, not a copy, however often it is called)."""
        try:
            if self.kind == "frame":  # eagerly: the selected columns are the input's own
                assert self.frame is not None
                frame = self.frame.select(list(columns))
                if row_index:
                    rows = pl.int_range(0, frame.height, dtype=pl.Int64, eager=True)
                    frame = frame.insert_column(0, rows.alias(ROW))
                return frame.rechunk()
            return self.scan(columns, row_index=row_index).collect().rechunk()
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"cannot read {self.label}: {exc}") from None

    def read_healpix_range(self, columns: Sequence[str], lo: int, hi: int) -> pl.DataFrame:
        """Rows with ``lo <= _healpix_29 < hi`` (row groups outside are never read).

        Only for sources with a ``_healpix_29`` column; ``__row`` is the global row number.
        """
        lf = self.scan([*columns, HPX] if HPX not in columns else columns, row_index=True)
        try:
            return lf.filter((pl.col(HPX) >= lo) & (pl.col(HPX) < hi)).collect()
        except Exception as exc:
            raise InputError(f"cannot read {self.label}: {exc}") from None

    def iter_batches(
        self, columns: Sequence[str], batch_rows: int
    ) -> Iterator[tuple[int, pl.DataFrame]]:
        """``(first row number, frame)`` pieces of at most about ``batch_rows`` rows, in order."""
        cols = list(columns)
        if self.kind in ("frame", "lazy", "fits"):
            whole = self.frame if self.kind == "frame" else None
            if whole is None:
                whole = self.read(cols)
            for off in range(0, whole.height, batch_rows):
                yield off, whole.slice(off, batch_rows).select(cols)
            return
        if self.kind in ("parquet", "hats"):
            import pyarrow.parquet as pq

            off = 0
            for path in self.paths:
                try:
                    pf = pq.ParquetFile(path)
                    names = set(pf.schema_arrow.names)
                    for batch in pf.iter_batches(
                        batch_size=batch_rows, columns=[c for c in cols if c in names]
                    ):
                        frame = pl.from_arrow(batch)
                        assert isinstance(frame, pl.DataFrame)
                        yield (
                            off,
                            frame.select(
                                [pl.col(c) if c in names else pl.lit(None).alias(c) for c in cols]
                            ),
                        )
                        off += frame.height
                except Exception as exc:
                    raise InputError(f"cannot read {path}: {exc}") from None
            return
        yield from _csv_batches(self.paths[0], cols, batch_rows)


def _csv_separator(path: Path) -> str:
    return "\t" if ".tsv" in path.name.lower() else ","


def _scan_csv(path: Path, row_index: bool) -> pl.LazyFrame:
    if path.name.lower().endswith(".gz"):
        frame = pl.read_csv(path, separator=_csv_separator(path), infer_schema_length=10_000)
        return frame.lazy().with_row_index(ROW) if row_index else frame.lazy()
    return pl.scan_csv(
        path,
        separator=_csv_separator(path),
        infer_schema_length=10_000,
        row_index_name=ROW if row_index else None,
    )


def _csv_batches(
    path: Path, cols: list[str], batch_rows: int
) -> Iterator[tuple[int, pl.DataFrame]]:
    import pyarrow.csv as pacsv

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=_csv_separator(path)),
            convert_options=pacsv.ConvertOptions(include_columns=cols),
        )
        off = 0
        pending: list[pl.DataFrame] = []
        size = 0
        for batch in reader:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            pending.append(frame)
            size += frame.height
            if size >= batch_rows:
                out = pl.concat(pending, how="vertical_relaxed")
                yield off, out
                off += out.height
                pending, size = [], 0
        if pending:
            yield off, pl.concat(pending, how="vertical_relaxed")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {path} as CSV: {exc}") from None


def _lower_name(path: Path) -> str:
    return path.name.lower()


def _native(array: np.ndarray) -> np.ndarray:
    if array.dtype.byteorder not in ("=", "|") and array.dtype.byteorder != (
        "<" if np.little_endian else ">"
    ):
        return array.astype(array.dtype.newbyteorder("="))
    return array


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
                    out[name] = _native(col).copy()
        return pl.DataFrame(out)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {path} as a FITS table: {exc}") from None


def _fits_columns(path: Path) -> tuple[list[str], int]:
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


def _parquet_sorted_by_healpix(paths: Sequence[Path]) -> bool:
    """True when every file's row groups carry increasing, non-overlapping ``_healpix_29``."""
    import pyarrow.parquet as pq

    last = -1
    for path in paths:
        meta = pq.read_metadata(path)
        try:
            col = meta.schema.to_arrow_schema().get_field_index(HPX)
        except Exception:
            return False
        if col < 0:
            return False
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(col).statistics
            if stats is None or not stats.has_min_max:
                return False
            if stats.min < last:
                return False
            last = stats.max
    return True


def _from_astropy(table: Any) -> pl.DataFrame:
    """An astropy Table as polars: angles in degrees, Time as UTC datetimes, masks as nulls."""
    out: dict[str, Any] = {}
    for name in table.colnames:
        col = table[name]
        if type(col).__name__ == "Time":
            values = np.asarray(col.utc.datetime64, dtype="datetime64[us]")
            out[name] = pl.Series(name, values).dt.replace_time_zone("UTC")
            continue
        unit = getattr(col, "unit", None)
        mask = getattr(col, "mask", None)
        data = np.asarray(col)
        if unit is not None and data.dtype.kind in "if":
            try:
                import astropy.units as u

                if u.Unit(unit).physical_type == "angle":
                    data = (data * u.Unit(unit)).to_value(u.deg)
            except Exception:
                pass
        if data.ndim > 1:
            continue
        series = pl.Series(name, _native(data) if data.dtype.kind != "O" else data.tolist())
        if mask is not None and np.any(mask):
            series = (
                pl.select(
                    pl.when(pl.Series(np.asarray(mask, dtype=bool))).then(None).otherwise(series)
                )
                .to_series()
                .alias(name)
            )
        out[name] = series
    return pl.DataFrame(out)


def as_polars(obj: Any) -> pl.DataFrame | pl.LazyFrame | None:
    """An in-memory frame of any supported kind as polars, or None when ``obj`` is not one."""
    if isinstance(obj, (pl.DataFrame, pl.LazyFrame)):
        return obj
    module = type(obj).__module__
    name = type(obj).__name__
    if module.startswith("pandas") and name == "DataFrame":
        return pl.from_pandas(obj.reset_index(drop=True))
    if module.startswith("pyarrow") and name in ("Table", "RecordBatch"):
        frame = pl.from_arrow(obj)
        assert isinstance(frame, pl.DataFrame)
        return frame
    if module.startswith("astropy") and name in ("Table", "QTable"):
        return _from_astropy(obj)
    if isinstance(obj, Mapping):
        try:
            return pl.DataFrame({str(k): v for k, v in obj.items()})
        except Exception as exc:
            raise InputError(f"cannot make a table of the dict given: {exc}") from None
    return None


def open_source(obj: Any, *, what: str = "catalogue") -> Source:
    """A :class:`Source` for a path or an in-memory frame (see the module docstring)."""
    if isinstance(obj, Source):
        return obj
    frame = as_polars(obj)
    if isinstance(frame, pl.DataFrame):
        return Source(
            "frame",
            f"the {what} frame",
            frame.columns,
            frame=frame,
            healpix_sorted=_frame_sorted(frame),
            _n_rows=frame.height,
        )
    if isinstance(frame, pl.LazyFrame):
        return Source("lazy", f"the {what} query", list(frame.collect_schema().names()), lazy=frame)
    if isinstance(obj, (str, os.PathLike)):
        return _open_path(Path(obj), what)
    raise InputError(
        f"cannot use a {type(obj).__name__} as the {what}; give a path (Parquet, CSV, FITS, "
        "HATS) or a polars/pandas/Arrow/astropy table"
    )


def _frame_sorted(frame: pl.DataFrame) -> bool:
    if HPX not in frame.columns or frame.schema[HPX] not in (pl.Int64(), pl.UInt64()):
        return False
    return bool(frame.height < 2 or frame[HPX].is_sorted())


def _open_path(path: Path, what: str) -> Source:
    if not path.exists():
        raise InputError(f"the {what} file {path} does not exist")
    label = f"the {what} {path}"
    if path.is_dir():
        from daxa.crossmatch import hats

        if hats.is_hats(path):
            return hats.open_hats(path, what=what)
        files = sorted(p for p in path.rglob("*") if _lower_name(p).endswith(PARQUET_SUFFIXES))
        if not files:
            raise InputError(
                f"the {what} folder {path} holds no Parquet files and no HATS catalogue"
            )
        return _parquet_source(files, label)
    name = _lower_name(path)
    if name.endswith(PARQUET_SUFFIXES):
        return _parquet_source([path], label)
    if name.endswith(CSV_SUFFIXES):
        try:
            columns = list(_scan_csv(path, False).collect_schema().names())
        except Exception as exc:
            raise InputError(f"cannot read {path} as CSV: {exc}") from None
        return Source("csv", label, columns, paths=[path])
    if name.endswith(FITS_SUFFIXES):
        columns, n = _fits_columns(path)
        return Source("fits", label, columns, paths=[path], _n_rows=n)
    raise InputError(
        f"cannot tell how to read {path}: name it .parquet, .csv (.tsv) or .fits, or give a "
        "HATS catalogue folder"
    )


def _parquet_source(files: list[Path], label: str) -> Source:
    import pyarrow.parquet as pq

    columns: list[str] = []
    n = 0
    for f in files:
        try:
            meta = pq.read_metadata(f)
        except Exception as exc:
            raise InputError(f"cannot read {f} as Parquet: {exc}") from None
        n += meta.num_rows
        for c in meta.schema.to_arrow_schema().names:
            if c not in columns:
                columns.append(c)
    return Source(
        "parquet",
        label,
        columns,
        paths=files,
        healpix_sorted=_parquet_sorted_by_healpix(files),
        _n_rows=n,
    )


# --------------------------------------------------------------------------- preparing rows


def _to_utc(series: pl.Series, what: str) -> pl.Series:
    """A time column as Datetime(us, UTC): datetimes (naive = UTC), dates, ISO strings or MJD."""
    dtype = series.dtype
    if isinstance(dtype, pl.Datetime):
        out = series.dt.cast_time_unit("us")
        out = (
            out.dt.replace_time_zone("UTC")
            if dtype.time_zone is None
            else out.dt.convert_time_zone("UTC")
        )
        return out
    if dtype == pl.Date:
        return series.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if dtype in (pl.String, pl.Utf8):
        try:
            parsed = series.str.strip_chars().str.to_datetime(time_unit="us", strict=False)
        except Exception as exc:
            raise InputError(f"{what}: cannot read the times as dates ({exc})") from None
        bad = parsed.is_null() & series.is_not_null()
        if bad.any():
            i = int(bad.arg_max() or 0)
            raise InputError(f"{what}[{i}] = {series[i]!r} is not a date/time; give ISO times")
        if isinstance(parsed.dtype, pl.Datetime) and parsed.dtype.time_zone is not None:
            return parsed.dt.convert_time_zone("UTC")
        return parsed.dt.replace_time_zone("UTC")
    if dtype.is_numeric():
        # Numbers are MJD (UTC) days, the convention of the archives' own tables.
        us = ((series.cast(pl.Float64) - 40587.0) * 86_400e6).round(0).cast(pl.Int64)
        return us.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    raise InputError(f"{what} holds {dtype}, not times; give datetimes, ISO strings or MJD")


def prepare(
    frame: pl.DataFrame,
    cols: ColumnMap,
    *,
    offset: int = 0,
    radius: npt.NDArray[np.float64] | None = None,
    healpix: bool = True,
) -> tuple[pl.DataFrame, npt.NDArray[np.int64]]:
    """The standard columns of ``frame`` and the row numbers skipped for bad coordinates.

    ``frame`` may carry ``__row`` (global row numbers); otherwise rows are numbered from
    ``offset``. ``radius`` is a per-row radius array aligned with the rows of ``frame``.
    ``healpix=False`` leaves out ``_healpix_29`` unless the input has it.
    """
    missing = [c for c in cols.needed() if c not in frame.columns]
    if missing:
        raise InputError(
            f"the catalogue has no column {', '.join(map(repr, missing))}; its columns are: "
            f"{', '.join(c for c in frame.columns if c != ROW)}"
        )
    if ROW in frame.columns:
        index = frame[ROW].cast(pl.Int64)
    else:
        index = pl.int_range(offset, offset + frame.height, dtype=pl.Int64, eager=True)
    out: dict[str, Any] = {"pos_index": index.alias("pos_index")}
    for name, src in (("ra", cols.ra), ("dec", cols.dec)):
        col = frame[src]
        if not (col.dtype.is_numeric() or col.dtype == pl.Null):
            raise InputError(f"the {name} column {src!r} holds {col.dtype}, not degrees")
        out[name] = col.cast(pl.Float64).alias(name)
    if cols.id is not None:
        out["row_id"] = frame[cols.id].alias("row_id")
    if cols.start is not None and cols.end is not None:
        out["win_start"] = _to_utc(frame[cols.start], f"start column {cols.start!r}").alias(
            "win_start"
        )
        out["win_end"] = _to_utc(frame[cols.end], f"end column {cols.end!r}").alias("win_end")
    elif cols.epoch is not None and cols.window is not None:
        epoch = _to_utc(frame[cols.epoch], f"epoch column {cols.epoch!r}")
        out["win_start"] = (epoch - cols.window[0]).alias("win_start")
        out["win_end"] = (epoch + cols.window[1]).alias("win_end")
    if cols.radius is not None:
        r = frame[cols.radius]
        if not r.dtype.is_numeric():
            raise InputError(f"the radius column {cols.radius!r} holds {r.dtype}, not degrees")
        out["_radius"] = r.cast(pl.Float64).alias("_radius")
    elif radius is not None:
        out["_radius"] = pl.Series("_radius", np.asarray(radius, dtype=np.float64))
    for name in cols.keep:
        if name not in out:
            out[name] = frame[name]
    if HPX in frame.columns and frame.schema[HPX].is_integer():
        out[HPX] = frame[HPX].cast(pl.Int64)
    prepared = pl.DataFrame(out)

    ra = prepared["ra"].to_numpy()
    dec = prepared["dec"].to_numpy()
    # reductions propagate NaN: four of them clear the common all-good case without a mask
    ra_lo, ra_hi = (float(ra.min()), float(ra.max())) if ra.size else (0.0, 0.0)
    dec_lo, dec_hi = (float(dec.min()), float(dec.max())) if dec.size else (0.0, 0.0)
    all_good = np.isfinite([ra_lo, ra_hi]).all() and dec_lo >= -90.0 and dec_hi <= 90.0
    if all_good:
        good = np.ones(ra.size, dtype=bool)
    else:
        with np.errstate(invalid="ignore"):
            good = np.isfinite(ra) & np.isfinite(dec) & (np.abs(dec) <= 90.0)
    if "_radius" in prepared.columns:
        radii = prepared["_radius"].to_numpy()
        with np.errstate(invalid="ignore"):
            bad_r = ~(np.isfinite(radii) & (radii >= 0.0) & (radii <= 180.0))
        if bad_r.any():
            i = int(np.flatnonzero(bad_r)[0])
            raise InputError(
                f"row {int(prepared['pos_index'][i])}: radius {float(radii[i])!r} is not between 0 and "
                "180 degrees"
            )
    if all_good:
        skipped = np.zeros(0, dtype=np.int64)
    else:
        skipped = prepared["pos_index"].to_numpy()[~good]
        prepared = prepared.filter(pl.Series(good))
        ra, dec = ra[good], dec[good]
        ra_lo, ra_hi = (float(ra.min()), float(ra.max())) if ra.size else (0.0, 0.0)
    if ra_lo < 0.0 or ra_hi >= 360.0:
        ra = np.mod(ra, 360.0)
        ra[ra >= 360.0] = 0.0
        prepared = prepared.with_columns(ra=pl.Series(ra))
    if HPX not in prepared.columns and healpix:
        from daxa.sky.healpix import healpix_index

        prepared = prepared.with_columns(pl.Series(HPX, healpix_index(ra, dec), dtype=pl.Int64))
    if "win_start" in prepared.columns:
        bad_w = (prepared["win_start"] > prepared["win_end"]).fill_null(False)
        if bad_w.any():
            i = int(bad_w.arg_max() or 0)
            raise InputError(
                f"row {int(prepared['pos_index'][i])}: its window starts "
                f"{prepared['win_start'][i]} after it ends {prepared['win_end'][i]}"
            )
    return prepared, np.asarray(skipped, dtype=np.int64)


def check_row_radii(radii: npt.NDArray[np.float64] | None, n_rows: int) -> None:
    """A per-row radius array must give one radius per catalogue row."""
    if radii is not None and radii.size != n_rows:
        raise InputError(
            f"{radii.size} radii given for {n_rows} catalogue rows; give one per row, a single "
            "radius, or the name of a radius column"
        )


def report_skipped(
    skipped: Sequence[npt.NDArray[np.int64]] | npt.NDArray[np.int64], total: int
) -> int:
    """Warn once about rows skipped for bad coordinates; returns how many there were."""
    arrays = [skipped] if isinstance(skipped, np.ndarray) else list(skipped)
    n = int(sum(a.size for a in arrays))
    if n:
        first = np.sort(np.concatenate(arrays))[:10].tolist()
        more = f" and {n - 10} more" if n > 10 else ""
        warnings.warn(
            f"{n} of {total} catalogue rows have missing, NaN or out-of-range coordinates and "
            f"were skipped (rows {', '.join(map(str, first))}{more})",
            CrossmatchWarning,
            stacklevel=3,
        )
    return n


__all__ = [
    "ColumnMap",
    "CrossmatchWarning",
    "Source",
    "as_polars",
    "column_map",
    "open_source",
    "parse_bytes",
    "prepare",
    "read_fits",
    "report_skipped",
]
