"""Catalogues that can be read whole or piece by piece, without loading them all.

:func:`open_source` takes a path (Parquet file or folder, CSV/TSV, FITS, VOTable, JSON, a HATS
catalogue) or anything :func:`daxa.inputs.tables.memory_table` takes, and gives a :class:`Source`:
Parquet and HATS read only the chosen columns and row groups, CSV and FITS are streamed; the
rest are read into memory once.

>>> src = open_source([[10.0, 1.0], [20.0, 2.0]])
>>> src.kind, src.columns, src.n_rows
('frame', ['ra', 'dec'], 2)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from daxa.errors import InputError
from daxa.inputs import readers
from daxa.inputs.readers import PARQUET_SUFFIXES, csv_separator, read_fits
from daxa.inputs.tables import Table, memory_table

HPX = "_healpix_29"
ROW = "__row"

SourceKind = Literal["frame", "lazy", "parquet", "csv", "fits", "hats"]


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
    units: dict[str, str] = field(default_factory=dict)
    ucds: dict[str, str] = field(default_factory=dict)
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
                lf = readers.scan_csv(self.paths[0], ROW if row_index else None)
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


def _csv_batches(
    path: Path, cols: list[str], batch_rows: int
) -> Iterator[tuple[int, pl.DataFrame]]:
    import pyarrow.csv as pacsv

    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=csv_separator(path)),
            convert_options=pacsv.ConvertOptions(
                include_columns=cols,
                null_values=readers.NULL_VALUES,
                strings_can_be_null=True,
            ),
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


def open_source(obj: Any, *, what: str = "catalogue") -> Source:
    """A :class:`Source` for a path or an in-memory frame (see the module docstring)."""
    if isinstance(obj, Source):
        return obj
    if isinstance(obj, pl.LazyFrame):
        return Source("lazy", f"the {what} query", list(obj.collect_schema().names()), lazy=obj)
    if isinstance(obj, (str, os.PathLike)):
        return _open_path(Path(obj), what)
    return frame_source(memory_table(obj, what=what))


def frame_source(table: Table) -> Source:
    """A :class:`Source` over a table already in memory."""
    frame = table.frame
    return Source(
        "frame",
        table.label,
        frame.columns,
        frame=frame,
        healpix_sorted=_frame_sorted(frame),
        units=table.units,
        ucds=table.ucds,
        _n_rows=frame.height,
    )


def _frame_sorted(frame: pl.DataFrame) -> bool:
    if HPX not in frame.columns or frame.schema[HPX] not in (pl.Int64(), pl.UInt64()):
        return False
    return bool(frame.height < 2 or frame[HPX].is_sorted())


def _open_path(path: Path, what: str) -> Source:
    if not path.exists():
        raise InputError(f"the {what} file {path} does not exist; give {readers.PATH_FORMS}")
    label = f"the {what} {path}"
    kind = readers.kind_of(path)
    if kind == "hats":
        return open_hats(path, what=what)
    if kind == "folder":
        files = sorted(p for p in path.rglob("*") if p.name.lower().endswith(PARQUET_SUFFIXES))
        if not files:
            raise InputError(
                f"the {what} folder {path} holds no Parquet files and no HATS catalogue"
            )
        return _parquet_source(files, label)
    if kind == "parquet":
        return _parquet_source([path], label)
    if kind == "csv" and not path.name.lower().endswith(".ecsv"):
        try:
            columns = list(readers.scan_csv(path).collect_schema().names())
        except Exception as exc:
            raise InputError(f"cannot read {path} as CSV: {exc}") from None
        return Source("csv", label, columns, paths=[path])
    if kind == "fits":
        columns, n = readers.fits_columns(path)
        return Source("fits", label, columns, paths=[path], _n_rows=n)
    return frame_source(readers.read_file(path, kind, what))


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


def open_hats(path: str | os.PathLike[str], *, what: str = "catalogue") -> Source:
    """A HATS catalogue as a :class:`Source` whose files come in HEALPix order."""
    from daxa.inputs import hats

    root = Path(path)
    if not hats.is_hats(root):
        raise InputError(f"{root} is not a HATS catalogue (no hats.properties)")
    props = hats.read_properties(root)
    files, parts = hats.partition_files(root)
    import pyarrow.parquet as pq

    schema_file = root / "dataset" / "_common_metadata"
    try:
        names = pq.read_schema(schema_file if schema_file.is_file() else files[0]).names
    except Exception as exc:
        raise InputError(f"cannot read the HATS catalogue {root}: {exc}") from None
    columns = [n for n in names if n not in ("Norder", "Dir", "Npix")]
    rows = props.get("hats_nrows")
    return Source(
        "hats",
        f"the {what} HATS catalogue {root}",
        columns,
        paths=files,
        healpix_sorted=HPX in columns,
        hats_order=parts,
        coordinates=(props.get("hats_col_ra", "ra"), props.get("hats_col_dec", "dec")),
        _n_rows=int(rows) if rows and rows.isdigit() else None,
    )
