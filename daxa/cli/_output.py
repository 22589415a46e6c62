"""Printing tables for people and writing them to files (:mod:`daxa.outputs`), for every
subcommand.

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


def write_table(table: pl.DataFrame, path: str | Path) -> Path:
    """Write ``table`` to ``path`` (format from the suffix) through :mod:`daxa.outputs`."""
    from daxa.outputs import write_table as write

    return write(table, path)
