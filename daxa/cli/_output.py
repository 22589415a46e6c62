"""Printing tables for people and writing them to files, for every subcommand.

>>> import polars as pl
>>> print(format_table(pl.DataFrame({"mission": ["xmm_pointed", "chandra"],
...                                  "rows": [17986, 24786]})))
mission       rows
-----------  ------
xmm_pointed  17,986
chandra      24,786
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from daxa.atomic import atomic_path
from daxa.errors import InputError

#: Short mission labels for wide tables (one column per mission) on an 100-column terminal.
SHORT_NAMES = {
    "xmm_pointed": "xmm",
    "chandra": "chandra",
    "nustar_pointed": "nustar",
    "erosita_calpv": "calpv",
    "erosita_all_sky_de_dr1": "erass1",
    "rosat_pointed": "rosat",
    "rosat_all_sky": "rass",
    "swift": "swift",
    "suzaku": "suzaku",
    "asca": "asca",
    "integral_pointed": "integral",
    "xrism_pointed": "xrism",
}

#: File types ``write_table`` understands, by suffix.
TABLE_SUFFIXES = (".csv", ".parquet", ".pq", ".json", ".ndjson", ".fits")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 1e3:
            return f"{value:,.0f}"
        return f"{value:.4g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, timedelta):
        return f"{value.total_seconds() / 1000:.1f} ks"
    if isinstance(value, list | tuple):
        return ",".join(_cell(v) for v in value) or "-"
    return str(value)


_COORDINATES = frozenset({"ra", "dec", "pos_ra", "pos_dec"})


def _typed_cell(value: object, kind: str) -> str:
    if value is None:
        return "-"
    if kind == "plain":
        return str(value)
    if kind == "coord" and isinstance(value, float):
        return f"{value:.4f}"
    return _cell(value)


def format_table(table: pl.DataFrame, *, max_rows: int = 20, max_width: int = 40) -> str:
    """``table`` as aligned plain text: numbers right-aligned with thousands separators.

    Long tables show their first ``max_rows`` rows and say how many more there are.
    """
    shown = table.head(max_rows)
    columns = shown.columns
    # years and identifiers read better without thousands separators, coordinates with 4 decimals
    kinds = [
        "plain"
        if ("year" in c or c.endswith("_id") or c == "pos_index")
        else "coord"
        if c in _COORDINATES
        else "any"
        for c in columns
    ]
    cells = [
        [_typed_cell(v, k)[:max_width] for v, k in zip(row, kinds, strict=True)]
        for row in shown.iter_rows()
    ]
    numeric = [shown.schema[c].is_numeric() for c in columns]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    if table.height > max_rows:
        out.append(f"... and {table.height - max_rows:,} more rows")
    return "\n".join(out)


def _flatten_for_text(table: pl.DataFrame) -> pl.DataFrame:
    """Lists become comma-joined strings and durations seconds, for CSV and FITS."""
    exprs = []
    for name, dtype in table.schema.items():
        if isinstance(dtype, pl.List):
            exprs.append(pl.col(name).cast(pl.List(pl.String)).list.join(",").alias(name))
        elif isinstance(dtype, pl.Duration):
            exprs.append((pl.col(name).dt.total_microseconds() / 1e6).alias(name + "_s"))
        elif isinstance(dtype, pl.Struct | pl.Object):
            exprs.append(pl.col(name).cast(pl.String).alias(name))
        else:
            exprs.append(pl.col(name))
    return table.select(exprs)


def write_table(table: pl.DataFrame, path: str | Path) -> Path:
    """Write ``table`` to ``path``; the suffix picks the format (CSV, Parquet, JSON, FITS).

    The file is written beside ``path`` and renamed into place (daxa.atomic): a failure leaves
    the previous file and no temporary behind.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(
            f"cannot write {str(path)!r}: unknown file type {suffix or '(none)'!r}; use one of "
            + ", ".join(TABLE_SUFFIXES)
        )
    try:
        with atomic_path(path) as temp:
            _write_as(table, temp, suffix)
    except OSError as exc:
        raise InputError(
            f"could not write {path}: {exc.strerror or exc}; the previous file (if any) is "
            "unchanged"
        ) from None
    return path


def _write_as(table: pl.DataFrame, path: Path, suffix: str) -> None:
    """Write ``table`` to ``path`` in the format of ``suffix`` (path is a temporary name)."""
    if suffix in (".parquet", ".pq"):
        table.write_parquet(path)
    elif suffix == ".csv":
        _flatten_for_text(table).write_csv(path)
    elif suffix == ".json":
        table.write_json(path)
    elif suffix == ".ndjson":
        table.write_ndjson(path)
    else:
        from astropy.table import Table

        flat = _flatten_for_text(table)
        flat = flat.with_columns(
            pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%S%.f")
            for c, t in flat.schema.items()
            if isinstance(t, pl.Datetime)
        )
        Table.from_pandas(flat.to_pandas()).write(path, format="fits", overwrite=True)
