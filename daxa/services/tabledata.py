"""A reader for VOTables in the TABLEDATA (pure XML) serialisation.

astropy refuses whole answers that hold one field it cannot represent (ESAC TAP+ sends 2-D
text arrays, ``arraysize="100x*"``) and reads an empty integer cell as 0 unless a null value
is declared. The standard says an empty cell is null for every datatype, so this reader takes
the cell texts from the XML tree and converts each column with polars in one step: empty →
null, ``VALUES null`` → null, NaN → null, booleans from ``T/F/1/0/?/true/false``, numeric
arrays as lists, 2-D text as lists of strings, ``xtype="timestamp"`` as UTC datetimes. 64-bit
integers are parsed from their text, so ids stay exact.
"""

from __future__ import annotations

import html
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import polars as pl

from daxa.services.vofields import (
    FLOAT,
    INTEGER,
    Field,
    empty_frame,
    finish_column,
    local,
    note_skipped,
    read_fields,
)

log = logging.getLogger("daxa.services")

_TRUE = ["t", "true", "1"]
_FALSE = ["f", "false", "0"]


@dataclass(frozen=True)
class Cells:
    """The cell texts of a TABLEDATA element read straight from the bytes, row after row
    (``""`` for ``<TD/>``), and the number of rows."""

    flat: list[str]
    n_rows: int


class Irregular(Exception):
    """Rows of uneven length among cells read from the bytes: read the document as a tree."""


_OPEN = re.compile(rb"<([\w.-]+:)?TABLEDATA\s*>")
_CLOSE = re.compile(rb"</(?:[\w.-]+:)?TABLEDATA\s*>")
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.-]+)["']""")


def split_tabledata(document: bytes) -> tuple[bytes, Cells] | None:
    """The document without its first TABLEDATA's rows, and those rows' cells.

    An XML tree of a large TABLEDATA answer costs one Python object per cell (most of the
    time astropy and ElementTree spend); the cells are plain text, so a regular expression
    reads them. None when the document is not plain enough for that (no TABLEDATA, CDATA
    sections or comments among the rows, an encoding other than UTF-8): read it as a tree.
    """
    opened = _OPEN.search(document)
    if opened is None:
        return None
    closed = _CLOSE.search(document, opened.end())
    if closed is None:
        return None
    declared = _ENCODING.match(document)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        return None
    raw = document[opened.end() : closed.start()]
    if b"<![CDATA[" in raw or b"<!--" in raw or b"\r" in raw:
        return None
    body = raw.decode("utf-8")
    prefix = re.escape((opened.group(1) or b"").decode())
    # a cell's text runs to the next "<" (its end tag): markup inside cells was ruled out above
    cells = re.findall(rf"<{prefix}TD(?:\s[^>]*)?(?:/>|>([^<]*)<)", body)
    if "&" in body:  # entities (&lt; &amp; &#233;...) only where there are any
        cells = [html.unescape(c) if "&" in c else c for c in cells]
    n_rows = len(re.findall(rf"<{prefix}TR[\s>/]", body))
    skeleton = document[: opened.end()] + document[closed.start() :]
    return skeleton, Cells(cells, n_rows)


def read_tabledata(table: ET.Element, cells: Cells | None = None) -> pl.DataFrame | None:
    """The rows of a TABLE element whose DATA is TABLEDATA (None when it is not).

    ``cells`` are the rows taken out of the document by :func:`split_tabledata` (the TABLE
    element then holds an empty TABLEDATA); :class:`Irregular` when their rows are uneven.
    Raises :class:`~daxa.services.vofields.BadField` for a FIELD whose arraysize is not
    understood.
    """
    fields = read_fields(table)
    data = next((el for el in table if local(el.tag) == "DATA"), None)
    if data is None:
        return empty_frame(fields)
    body = data[0] if len(data) else None
    if body is None or local(body.tag) != "TABLEDATA":
        return None
    note_skipped(fields)
    n_fields = len(fields)
    columns: list[list[str | None]]
    if cells is not None:
        n_rows = cells.n_rows
        if len(cells.flat) != n_rows * n_fields:
            raise Irregular(f"{len(cells.flat)} cells in {n_rows} rows of {n_fields} fields")
        columns = [list(cells.flat[i::n_fields]) for i in range(n_fields)]
    else:
        trs = [tr for tr in body if local(tr.tag) == "TR"]
        n_rows = len(trs)
        if all(len(tr) == n_fields for tr in trs):
            flat = [td.text for tr in trs for td in tr]
            columns = [flat[i::n_fields] for i in range(n_fields)]
        else:  # rows with missing or extra cells: pad with nulls, ignore extras
            log.info("TABLEDATA rows with a cell count other than %d: padded with nulls", n_fields)
            rows = [[td.text for td in tr][:n_fields] for tr in trs]
            padded = [row + [None] * (n_fields - len(row)) for row in rows]
            columns = [[row[i] for row in padded] for i in range(n_fields)]
    out = {
        f.name: finish_column(convert(pl.Series(f.name, col, dtype=pl.String), f), f)
        for f, col in zip(fields, columns, strict=True)
        if f.kind != "skip"
    }
    return pl.DataFrame(out, height=n_rows)


def convert(cells: pl.Series, f: Field) -> pl.Series:
    """TABLEDATA cell texts (None for ``<TD/>``) → the field's type; empty cells are null."""
    text = cells.str.strip_chars()
    text = text.set(text.str.len_bytes() == 0, None)  # type: ignore[arg-type]
    if f.kind == "text":
        return text
    if f.kind == "text_list":  # fixed-width strings run together
        chunks = cells.str.extract_all(f"(?s).{{1,{f.first}}}")
        kept = chunks.list.eval(pl.element().str.strip_chars()).list.eval(
            pl.element().filter(pl.element().str.len_bytes() > 0)
        )
        return kept.set(text.is_null(), None)  # type: ignore[arg-type]
    if f.kind == "list":
        items = text.str.replace_all(r"[\s,]+", " ").str.split(" ")
        return items.list.eval(_scalar(pl.element(), f)).alias(f.name)
    out = pl.select(_scalar(pl.lit(text), f).alias(f.name)).to_series()
    lost = int((out.is_null() & text.is_not_null() & (text.str.to_lowercase() != "nan")).sum())
    if lost and f.datatype == "boolean":
        lost -= int((text == "?").sum())
    if lost:
        log.info("TABLEDATA column %r: %d cell(s) not a %s, read as null", f.name, lost, f.datatype)
    return out


def _scalar(s: pl.Expr, f: Field) -> pl.Expr:
    if f.datatype in ("boolean", "bit"):
        low = s.str.to_lowercase()
        return pl.when(low.is_in(_TRUE)).then(True).when(low.is_in(_FALSE)).then(False)
    if f.datatype in FLOAT:
        return s.cast(pl.Float64, strict=False).fill_nan(None).cast(FLOAT[f.datatype])
    dtype = INTEGER[f.datatype]
    hex_value = (
        s.str.strip_prefix("0x").str.strip_prefix("0X").str.to_integer(base=16, strict=False)
    )
    return (
        pl.when(s.str.to_lowercase().str.starts_with("0x"))
        .then(hex_value)
        .otherwise(s.cast(pl.Int64, strict=False))
        .cast(dtype, strict=False)
    )
