"""Positions from any input: RA/Dec in degrees, the user's id, and the table they came from.

:func:`read_positions` is what every positional entry point (the positions filters,
``daxa.search``, ``daxa.sql.connect().match_positions``, the CLI) calls. Numbers are degrees in
each mission's own frame (ICRS or FK5 J2000, as DAXA reads them); a ``SkyCoord`` in any frame
is transformed to each mission's frame (:meth:`PositionTable.in_frame`); RA/Dec text columns
may be sexagesimal (RA in hours).

>>> p = read_positions({"RAJ2000": [10.0, 20.0], "DEJ2000": [1.0, -2.0], "Name": ["a", "b"]})
>>> p.ra.tolist(), p.id_column, p.ids().to_list()
([10.0, 20.0], 'Name', ['a', 'b'])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.inputs._text import TABLE_FORMS, short
from daxa.inputs.columns import find_column
from daxa.inputs.load import to_table
from daxa.inputs.tables import Table

FloatArray = npt.NDArray[np.float64]


@dataclass
class PositionTable:
    """Positions ready for matching (see the module docstring)."""

    ra: FloatArray
    dec: FloatArray
    table: Table
    columns: tuple[str, str] | None = None
    id_column: str | None = None
    skycoord: Any = None
    _by_frame: dict[str, tuple[FloatArray, FloatArray]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.ra.size)

    def in_frame(self, frame: str) -> tuple[FloatArray, FloatArray]:
        """RA and Dec in degrees in ``frame`` ('icrs' or 'fk5' J2000): a SkyCoord is
        transformed; plain numbers are taken to be in every frame already."""
        if self.skycoord is None or frame == "icrs":
            return self.ra, self.dec
        if frame not in self._by_frame:
            sc = (
                self.skycoord.reshape(-1)
                if not self.skycoord.isscalar
                else self.skycoord.reshape(1)
            )
            moved = sc.transform_to(frame).spherical
            ra = np.asarray(moved.lon.deg, dtype=np.float64)
            self._by_frame[frame] = (np.mod(ra, 360.0), np.asarray(moved.lat.deg, np.float64))
        return self._by_frame[frame]

    def ids(self) -> pl.Series | None:
        """The user's id column (None when there is none)."""
        return None if self.id_column is None else self.table.frame[self.id_column]

    def carried(self, keep: tuple[str, ...] | list[str] = ()) -> pl.DataFrame:
        """``row_id`` (the id column) and the ``keep`` columns, one row per position."""
        frame = self.table.frame
        cols: list[pl.Series] = []
        if self.id_column is not None:
            cols.append(frame[self.id_column].alias("row_id"))
        for name in keep:
            real = find_column(
                frame.columns, "id", given=name, label=self.table.label, option="keep="
            )
            assert real is not None
            cols.append(frame[real])
        return pl.DataFrame(cols)


def degrees_column(series: pl.Series, *, hours: bool, label: str) -> FloatArray:
    """A column of angles in degrees: numbers, or text (decimal degrees or sexagesimal, RA in
    hours when ``hours``); missing values become NaN."""
    if series.dtype.is_numeric() or series.dtype == pl.Null:
        return series.cast(pl.Float64).fill_null(np.nan).to_numpy()
    if series.dtype not in (pl.String, pl.Utf8):
        raise InputError(f"{label} column {series.name!r} holds {series.dtype}, not angles")
    as_float = series.str.strip_chars().cast(pl.Float64, strict=False)
    text = series.str.strip_chars()
    if (as_float.is_null() == text.is_null()).all():
        return as_float.fill_null(np.nan).to_numpy()
    from astropy import units as u
    from astropy.coordinates import Angle

    out = np.full(series.len(), np.nan)
    good = text.is_not_null().to_numpy()
    try:
        angles = Angle(
            text.filter(text.is_not_null()).to_list(), unit=u.hourangle if hours else u.deg
        )
    except Exception as exc:
        first = text.drop_nulls().head(1).to_list()
        raise InputError(
            f"{label} column {series.name!r}: cannot read {short(first[0] if first else None)} as "
            f"an angle ({exc}); give degrees or sexagesimal ('05:34:31.9', '+22:00:52')"
        ) from None
    out[good] = angles.deg
    return out


def read_positions(
    positions: Any,
    *,
    ra: str | None = None,
    dec: str | None = None,
    id: str | bool | None = None,
    what: str = "positions",
    allow_missing: bool = False,
    allow_empty: bool = False,
) -> PositionTable:
    """Positions from ``positions`` (any form :func:`daxa.inputs.load.to_table` takes).

    ``ra``/``dec``/``id`` name columns (found by UCD or name otherwise; ``id=False``: none).
    ``allow_missing``: keep rows with missing or impossible coordinates as NaN (the caller
    skips them); otherwise they are an InputError naming the first. ``allow_empty``: no rows
    is not an error.
    """
    if positions is None:
        raise InputError(f"no {what} given; give {TABLE_FORMS}")
    table = to_table(positions, what=what)
    frame = table.frame
    label = table.label
    if table.skycoord is not None:
        ra_deg, dec_deg = frame["ra"].to_numpy(), frame["dec"].to_numpy()
        columns = None
        id_col = None
    else:
        kw: dict[str, Any] = {"units": table.units, "ucds": table.ucds, "label": label}
        ra_col = find_column(frame.columns, "ra", given=ra, **kw)
        dec_col = find_column(frame.columns, "dec", given=dec, **kw)
        assert ra_col is not None and dec_col is not None
        columns = (ra_col, dec_col)
        ra_deg = degrees_column(frame[ra_col], hours=True, label=label)
        dec_deg = degrees_column(frame[dec_col], hours=False, label=label)
        id_col = None
        if id is not False:
            id_col = find_column(
                frame.columns,
                "id",
                given=id if isinstance(id, str) else None,
                required=isinstance(id, str),
                **kw,
            )
    if ra_deg.size == 0 and not allow_empty:
        raise InputError(f"no {what} given (the input is empty); give at least one position")
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(ra_deg) & np.isfinite(dec_deg) & (np.abs(dec_deg) <= 90.0))
    if bad.any() and not allow_missing:
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{label}: position {i} (RA={float(ra_deg[i]):g}, Dec={float(dec_deg[i]):g}) is not "
            f"a valid sky position ({int(bad.sum())} bad in all); RA and Dec must be finite "
            "degrees with |Dec| <= 90"
        )
    ra_deg = np.where(bad, np.nan, np.mod(ra_deg, 360.0)) if bad.any() else np.mod(ra_deg, 360.0)
    return PositionTable(
        np.asarray(ra_deg, dtype=np.float64),
        np.asarray(dec_deg, dtype=np.float64),
        table,
        columns,
        id_col,
        table.skycoord,
    )
