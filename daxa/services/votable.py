"""A fast reader for VOTables in the BINARY and BINARY2 serialisations.

astropy decodes BINARY streams row by row in Python (about 7 s for Swift's 373k-row table);
here only the row boundaries need a sequential scan (one step per variable-length field per
row), and every column is then gathered from the decoded stream with numpy. Arrays (fixed,
variable-length, multi-dimensional) become list columns, 2-D text lists of strings; complex
numbers and bit arrays are skipped with a note. A variable-length field's count is read as a
number of slices of its fixed dimensions (``100x*``: strings of 100 characters), as STIL
writes it. TABLEDATA has its own reader (:mod:`daxa.services.tabledata`); the FITS
serialisation goes to astropy.
"""

from __future__ import annotations

import base64
import struct
import xml.etree.ElementTree as ET
from array import array

import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from daxa.services.vofields import (
    ELEMENT_SIZE,
    BadField,
    Field,
    empty_frame,
    finish_column,
    local,
    note_skipped,
    read_fields,
)

_NUMERIC = {
    "unsignedByte": "u1",
    "short": ">i2",
    "int": ">i4",
    "long": ">i8",
    "float": ">f4",
    "double": ">f8",
}


class Unsupported(Exception):
    """The document uses a feature this reader leaves to astropy."""


def _fields(table: ET.Element) -> list[Field]:
    try:
        fields = read_fields(table)
    except BadField as exc:
        raise Unsupported(str(exc)) from None
    for f in fields:
        if f.datatype == "bit" and f.variable:
            raise Unsupported("variable-length bit arrays")
        if f.datatype not in ELEMENT_SIZE and f.datatype != "bit":
            raise Unsupported(f"datatype {f.datatype!r}")
    return fields


def read_binary_votable(document: bytes) -> pl.DataFrame:
    """The first table of a BINARY/BINARY2 VOTable as a polars DataFrame (nulls as nulls).

    Raises :class:`Unsupported` for anything else, so callers can fall back to astropy.
    """
    root = ET.fromstring(document)
    table = next((el for el in root.iter() if local(el.tag) == "TABLE"), None)
    if table is None:
        raise Unsupported("no TABLE")
    return read_binary_table(table)


def read_binary_table(table: ET.Element) -> pl.DataFrame:
    """:func:`read_binary_votable` for a parsed TABLE element."""
    fields = _fields(table)
    data = next((el for el in table if local(el.tag) == "DATA"), None)
    if data is None:
        return empty_frame(fields)
    serial = data[0] if len(data) else None
    if serial is None or local(serial.tag) not in ("BINARY", "BINARY2"):
        raise Unsupported("serialisation")
    stream = next((el for el in serial if local(el.tag) == "STREAM"), None)
    if stream is None or stream.get("encoding", "base64") != "base64":
        raise Unsupported("stream encoding")
    buf = base64.b64decode((stream.text or "").encode())  # skips the blanks and newlines
    mask_bytes = (len(fields) + 7) // 8 if local(serial.tag) == "BINARY2" else 0
    note_skipped(fields)
    return _decode(np.frombuffer(buf, dtype=np.uint8), buf, fields, mask_bytes)


def _decode(
    arr: npt.NDArray[np.uint8], buf: bytes, fields: list[Field], mask_bytes: int
) -> pl.DataFrame:
    # Split the row into fixed groups separated by variable-length fields.
    group_sizes = [mask_bytes]
    var_fields: list[int] = []
    where: list[tuple[int, int]] = []  # (group, offset in group) of each fixed field
    for i, f in enumerate(fields):
        if f.variable:
            var_fields.append(i)
            where.append((-1, 0))
            group_sizes.append(0)
        else:
            where.append((len(group_sizes) - 1, group_sizes[-1]))
            group_sizes[-1] += f.unit_size
    unit = [fields[i].unit_size for i in var_fields]
    starts, lengths = _scan_rows(buf, group_sizes, unit)
    n = len(starts[0])
    columns: dict[str, pl.Series] = {}
    nulls = _null_flags(arr, starts[0], len(fields)) if mask_bytes else None
    for i, f in enumerate(fields):
        if f.kind == "skip":
            continue
        if f.variable:
            k = var_fields.index(i)
            items = lengths[k] * f.slice
            series = _gather_cells(arr, starts[k + 1] - lengths[k] * unit[k], items, f)
        else:
            group, offset = where[i]
            pos = starts[group] + offset
            if f.kind == "scalar":
                series = _gather_scalar(arr, pos, f, n)
            else:
                series = _gather_cells(arr, pos, np.full(n, f.slice, dtype=np.int64), f)
        if nulls is not None and nulls[:, i].any():
            series = series.set(pl.Series(nulls[:, i]), None)  # type: ignore[arg-type]
        columns[f.name] = finish_column(series.alias(f.name), f)
    return pl.DataFrame(columns, height=n)


def _scan_rows(
    buf: bytes, group_sizes: list[int], element: list[int]
) -> tuple[list[npt.NDArray[np.int64]], list[npt.NDArray[np.int64]]]:
    """Start of every fixed group of every row, and every variable field's element count."""
    total = len(buf)
    first = group_sizes[0]
    if not element:  # fixed-width rows: no scan needed
        if first == 0 or total % first:
            raise Unsupported("stream does not end on a row boundary")
        return [np.arange(0, total, first, dtype=np.int64)], []
    unpack = struct.Struct(">i").unpack_from
    starts = array("q")
    counts = array("q")
    add_start, add_count = starts.append, counts.append
    steps = list(zip(element, group_sizes[1:], strict=True))
    pos = 0
    while pos < total:
        add_start(pos)
        pos += first
        for size, after in steps:
            (count,) = unpack(buf, pos)
            add_count(count)
            pos += 4 + count * size
            add_start(pos)
            pos += after
    if pos != total:
        raise Unsupported("stream does not end on a row boundary")
    width = len(group_sizes)
    start_table = np.frombuffer(starts, dtype=np.int64).reshape(-1, width)
    count_table = np.frombuffer(counts, dtype=np.int64).reshape(-1, width - 1)
    return (
        [np.ascontiguousarray(start_table[:, k]) for k in range(width)],
        [np.ascontiguousarray(count_table[:, k]) for k in range(width - 1)],
    )


def _null_flags(
    arr: npt.NDArray[np.uint8], row_starts: npt.NDArray[np.int64], n_fields: int
) -> npt.NDArray[np.bool_]:
    nbytes = (n_fields + 7) // 8
    raw = arr[row_starts[:, None] + np.arange(nbytes)]
    return np.unpackbits(raw, axis=1, bitorder="big")[:, :n_fields].astype(bool)


def _gather_scalar(
    arr: npt.NDArray[np.uint8], pos: npt.NDArray[np.int64], f: Field, n: int
) -> pl.Series:
    size = f.unit_size
    raw = arr[pos[:, None] + np.arange(size)] if n else np.zeros((0, size), dtype=np.uint8)
    if f.datatype == "boolean":
        return _booleans(raw[:, 0], f.name)
    if f.datatype == "bit":  # the standard sets the first bit; astropy writes 0x08: any bit
        return pl.Series(f.name, raw[:, 0] != 0)
    values = np.ascontiguousarray(raw).view(_NUMERIC[f.datatype]).ravel()
    values = values.astype(values.dtype.newbyteorder("="))
    series = pl.Series(f.name, values)
    return series.fill_nan(None) if values.dtype.kind == "f" else series


def _booleans(values: npt.NDArray[np.uint8], name: str) -> pl.Series:
    """VOTable logicals: T/t/1 true, F/f/0 false, anything else (``?``, blank, NUL) null."""
    truth = np.isin(values, np.frombuffer(b"Tt1", dtype=np.uint8))
    known = truth | np.isin(values, np.frombuffer(b"Ff0", dtype=np.uint8))
    return pl.Series(name, truth).set(pl.Series(~known), None)  # type: ignore[arg-type]


def _gather_cells(
    arr: npt.NDArray[np.uint8],
    starts: npt.NDArray[np.int64],
    items: npt.NDArray[np.int64],
    f: Field,
) -> pl.Series:
    """Cells of ``items`` elements each starting at ``starts``: strings or lists."""
    nbytes = items * f.element_size
    total = int(nbytes.sum())
    out_starts = np.cumsum(nbytes) - nbytes
    index = np.repeat(starts - out_starts, nbytes) + np.arange(total, dtype=np.int64)
    data = arr[index]
    if f.kind == "text":  # an empty string is null, as an empty TABLEDATA cell or CSV field
        text = _text_series(data, nbytes, f)
        return text.set(text.str.len_bytes() == 0, None)  # type: ignore[arg-type]
    offsets = np.concatenate(([0], np.cumsum(items // (f.first if f.kind == "text_list" else 1))))
    if f.kind == "text_list":  # fixed-width strings of `first` characters
        width = f.first * f.element_size
        strings = _text_series(data, np.full(total // width, width, dtype=np.int64), f)
        values: pa.Array = strings.to_arrow()
    elif f.datatype == "boolean":
        values = _booleans(data, f.name).to_arrow()
    else:
        flat = np.ascontiguousarray(data).view(_NUMERIC[f.datatype])
        values = pa.array(flat.astype(flat.dtype.newbyteorder("=")))
    lists = pa.LargeListArray.from_arrays(pa.array(offsets.astype(np.int64)), values)
    return pl.Series(f.name, lists).cast(pl.List(pl.Series(values).dtype))


def _text_series(data: npt.NDArray[np.uint8], nbytes: npt.NDArray[np.int64], f: Field) -> pl.Series:
    if f.datatype == "unicodeChar":
        data, nbytes = _utf16_to_utf8(data, nbytes)
    offsets = np.concatenate(([0], np.cumsum(nbytes))).astype(np.int64)
    strings = pa.LargeStringArray.from_buffers(
        len(nbytes), pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))
    )
    return pl.Series(f.name, strings).cast(pl.String).str.strip_chars_end("\x00 ")


def _utf16_to_utf8(
    data: npt.NDArray[np.uint8], nbytes: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """UTF-16-BE cells → UTF-8 cells, in two C calls and numpy (no loop over rows).

    A cell's UTF-8 length is the sum of its code units' UTF-8 lengths: 1 below U+0080, 2 below
    U+0800, 2 for each half of a surrogate pair (4 for the pair), 3 otherwise.
    """
    units = np.ascontiguousarray(data).view(">u2").astype(np.int64)
    width = np.select(
        [units < 0x80, units < 0x800, (units >= 0xD800) & (units < 0xE000)], [1, 2, 2], 3
    )
    ends = np.cumsum(nbytes // 2)
    byte_ends = np.concatenate(([0], np.cumsum(width)))[ends]
    utf8 = bytes(data).decode("utf-16-be").encode("utf-8")
    return np.frombuffer(utf8, dtype=np.uint8), np.diff(np.concatenate(([0], byte_ends)))
