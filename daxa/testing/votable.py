"""VOTable 1.4 documents from polars frames, as TAP services send them.

The BINARY serialisation (base64 inside ``<STREAM>``) is what HEASARC and XSA answer with; it is
packed here with numpy, column by column, instead of row by row through astropy's writer, so a
373,000-row Swift table encodes in about a second. TABLEDATA is built with polars string
expressions. Nulls follow the VOTable spec: NaN for floats, a ``<VALUES null="...">`` sentinel
for integers (only declared when a column has nulls), ``?`` for booleans, and the empty string
for text.

>>> import polars as pl
>>> doc = votable_binary(pl.DataFrame({"obsid": [1, 2], "ra": [10.5, None]}), table="t")
>>> b'<FIELD name="ra" datatype="double"/>' in doc
True
>>> from astropy.io.votable import parse_single_table
>>> import io
>>> parse_single_table(io.BytesIO(doc)).to_table()["obsid"].tolist()
[1, 2]
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import numpy.typing as npt
import polars as pl

#: VOTable 1.4 still uses the 1.3 namespace.
NAMESPACE = "http://www.ivoa.net/xml/VOTable/v1.3"

#: Rows packed at once by the BINARY writer; bounds the temporary index arrays (~30 MB).
_CHUNK_ROWS = 32_768


@dataclass(frozen=True)
class _Column:
    """One output column: its FIELD attributes and how its cells are encoded."""

    name: str
    datatype: str
    arraysize: str | None = None
    xtype: str | None = None
    null: int | None = None  # integer sentinel, declared in <VALUES> when set

    def field_xml(self) -> str:
        attrs = f"name={quoteattr(self.name)} datatype={quoteattr(self.datatype)}"
        if self.arraysize:
            attrs += f" arraysize={quoteattr(self.arraysize)}"
        if self.xtype:
            attrs += f" xtype={quoteattr(self.xtype)}"
        if self.null is None:
            return f"<FIELD {attrs}/>"
        return f'<FIELD {attrs}><VALUES null="{self.null}"/></FIELD>'


# polars integer type -> (VOTable datatype, numpy big-endian dtype, null sentinel)
_INTEGERS: dict[type[pl.DataType], tuple[str, str, int]] = {
    pl.Int8: ("short", ">i2", -32768),
    pl.Int16: ("short", ">i2", -32768),
    pl.Int32: ("int", ">i4", -2147483648),
    pl.Int64: ("long", ">i8", -9223372036854775808),
    pl.UInt8: ("unsignedByte", ">u1", 255),
    pl.UInt16: ("int", ">i4", -2147483648),
    pl.UInt32: ("long", ">i8", -9223372036854775808),
    pl.UInt64: ("long", ">i8", -9223372036854775808),
}
_TEXT_FORMATS = {pl.Date: ("%Y-%m-%d", "date"), pl.Time: ("%H:%M:%S%.f", None)}


def votable_binary(
    frame: pl.DataFrame,
    *,
    table: str = "results",
    infos: Iterable[tuple[str, str, str]] = (),
    overflow: bool = False,
) -> bytes:
    """A VOTable document holding ``frame`` in the BINARY serialisation.

    ``infos`` are extra ``(name, value, text)`` INFO elements put before the table;
    ``overflow`` adds the TAP ``QUERY_STATUS=OVERFLOW`` marker after it (the result was capped).
    """
    frame, columns = _prepare(frame)
    stream = base64.b64encode(_pack_binary(frame, columns))
    head, tail = _envelope(columns, table, infos, overflow)
    return b"".join(
        [
            head.encode(),
            b'<DATA><BINARY><STREAM encoding="base64">\n',
            stream,
            b"\n</STREAM></BINARY></DATA>\n",
            tail.encode(),
        ]
    )


def votable_tabledata(
    frame: pl.DataFrame,
    *,
    table: str = "results",
    infos: Iterable[tuple[str, str, str]] = (),
    overflow: bool = False,
) -> bytes:
    """A VOTable document holding ``frame`` in the TABLEDATA (XML cells) serialisation."""
    frame, columns = _prepare(frame)
    head, tail = _envelope(columns, table, infos, overflow)
    return b"".join(
        [
            head.encode(),
            b"<DATA><TABLEDATA>\n",
            _tabledata_rows(frame, columns).encode(),
            b"</TABLEDATA></DATA>\n",
            tail.encode(),
        ]
    )


def votable_error(message: str, *, infos: Iterable[tuple[str, str, str]] = ()) -> bytes:
    """The TAP error document: a results RESOURCE whose QUERY_STATUS INFO says ERROR.

    >>> b'<INFO name="QUERY_STATUS" value="ERROR">no such table</INFO>' in votable_error(
    ...     "no such table")
    True
    """
    extra = "".join(_info(*i) for i in infos)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<VOTABLE version="1.4" xmlns="{NAMESPACE}">\n'
        '<RESOURCE type="results">\n'
        f'<INFO name="QUERY_STATUS" value="ERROR">{escape(message)}</INFO>\n'
        f"{extra}"
        "</RESOURCE>\n</VOTABLE>\n"
    ).encode()


def _info(name: str, value: str, text: str = "") -> str:
    if text:
        return f"<INFO name={quoteattr(name)} value={quoteattr(value)}>{escape(text)}</INFO>\n"
    return f"<INFO name={quoteattr(name)} value={quoteattr(value)}/>\n"


def _envelope(
    columns: list[_Column], table: str, infos: Iterable[tuple[str, str, str]], overflow: bool
) -> tuple[str, str]:
    fields = "\n".join(c.field_xml() for c in columns)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<VOTABLE version="1.4" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns="{NAMESPACE}">\n'
        '<RESOURCE type="results">\n'
        '<INFO name="QUERY_STATUS" value="OK"/>\n'
        + "".join(_info(*i) for i in infos)
        + f"<TABLE name={quoteattr(table)}>\n{fields}\n"
    )
    tail = "</TABLE>\n"
    if overflow:
        tail += '<INFO name="QUERY_STATUS" value="OVERFLOW"/>\n'
    return head, tail + "</RESOURCE>\n</VOTABLE>\n"


def _prepare(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[_Column]]:
    """Cast every column to what it is written as; describe each column's FIELD."""
    casts: list[pl.Expr] = []
    columns: list[_Column] = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        base = dtype.base_type()
        if base in (pl.Float32, pl.Float64):
            columns.append(_Column(name, "float" if base == pl.Float32 else "double"))
            casts.append(col.fill_null(float("nan")))
        elif base in _INTEGERS:
            datatype, _, sentinel = _INTEGERS[base]
            has_null = frame[name].null_count() > 0
            columns.append(_Column(name, datatype, null=sentinel if has_null else None))
            casts.append(col)
        elif base == pl.Boolean:
            columns.append(_Column(name, "boolean"))
            casts.append(col)
        elif base == pl.Datetime:
            columns.append(_Column(name, "char", "*", xtype="timestamp"))
            casts.append(col.dt.to_string("%Y-%m-%dT%H:%M:%S%.3f"))
        elif base in _TEXT_FORMATS:
            fmt, xtype = _TEXT_FORMATS[base]
            columns.append(_Column(name, "char", "*", xtype=xtype))
            casts.append(col.dt.to_string(fmt))
        else:
            text = frame[name].cast(pl.String)
            ascii_only = bool(text.str.contains(r"^[\x00-\x7f]*$").fill_null(True).all())
            columns.append(_Column(name, "char" if ascii_only else "unicodeChar", "*"))
            casts.append(col.cast(pl.String))
    return frame.select(casts), columns


def _pack_binary(frame: pl.DataFrame, columns: list[_Column]) -> bytes:
    """The raw BINARY stream: rows of big-endian cells, strings with a 4-byte length prefix."""
    parts = [
        _pack_chunk(frame.slice(start, _CHUNK_ROWS), columns)
        for start in range(0, frame.height, _CHUNK_ROWS)
    ]
    return b"".join(parts)


def _fixed_block(series: pl.Series, column: _Column) -> npt.NDArray[np.uint8]:
    """(n, width) bytes of a fixed-width column."""
    n = series.len()
    if column.datatype in ("double", "float"):
        dtype = ">f8" if column.datatype == "double" else ">f4"
        values = series.to_numpy().astype(dtype)
    elif column.datatype == "boolean":
        codes = series.cast(pl.UInt8).fill_null(2).to_numpy()
        values = np.frombuffer(b"FT?", dtype=np.uint8)[codes]
    else:
        _, dtype, _ = _INTEGERS[series.dtype.base_type()]
        filled = series.fill_null(column.null) if column.null is not None else series
        values = filled.to_numpy().astype(dtype)
    return np.ascontiguousarray(values).view(np.uint8).reshape(n, -1)


def _text_cells(
    series: pl.Series, column: _Column
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], bytes]:
    """Per-row (length in characters, length in bytes) and the concatenated encoded text."""
    values = series.fill_null("")
    if column.datatype == "char":
        nbytes = values.str.len_bytes().to_numpy().astype(np.int64)
        return nbytes, nbytes, "".join(values.to_list()).encode("ascii")
    # unicodeChar is UCS-2: characters outside the Basic Multilingual Plane become "?"
    texts = [_to_bmp(v).encode("utf-16-be") for v in values.to_list()]
    lens = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    return lens // 2, lens, b"".join(texts)


def _to_bmp(text: str) -> str:
    if text.isascii() or max(map(ord, text)) < 0x10000:
        return text
    return "".join(c if ord(c) < 0x10000 else "?" for c in text)


def _pack_chunk(frame: pl.DataFrame, columns: list[_Column]) -> bytes:
    """Pack one slice of rows by gathering byte runs into row order.

    A row is laid out as fixed-width groups (numbers, booleans, the length prefixes of strings)
    alternating with variable-length string bytes; every piece is a run of bytes copied from
    one source buffer, so one ``np.repeat`` builds the gather index for the whole slice.
    """
    n = frame.height
    sources: list[npt.NDArray[np.uint8]] = []
    piece_len: list[npt.NDArray[np.int64]] = []  # one (n,) array per piece, in row order
    piece_src: list[npt.NDArray[np.int64]] = []
    group: list[npt.NDArray[np.uint8]] = []
    offset = 0

    def close_group() -> None:
        nonlocal offset
        block = np.hstack(group) if group else np.zeros((n, 0), dtype=np.uint8)
        width = block.shape[1]
        sources.append(block.ravel())
        piece_len.append(np.full(n, width, dtype=np.int64))
        piece_src.append(offset + width * np.arange(n, dtype=np.int64))
        offset += block.size
        group.clear()

    for column in columns:
        series = frame[column.name]
        if column.arraysize != "*":
            group.append(_fixed_block(series, column))
            continue
        chars, nbytes, data = _text_cells(series, column)
        group.append(chars.astype(">i4").view(np.uint8).reshape(n, 4))
        close_group()
        starts = np.concatenate(([0], np.cumsum(nbytes)[:-1])) if n else nbytes
        sources.append(np.frombuffer(data, dtype=np.uint8))
        piece_len.append(nbytes)
        piece_src.append(offset + starts)
        offset += len(data)
    close_group()

    lengths = np.stack(piece_len, axis=1).ravel()
    starts = np.stack(piece_src, axis=1).ravel()
    total = int(lengths.sum())
    out_starts = np.cumsum(lengths) - lengths
    index = np.repeat(starts - out_starts, lengths) + np.arange(total, dtype=np.int64)
    return np.concatenate(sources)[index].tobytes()


def _tabledata_rows(frame: pl.DataFrame, columns: list[_Column]) -> str:
    """All <TR> rows, built column-wise with polars string expressions."""
    if frame.width == 0 or frame.height == 0:
        return ""
    cells: list[pl.Expr] = []
    for column in columns:
        col = pl.col(column.name)
        if column.datatype == "boolean":
            text = pl.when(col).then(pl.lit("T")).when(~col).then(pl.lit("F")).otherwise(None)
        elif column.null is not None:
            text = col.fill_null(column.null).cast(pl.String)
        elif column.arraysize == "*":
            text = (
                col.str.replace_all("&", "&amp;", literal=True)
                .str.replace_all("<", "&lt;", literal=True)
                .str.replace_all(">", "&gt;", literal=True)
            )
        else:
            text = col.cast(pl.String)
        cells.append(text.fill_null(""))
    pieces: list[pl.Expr] = [pl.lit("<TR><TD>")]
    for i, cell in enumerate(cells):
        if i:
            pieces.append(pl.lit("</TD><TD>"))
        pieces.append(cell)
    pieces.append(pl.lit("</TD></TR>\n"))
    rows = frame.select(pl.concat_str(pieces).alias("row"))["row"]
    return "".join(rows.to_list())
