"""Catalogue rows prepared for the matchers: column mapping, time windows, bad coordinates.

Reading a catalogue (any path, frame, SkyCoord, pyvo result... see :mod:`daxa.inputs`) is the
input layer's job: :func:`daxa.inputs.open_source` gives a :class:`~daxa.inputs.Source` that
can be read whole or piece by piece. :func:`prepare` then maps the user's columns to the
standard ones the matchers use:

=============== ===================================================================
``pos_index``   row number in the input (0-based; kept when rows are skipped)
``ra``, ``dec`` degrees (Float64)
``_healpix_29`` NESTED order-29 HEALPix index (taken from the input when it has one)
``row_id``      the user's id column, when one is named
``win_start``,  the row's time window (Datetime us UTC), when windows are asked for
``win_end``
``_radius``     a per-row radius in degrees, when one is given
=============== ===================================================================

Rows whose coordinates are missing, NaN, infinite or outside [-90, 90] in Dec are counted,
reported once in a :class:`CrossmatchWarning` naming the first few rows, and skipped.

>>> frame = pl.DataFrame({"RA": [10.0, None, 20.0], "DE": [1.0, 2.0, 95.0], "name": "a b c".split()})
>>> cols = ColumnMap(ra="RA", dec="DE", id="name")
>>> prepared, skipped = prepare(frame, cols)
>>> prepared.select("pos_index", "ra", "row_id").rows(), skipped.tolist()
([(0, 10.0, 'a')], [1, 2])
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.inputs.angles import angle_deg, angles_deg, is_quantity
from daxa.inputs.columns import find_column
from daxa.inputs.sources import HPX, ROW, Source, open_source  # re-exported for imports
from daxa.inputs.times import UTC_US, utc_series


class CrossmatchWarning(UserWarning):
    """Something about a cross-match input the user should know but that is not an error."""


# --------------------------------------------------------------------------- column mapping


@dataclass(frozen=True)
class ColumnMap:
    """Which input columns hold what.

    ``window`` is ``(before, after)`` around ``epoch``; ``radius`` names a per-row radius
    column (degrees). ``keep`` are extra input columns carried into the output.
    """

    ra: str = "ra"
    dec: str = "dec"
    id: str | None = None
    start: str | None = None
    end: str | None = None
    epoch: str | None = None
    window: tuple[timedelta, timedelta] | None = None
    radius: str | None = None
    keep: tuple[str, ...] = ()
    time_format: str | None = None

    @property
    def has_window(self) -> bool:
        return self.start is not None or self.epoch is not None

    def needed(self) -> list[str]:
        """The input columns this mapping reads (each once, in a stable order)."""
        names = [self.ra, self.dec, self.id, self.start, self.end, self.epoch, self.radius]
        out: list[str] = []
        for name in [*names, *self.keep]:
            if name is not None and name not in out:
                out.append(name)
        return out


def column_map(
    *,
    ra: str = "ra",
    dec: str = "dec",
    id: str | None = None,
    start: str | None = None,
    end: str | None = None,
    epoch: str | None = None,
    window: Any = None,
    radius: str | None = None,
    keep: Iterable[str] | str | None = None,
    time_format: str | None = None,
) -> ColumnMap:
    """Check the column arguments of the public matchers and bundle them.

    Time windows come either from ``start`` and ``end`` columns or from an ``epoch`` column
    with ``window``: a timedelta (± that much), a number of days, or ``(before, after)``.
    Numeric time columns need ``time_format`` (``'mjd'``, ``'jd'``, ...) unless their name
    says ``mjd``.

    >>> column_map(epoch="t0", window=(timedelta(days=365), 30)).window[1]
    datetime.timedelta(days=30)
    """
    if (start is None) != (end is None):
        raise InputError(
            f"give both start= and end= columns for time windows (got start={start!r}, "
            f"end={end!r}), or epoch= with window="
        )
    if start is not None and epoch is not None:
        raise InputError("give either start=/end= columns or epoch= with window=, not both")
    if epoch is not None and window is None:
        raise InputError(
            f"epoch={epoch!r} needs window= (a timedelta, a number of days, or (before, after))"
        )
    if window is not None and epoch is None:
        raise InputError("window= needs epoch=, the column the window is centred on")
    parsed = None if window is None else _parse_window(window)
    if isinstance(keep, str):
        keep = [keep]
    return ColumnMap(
        ra=ra,
        dec=dec,
        id=id,
        start=start,
        end=end,
        epoch=epoch,
        window=parsed,
        radius=radius,
        keep=tuple(keep or ()),
        time_format=time_format,
    )


def _as_timedelta(value: Any, what: str) -> timedelta:
    if isinstance(value, timedelta):
        out = value
    elif isinstance(value, np.timedelta64):
        out = timedelta(microseconds=int(value.astype("timedelta64[us]").astype(np.int64)))
    elif hasattr(value, "unit") and hasattr(value, "to_value"):
        try:
            out = timedelta(days=float(value.to_value("day")))
        except Exception:
            raise InputError(f"{what}={value!r} is not a duration") from None
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        out = timedelta(days=float(value))
    else:
        raise InputError(f"{what}={value!r} is not a duration; give a timedelta or days")
    if out < timedelta(0):
        raise InputError(f"{what}={value!r} is negative; give how far before/after the epoch")
    return out


def _parse_window(window: Any) -> tuple[timedelta, timedelta]:
    if isinstance(window, (tuple, list)):
        if len(window) != 2:
            raise InputError(f"window={window!r}: give one duration or a (before, after) pair")
        return _as_timedelta(window[0], "window[0]"), _as_timedelta(window[1], "window[1]")
    half = _as_timedelta(window, "window")
    return half, half


# --------------------------------------------------------------------------- memory budget

_SIZE = re.compile(r"^\s*([0-9.]+)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}


def parse_bytes(value: int | float | str) -> int:
    """Bytes from ``2_000_000_000``, ``"2GB"``, ``"500 MB"`` or ``"1.5GiB"``.

    >>> parse_bytes("2GB"), parse_bytes("1GiB"), parse_bytes(1e6)
    (2000000000, 1073741824, 1000000)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value <= 0 or not math.isfinite(value):
            raise InputError(f"memory_budget={value!r} must be a positive number of bytes")
        return int(value)
    m = _SIZE.match(str(value))
    if not m:
        raise InputError(f"memory_budget={value!r} is not a size; give e.g. '2GB' or '500MB'")
    unit = (m.group(2) or "").lower()
    scale = _UNITS[unit[:1]] if unit else 1
    if "i" in unit:
        scale = 1024 ** "bkmgt".index(unit[0])
    out = int(float(m.group(1)) * scale)
    if out <= 0:
        raise InputError(f"memory_budget={value!r} must be positive")
    return out


# --------------------------------------------------------------------------- preparing rows


def prepare(
    frame: pl.DataFrame,
    cols: ColumnMap,
    *,
    offset: int = 0,
    radius: npt.NDArray[np.float64] | None = None,
    healpix: bool = True,
) -> tuple[pl.DataFrame, npt.NDArray[np.int64]]:
    """The standard columns of ``frame`` and the row numbers skipped for bad coordinates.

    ``frame`` may carry ``__row`` (global row numbers); otherwise rows are numbered from
    ``offset``. ``radius`` is a per-row radius array aligned with the rows of ``frame``.
    ``healpix=False`` leaves out ``_healpix_29`` unless the input has it.
    """
    missing = [c for c in cols.needed() if c not in frame.columns]
    if missing:
        raise InputError(
            f"the catalogue has no column {', '.join(map(repr, missing))}; its columns are: "
            f"{', '.join(c for c in frame.columns if c != ROW)}"
        )
    if ROW in frame.columns:
        index = frame[ROW].cast(pl.Int64)
    else:
        index = pl.int_range(offset, offset + frame.height, dtype=pl.Int64, eager=True)
    out: dict[str, Any] = {"pos_index": index.alias("pos_index")}
    for name, src in (("ra", cols.ra), ("dec", cols.dec)):
        col = frame[src]
        if not (col.dtype.is_numeric() or col.dtype == pl.Null):
            raise InputError(f"the {name} column {src!r} holds {col.dtype}, not degrees")
        out[name] = col.cast(pl.Float64).alias(name)
    if cols.id is not None:
        out["row_id"] = frame[cols.id].alias("row_id")
    if cols.start is not None and cols.end is not None:
        out["win_start"] = utc_series(
            frame[cols.start], what="start column", time_format=cols.time_format
        ).alias("win_start")
        out["win_end"] = utc_series(
            frame[cols.end], what="end column", time_format=cols.time_format
        ).alias("win_end")
    elif cols.epoch is not None and cols.window is not None:
        epoch = utc_series(frame[cols.epoch], what="epoch column", time_format=cols.time_format)
        out["win_start"] = (epoch - cols.window[0]).alias("win_start")
        out["win_end"] = (epoch + cols.window[1]).alias("win_end")
    if cols.radius is not None:
        r = frame[cols.radius]
        if not r.dtype.is_numeric():
            raise InputError(f"the radius column {cols.radius!r} holds {r.dtype}, not degrees")
        out["_radius"] = r.cast(pl.Float64).alias("_radius")
    elif radius is not None:
        out["_radius"] = pl.Series("_radius", np.asarray(radius, dtype=np.float64))
    for name in cols.keep:
        if name not in out:
            out[name] = frame[name]
    if HPX in frame.columns and frame.schema[HPX].is_integer():
        out[HPX] = frame[HPX].cast(pl.Int64)
    prepared = pl.DataFrame(out)

    ra = prepared["ra"].to_numpy()
    dec = prepared["dec"].to_numpy()
    # reductions propagate NaN: four of them clear the common all-good case without a mask
    ra_lo, ra_hi = (float(ra.min()), float(ra.max())) if ra.size else (0.0, 0.0)
    dec_lo, dec_hi = (float(dec.min()), float(dec.max())) if dec.size else (0.0, 0.0)
    all_good = np.isfinite([ra_lo, ra_hi]).all() and dec_lo >= -90.0 and dec_hi <= 90.0
    if all_good:
        good = np.ones(ra.size, dtype=bool)
    else:
        with np.errstate(invalid="ignore"):
            good = np.isfinite(ra) & np.isfinite(dec) & (np.abs(dec) <= 90.0)
    if "_radius" in prepared.columns:
        radii = prepared["_radius"].to_numpy()
        with np.errstate(invalid="ignore"):
            bad_r = ~(np.isfinite(radii) & (radii >= 0.0) & (radii <= 180.0))
        if bad_r.any():
            i = int(np.flatnonzero(bad_r)[0])
            raise InputError(
                f"row {int(prepared['pos_index'][i])}: radius {float(radii[i])!r} is not between 0 and "
                "180 degrees"
            )
    if all_good:
        skipped = np.zeros(0, dtype=np.int64)
    else:
        skipped = prepared["pos_index"].to_numpy()[~good]
        prepared = prepared.filter(pl.Series(good))
        ra, dec = ra[good], dec[good]
        ra_lo, ra_hi = (float(ra.min()), float(ra.max())) if ra.size else (0.0, 0.0)
    if ra_lo < 0.0 or ra_hi >= 360.0:
        ra = np.mod(ra, 360.0)
        ra[ra >= 360.0] = 0.0
        prepared = prepared.with_columns(ra=pl.Series(ra))
    if HPX not in prepared.columns and healpix:
        from daxa.sky.healpix import healpix_index

        prepared = prepared.with_columns(pl.Series(HPX, healpix_index(ra, dec), dtype=pl.Int64))
    if "win_start" in prepared.columns:
        bad_w = (prepared["win_start"] > prepared["win_end"]).fill_null(False)
        if bad_w.any():
            i = int(bad_w.arg_max() or 0)
            raise InputError(
                f"row {int(prepared['pos_index'][i])}: its window starts "
                f"{prepared['win_start'][i]} after it ends {prepared['win_end'][i]}"
            )
    return prepared, np.asarray(skipped, dtype=np.int64)


# --------------------------------------------------------------------------- entry points


@dataclass
class CatalogueInput:
    """A catalogue argument resolved: its source, RA/Dec/id columns and the radius form.

    ``radius`` is what applies to every row (None, degrees or a mapping), ``radius_column``
    a per-row radius column, ``per_row`` per-row radii given as an array (degrees).
    """

    source: Source
    ra: str
    dec: str
    id: str | None = None
    radius: Any = None
    radius_column: str | None = None
    per_row: npt.NDArray[np.float64] | None = None
    keep: tuple[str, ...] = ()


def coordinate_columns(source: Source, ra: str | None, dec: str | None) -> tuple[str, str]:
    """The RA and Dec columns: as named, else as a HATS catalogue declares, else found by
    UCD, name or unit (:func:`daxa.inputs.find_column`)."""
    if ra is None and dec is None and source.coordinates is not None:
        return source.coordinates
    if ra is not None and dec is not None and source.coordinates is not None:
        ra, dec = source.coordinate_columns(ra, dec)
    kw: dict[str, Any] = {"units": source.units, "ucds": source.ucds, "label": source.label}
    found_ra = find_column(source.columns, "ra", given=ra, **kw)
    found_dec = find_column(source.columns, "dec", given=dec, **kw)
    assert found_ra is not None and found_dec is not None
    return found_ra, found_dec


def catalogue_input(
    catalogue: Any,
    *,
    ra: str | None = None,
    dec: str | None = None,
    id: str | None = None,
    radius: Any = None,
    keep: Iterable[str] | str | None = None,
    what: str = "catalogue",
) -> CatalogueInput:
    """Open ``catalogue`` (any input :func:`daxa.inputs.open_source` takes) and resolve its
    columns and ``radius``: a string is a radius column when the catalogue has one of that
    name, else an angle (``'10arcmin'``); a sequence or array Quantity is one radius per row."""
    source = open_source(catalogue, what=what)
    ra_col, dec_col = coordinate_columns(source, ra, dec)
    id_col = None
    if id is not None:
        id_col = find_column(source.columns, "id", given=id, label=source.label, option="id=")
    names = [keep] if isinstance(keep, str) else list(keep or ())
    kept = tuple(
        str(find_column(source.columns, "id", given=k, label=source.label, option="keep="))
        for k in names
    )
    out = CatalogueInput(source, ra_col, dec_col, id_col, keep=kept)
    if isinstance(radius, str):
        lower = {c.lower(): c for c in source.columns}
        if radius in source.columns or radius.lower() in lower:
            out.radius_column = radius if radius in source.columns else lower[radius.lower()]
        else:
            out.radius = angle_deg(radius, what="radius")
    elif is_quantity(radius) and radius.isscalar:
        out.radius = angle_deg(radius, what="radius")
    elif isinstance(radius, (list, tuple, np.ndarray)):  # Quantity arrays too
        out.per_row = angles_deg(radius, what="radius")
    elif radius is not None and not isinstance(radius, Mapping):
        out.radius = angle_deg(radius, what="radius")
    else:
        out.radius = radius
    return out


def check_row_radii(radii: npt.NDArray[np.float64] | None, n_rows: int) -> None:
    """A per-row radius array must give one radius per catalogue row."""
    if radii is not None and radii.size != n_rows:
        raise InputError(
            f"{radii.size} radii given for {n_rows} catalogue rows; give one per row, a single "
            "radius, or the name of a radius column"
        )


def report_skipped(
    skipped: Sequence[npt.NDArray[np.int64]] | npt.NDArray[np.int64], total: int
) -> int:
    """Warn once about rows skipped for bad coordinates; returns how many there were."""
    arrays = [skipped] if isinstance(skipped, np.ndarray) else list(skipped)
    n = int(sum(a.size for a in arrays))
    if n:
        first = np.sort(np.concatenate(arrays))[:10].tolist()
        more = f" and {n - 10} more" if n > 10 else ""
        warnings.warn(
            f"{n} of {total} catalogue rows have missing, NaN or out-of-range coordinates and "
            f"were skipped (rows {', '.join(map(str, first))}{more})",
            CrossmatchWarning,
            stacklevel=3,
        )
    return n


__all__ = [
    "CatalogueInput",
    "catalogue_input",
    "coordinate_columns",
    "HPX",
    "ROW",
    "UTC_US",
    "ColumnMap",
    "CrossmatchWarning",
    "Source",
    "column_map",
    "open_source",
    "parse_bytes",
    "prepare",
    "report_skipped",
]
