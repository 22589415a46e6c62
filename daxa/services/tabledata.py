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

import logging
import xml.etree.ElementTree as ET

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


def read_tabledata(table: ET.Element) -> pl.DataFrame | None:
    """The rows of a TABLE element whose DATA is TABLEDATA (None when it is not).

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
    rows = [tr for tr in body if local(tr.tag) == "TR"]
    n_fields = len(fields)
    if all(len(tr) == n_fields for tr in rows):
        cells = [td.text for tr in rows for td in tr]
        columns = [cells[i::n_fields] for i in range(n_fields)]
    else:  # rows with missing or extra cells: pad with nulls, ignore extras
        log.info("TABLEDATA rows with a cell count other than %d: padded with nulls", n_fields)
        padded = [[td.text for td in tr][:n_fields] + [None] * n_fields for tr in rows]
        columns = [[row[i] for row in padded] for i in range(n_fields)]
    out = {
        f.name: finish_column(convert(pl.Series(f.name, col, dtype=pl.String), f), f)
        for f, col in zip(fields, columns, strict=True)
        if f.kind != "skip"
    }
    return pl.DataFrame(out, height=len(rows))


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
