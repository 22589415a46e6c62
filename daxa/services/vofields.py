"""What a VOTable ``FIELD`` says about its cells, shared by the BINARY and TABLEDATA readers.

A field is a scalar, a 1-D array (``arraysize="5"``, ``"*"``, ``"12*"``) or a multi-dimensional
array (``"100x*"``, ``"2x3"``). Text fields count characters along their first dimension, so a
``char`` field with one dimension is one string and with two a list of strings. Cells that no
reader here can represent (complex numbers, bit arrays) are skipped with a logged note rather
than failing the table.

>>> f = Field.from_attributes("files", "char", "100x*")
>>> (f.variable, f.slice, f.kind)
(True, 100, 'text_list')
>>> Field.from_attributes("ra", "double", None).kind
'scalar'
"""

from __future__ import annotations

import logging
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import polars as pl

log = logging.getLogger("daxa.services")

#: Byte size of one element of each datatype in BINARY/BINARY2 (bit is handled apart).
ELEMENT_SIZE = {
    "boolean": 1,
    "unsignedByte": 1,
    "short": 2,
    "int": 4,
    "long": 8,
    "float": 4,
    "double": 8,
    "char": 1,
    "unicodeChar": 2,
    "floatComplex": 8,
    "doubleComplex": 16,
}
TEXT = ("char", "unicodeChar")
INTEGER = {"unsignedByte": pl.UInt8, "short": pl.Int16, "int": pl.Int32, "long": pl.Int64}
FLOAT = {"float": pl.Float32, "double": pl.Float64}
#: xtype values meaning "an ISO-8601 time in a string" (DALI 1.1; TAP 1.0 wrote adql:TIMESTAMP).
TIMESTAMP_XTYPES = frozenset({"timestamp", "adql:timestamp"})


class BadField(ValueError):
    """A FIELD whose arraysize cannot be understood."""


@dataclass(frozen=True)
class Field:
    """One column's declaration: datatype, array shape, null value and xtype."""

    name: str
    datatype: str
    #: elements per cell for fixed-size fields; elements per count unit for variable ones
    slice: int
    variable: bool
    dims: int
    null: str | None = None
    xtype: str | None = None
    #: the first dimension: characters per string of a text field
    first: int = 1

    @classmethod
    def from_attributes(
        cls,
        name: str,
        datatype: str,
        arraysize: str | None,
        null: str | None = None,
        xtype: str | None = None,
    ) -> Field:
        if not arraysize:
            return cls(name, datatype, 1, False, 0, null, xtype, 1)
        parts = arraysize.strip().split("x")
        last = parts[-1]
        variable = last.endswith("*")
        fixed = parts[:-1] if variable else parts
        bound = last[:-1] if variable else ""
        if not all(p.isdigit() for p in fixed) or (bound and not bound.isdigit()):
            raise BadField(f"arraysize {arraysize!r} of field {name!r}")
        return cls(
            name,
            datatype,
            math.prod(int(p) for p in fixed),
            variable,
            len(parts),
            null,
            xtype,
            int(fixed[0]) if fixed else 1,
        )

    @property
    def kind(self) -> str:
        """How the cells come out: ``scalar``, ``text``, ``text_list``, ``list`` or ``skip``."""
        if self.datatype == "bit":  # one bit is a logical; bit arrays have no column type here
            return "scalar" if self.dims == 0 else "skip"
        if self.datatype not in ELEMENT_SIZE or self.datatype.endswith("Complex"):
            return "skip"
        if self.datatype in TEXT:
            return "text" if self.dims <= 1 else "text_list"
        if self.dims == 0:
            return "scalar"
        return "list"

    @property
    def element_size(self) -> int:
        """Bytes per element in BINARY/BINARY2."""
        return ELEMENT_SIZE[self.datatype]

    @property
    def unit_size(self) -> int:
        """Bytes of a fixed cell, or per counted item of a variable one."""
        if self.datatype == "bit":
            return (self.slice + 7) // 8
        return self.element_size * self.slice

    @property
    def timestamp(self) -> bool:
        return self.datatype in TEXT and (self.xtype or "").lower() in TIMESTAMP_XTYPES


def polars_dtype(f: Field) -> pl.DataType:
    """The column type a field's cells decode to."""
    if f.kind in ("text", "text_list"):
        base: pl.DataType = pl.Datetime("us", "UTC") if f.timestamp else pl.String()
    elif f.datatype in ("boolean", "bit"):
        base = pl.Boolean()
    else:
        base = (INTEGER.get(f.datatype) or FLOAT[f.datatype])()
    return pl.List(base) if f.kind in ("list", "text_list") else base


def empty_frame(fields: list[Field]) -> pl.DataFrame:
    """A table with no rows (a TABLE without DATA) typed as its fields say."""
    return pl.DataFrame(schema={f.name: polars_dtype(f) for f in fields if f.kind != "skip"})


def local(tag: str) -> str:
    """An element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def read_fields(table: ET.Element) -> list[Field]:
    """The FIELDs of a TABLE element, in order, with unique names (``name``, ``name_2``...)."""
    out: list[Field] = []
    seen: set[str] = set()
    for el in table:
        if local(el.tag) != "FIELD":
            continue
        name = el.get("name") or el.get("ID") or f"col{len(out)}"
        base, k = name, 1
        while name in seen:
            k += 1
            name = f"{base}_{k}"
        seen.add(name)
        null = next((v.get("null") for v in el if local(v.tag) == "VALUES"), None)
        out.append(
            Field.from_attributes(
                name, el.get("datatype", ""), el.get("arraysize"), null, el.get("xtype")
            )
        )
    return out


def note_skipped(fields: list[Field]) -> None:
    """Log each field left out of the frame, and why."""
    for f in fields:
        if f.kind == "skip":
            log.info(
                "VOTable column %r (datatype %s) skipped: not representable", f.name, f.datatype
            )


def finish_column(series: pl.Series, f: Field) -> pl.Series:
    """A decoded column with the field's ``VALUES null`` and ``xtype="timestamp"`` applied.

    Text null values and timestamp strings are matched after stripping blanks.
    """
    if f.null is not None and f.kind in ("scalar", "text"):
        series = _apply_null(series, f)
    elif f.null is not None and f.kind == "list" and f.datatype in INTEGER:
        try:
            value = int(f.null, 0)
        except ValueError:
            value = None
        if value is not None:  # null elements inside integer arrays
            element = pl.element()
            series = series.list.eval(pl.when(element != value).then(element))
    if f.timestamp and series.dtype == pl.String:
        series = parse_timestamps(series)
    return series


def _apply_null(series: pl.Series, f: Field) -> pl.Series:
    assert f.null is not None
    if series.dtype == pl.String:
        hit = series.str.strip_chars() == f.null.strip()
    elif series.dtype == pl.Boolean:
        return series
    else:
        try:
            value = float(f.null) if series.dtype.is_float() else int(f.null, 0)
        except ValueError:
            log.info("VOTable column %r: null value %r ignored (not a number)", f.name, f.null)
            return series
        hit = series == value
    if not hit.fill_null(False).any():
        return series
    return series.set(hit.fill_null(False), None)  # type: ignore[arg-type]


def parse_timestamps(series: pl.Series) -> pl.Series:
    """ISO-8601 strings (``2025-01-13T15:49:43.001``, optional ``Z``) → Datetime(us, UTC).

    Empty strings are null; a string that is not a time is null too, and logged.
    """
    text = series.str.strip_chars().str.strip_suffix("Z")
    text = pl.Series(series.name, text).replace("", None)
    out = text.str.to_datetime(time_unit="us", strict=False, time_zone="UTC")
    lost = int((out.is_null() & text.is_not_null()).sum())
    if lost:
        log.info("VOTable column %r: %d timestamp(s) not readable, left null", series.name, lost)
    return out
