"""Where chunk results go: kept in memory (:class:`FrameSink`) or streamed to one Parquet file
(:class:`ParquetSink`), so results larger than memory never sit in memory.

Chunks may give their label columns (``mission``, ``instrument``, the ``instruments`` lists)
as polars enums: small integer codes instead of a string per row. The frame sink turns them
back into the declared strings once, at the end; the Parquet sink writes the codes as Parquet
dictionary pages, and the file states the declared schema, so every reader sees the same
names, types and values whichever way the chunks came.
"""

from __future__ import annotations

import base64
import os
import queue
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any

import polars as pl

from daxa.errors import InputError

#: Rows per Parquet row group of a streamed result.
ROW_GROUP_ROWS = 262_144
#: zstd level of streamed results (Arrow's default, stated): level 3 takes 10-18 % more of the
#: writer's time for files 0.5-3 % smaller, level -1 5-8 % less for files 2-5 % larger
#: (measured on association and summary rows).
ZSTD_LEVEL = 1
#: Values the Parquet writer encodes at a time (pyarrow's default is 1,024): for the same file
#: size, 7-9 % less writer CPU on 10 M summary rows and 5 % on 11.7 M association rows (best
#: of three).
WRITE_BATCH_ROWS = 65_536


def is_label(dtype: pl.DataType) -> bool:
    """Whether a column of this type holds codes into a few names (an enum, or a list of them)."""
    if isinstance(dtype, pl.List):
        return is_label(dtype.inner)  # type: ignore[arg-type]
    return isinstance(dtype, pl.Enum | pl.Categorical)


def as_declared(
    frame: pl.DataFrame, schema: dict[str, pl.DataType], *, keep_labels: bool = False
) -> pl.DataFrame:
    """``frame`` with the columns of ``schema``, in its order and of its types (enums become
    the declared strings, unless ``keep_labels``)."""
    frame = frame.select(list(schema))
    casts = {
        k: v
        for k, v in schema.items()
        if frame.schema[k] != v and not (keep_labels and is_label(frame.schema[k]))
    }
    return frame.cast(casts) if casts else frame  # type: ignore[arg-type]


class FrameSink:
    """Keeps every chunk's frame; :meth:`finish` concatenates them (label columns stay codes
    until the caller has sorted by them: see :func:`as_declared`)."""

    def __init__(self, schema: dict[str, pl.DataType] | None = None) -> None:
        self.parts: list[pl.DataFrame] = []
        self.schema = schema

    def write(self, frame: pl.DataFrame) -> None:
        if frame.height:
            self.parts.append(frame)

    def finish(self) -> pl.DataFrame:
        if not self.parts:
            return pl.DataFrame(schema=self.schema) if self.schema else pl.DataFrame()
        return pl.concat(self.parts, how="vertical_relaxed", rechunk=False)


class ParquetSink:
    """Streams chunk frames into one Parquet file (written to a temporary name, then renamed).

    Writing happens on a background thread while the next chunks are being matched (pyarrow
    releases the GIL), with at most one frame waiting, so memory holds a few chunks at most.
    What makes the writer fast (measured on 5.9 M association rows: 1.95 s of CPU down to
    1.05 s): label columns (enums) go in as their codes, written as dictionary pages without
    being turned into strings and encoded again; other strings go in as polars holds them
    (Arrow string views, no copy); column statistics are kept for the numbers and times that
    readers filter on (``pos_index``, ``_healpix_29``), not for strings and lists. The file's
    Arrow schema is the declared one (with units and UCDs), stated once the data are written,
    so readers see strings where the codes were written. Columns named in ``required`` can
    never be null (row numbers, positions, counts): they are written as required Parquet
    columns, without definition levels (measured on summary rows: 18 % less writer time); a
    null in one stops the write with an error rather than writing it.

    pyarrow's writer rather than polars': on 10 M coverage summary rows (zstd level 1) polars
    took 1.66-1.77 s of CPU over several threads against 1.19 s for pyarrow on this one, and
    the chunks already keep both cores busy, so CPU is what a run pays.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        schema: dict[str, pl.DataType],
        required: Collection[str] = (),
    ) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise InputError(f"output {self.path} is a folder; give a file name ending .parquet")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.part")
        self.schema = schema
        self.required = frozenset(required) & set(schema)
        self.rows = 0
        self._queue: queue.Queue[pl.DataFrame | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="daxa-parquet-sink", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        writer: Any = None
        try:
            while True:
                frame = self._queue.get()
                if frame is None:
                    break
                if self._error is None and frame.height:
                    table = _arrow(frame, self.schema, self.required)
                    if writer is None:
                        writer = _open_writer(self.tmp, table.schema, self.schema)
                    elif table.schema != writer.schema:
                        table = table.cast(writer.schema)
                    writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            if self._error is None and writer is None:  # nothing found: an empty file
                empty = _arrow(pl.DataFrame(schema=self.schema), self.schema, self.required)
                writer = _open_writer(self.tmp, empty.schema, self.schema)
                writer.write_table(empty)
            if writer is not None:
                writer.add_key_value_metadata({b"ARROW:schema": _declared_schema(self.schema)})
        except BaseException as exc:  # handed to the caller on its next write or finish
            self._error = exc
            while self._queue.get() is not None:  # drain so the producer never blocks
                pass
        finally:
            if writer is not None:
                writer.close()

    def _check(self) -> None:
        if self._error is not None:
            raise InputError(f"cannot write {self.path}: {self._error}") from self._error

    def write(self, frame: pl.DataFrame) -> None:
        self._check()
        self.rows += frame.height
        self._queue.put(frame)

    def finish(self) -> Path:
        self._queue.put(None)
        self._thread.join()
        self._check()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self.tmp.exists():
            self.tmp.unlink()


def _arrow(
    frame: pl.DataFrame, schema: dict[str, pl.DataType], required: Collection[str] = ()
) -> Any:
    """The Arrow table written for ``frame``: declared types, except label columns that come
    as enums, which stay codes (dictionaries of plain strings, which Parquet can write);
    the ``required`` columns marked never null."""
    import pyarrow as pa

    frame = as_declared(frame, schema, keep_labels=True)
    labels = [k for k in schema if is_label(frame.schema[k])]
    plain = frame.drop(labels).to_arrow(compat_level=pl.CompatLevel.newest())
    coded = frame.select(labels).to_arrow() if labels else None
    columns = [coded[k] if k in labels else plain[k] for k in schema]  # type: ignore[index]
    for name, column in zip(schema, columns, strict=True):
        if name in required and column.null_count:
            raise ValueError(
                f"column {name!r} holds {column.null_count} nulls, which it never should: "
                "a bug in daxa, please report it with the call that made it"
            )
    fields = [
        pa.field(name, column.type, nullable=name not in required)
        for name, column in zip(schema, columns, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _open_writer(path: Path, arrow_schema: Any, schema: dict[str, pl.DataType]) -> Any:
    import pyarrow.parquet as pq

    dictionary, statistics = [], []
    for field in arrow_schema:
        dtype = schema[field.name]
        if is_label(dtype) or _dictionary_type(field.type):
            nested = isinstance(dtype, pl.List) or _list_type(field.type)
            dictionary.append(f"{field.name}.list.element" if nested else field.name)
        elif dtype.is_numeric() or dtype.is_temporal() or dtype == pl.Boolean:
            statistics.append(field.name)
    return pq.ParquetWriter(
        path,
        arrow_schema,
        compression="zstd",
        compression_level=ZSTD_LEVEL,
        write_batch_size=WRITE_BATCH_ROWS,
        use_dictionary=dictionary,
        write_statistics=statistics,
        store_schema=False,  # the declared schema is stated at the end (_declared_schema)
    )


def _dictionary_type(arrow_type: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return _dictionary_type(arrow_type.value_type)
    return bool(pa.types.is_dictionary(arrow_type))


def _list_type(arrow_type: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type))


def _declared_schema(schema: dict[str, pl.DataType]) -> bytes:
    """The Arrow schema readers get (as Parquet files keep it: serialised, base64): the
    declared polars types as Arrow types, with each known column's unit and UCD."""
    from daxa.outputs.writers import annotate_arrow_schema

    arrow = pl.DataFrame(schema=schema).to_arrow().schema
    arrow = annotate_arrow_schema(arrow, schema)
    return base64.b64encode(arrow.serialize().to_pybytes())
