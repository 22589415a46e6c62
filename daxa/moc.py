"""Where missions observed, as a MOC (Multi-Order Coverage map, the IVOA standard Aladin,
TOPCAT and LSDB use), built with mocpy.

Each observation covers a circle of its per-row search radius (:mod:`daxa.missions.coverage`:
the largest 1.2 × FoV among the chosen instruments that observed in that row), so a mission's
MOC is the union of those circles, built in one vectorised call. Where two missions both
observed is the intersection of their MOCs:

>>> from daxa.filters._examples import observation_table
>>> xmm = observation_table("xmm_pointed", [10.0, 200.0], [5.0, -30.0])
>>> chandra = observation_table("chandra", [10.1], [5.0], instrument=["ACIS"])
>>> both = coverage_moc(table=xmm, mission="xmm_pointed").intersection(
...     coverage_moc(table=chandra, mission="chandra"))
>>> import astropy.units as u
>>> both.contains_lonlat([10.05, 200.0] * u.deg, [5.0, -30.0] * u.deg).tolist()
[True, False]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.missions import get_mission
from daxa.missions.coverage import default_row_radius

#: Default depth: cells of about 3.4 arcmin, finer than any field of view.
DEFAULT_DEPTH = 10
_MOC_FORMATS = {".fits": "fits", ".fit": "fits", ".json": "json", ".txt": "ascii"}


def _check_depth(max_depth: int) -> int:
    if not isinstance(max_depth, int | np.integer) or not 0 <= int(max_depth) <= 29:
        raise InputError(f"max_depth={max_depth!r}: a MOC depth is an integer from 0 to 29")
    return int(max_depth)


def table_moc(
    table: pl.DataFrame,
    mission: Any,
    instruments: Iterable[str] | str | None = None,
    *,
    radius: float | Mapping[str, float] | None = None,
    max_depth: int = DEFAULT_DEPTH,
) -> Any:
    """The MOC of one mission table: the union of each row's circle (its coverage radius).

    Rows where no chosen instrument observed cover nothing.
    """
    import astropy.units as u
    from mocpy import MOC

    depth = _check_depth(max_depth)
    radii = default_row_radius(table, mission, instruments, radius)
    keep = np.isfinite(radii) & (radii > 0)
    if not keep.any():
        return MOC.new_empty(depth)
    ra = table["ra"].to_numpy()[keep]
    dec = table["dec"].to_numpy()[keep]
    return MOC.from_cones(
        lon=ra * u.deg,
        lat=dec * u.deg,
        radius=np.minimum(radii[keep], 180.0) * u.deg,
        max_depth=depth,
        union_strategy="large_cones" if float(np.median(radii[keep])) > 1.0 else "small_cones",
    )


def _selections(selection: Any) -> list[Any]:
    if isinstance(selection, Mapping):
        return list(selection.values())
    if hasattr(selection, "table") and hasattr(selection, "spec"):
        return [selection]
    return list(selection)


def coverage_moc(
    mission: str | Iterable[str] | None = None,
    instruments: Iterable[str] | str | None = None,
    *,
    selection: Any = None,
    table: pl.DataFrame | None = None,
    radius: float | Mapping[str, float] | None = None,
    max_depth: int = DEFAULT_DEPTH,
    cache_dir: str | os.PathLike[str] | None = None,
) -> Any:
    """A ``mocpy.MOC`` of where observations were made (the union of their circles).

    - ``mission`` (one or several names): every observation in the cached table (fetched if
      missing), with ``instruments`` chosen (default: the mission's defaults);
    - ``selection``: a :class:`~daxa.Selection` (or several, or a mapping of them): its
      selected rows and chosen instruments;
    - ``table``: a normalised table of ``mission`` handed in.

    ``radius`` overrides the per-row radius (degrees, or per instrument); ``max_depth`` is the
    MOC's HEALPix order (10: cells of 3.4 arcmin). Where two missions both observed:
    ``coverage_moc("xmm_pointed").intersection(coverage_moc("chandra"))``.
    """
    from mocpy import MOC

    depth = _check_depth(max_depth)
    parts: list[Any] = []
    if selection is not None:
        for sel in _selections(selection):
            chosen = instruments if instruments is not None else sel.instruments
            parts.append(table_moc(sel.table, sel.spec, chosen, radius=radius, max_depth=depth))
    elif mission is None:
        raise InputError("coverage_moc needs a mission, a selection or a table")
    else:
        names = (
            [mission]
            if isinstance(mission, str) or not isinstance(mission, Iterable)
            else list(mission)
        )
        if table is not None and len(names) != 1:
            raise InputError("coverage_moc(table=...) takes exactly one mission")
        for name in names:
            spec = get_mission(name)
            if table is not None:
                from daxa.frames import to_polars

                data = to_polars(table, what=f"{spec.name} table")
            else:
                from daxa.cache import load

                data = load(spec, cache_dir)
            parts.append(table_moc(data, spec, instruments, radius=radius, max_depth=depth))
    if not parts:
        return MOC.new_empty(depth)
    out = parts[0]
    for other in parts[1:]:
        out = out.union(other)
    return out


def write_moc(moc: Any, path: str | os.PathLike[str]) -> Path:
    """Save ``moc`` atomically: FITS (``.fits``, the IVOA format), ``.json`` or ``.txt``."""
    from daxa.atomic import atomic_path

    path = Path(path)
    fmt = _MOC_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"cannot write a MOC to {str(path)!r}: use one of " + ", ".join(_MOC_FORMATS)
        )
    with atomic_path(path) as temp:
        moc.save(str(temp), format=fmt, overwrite=True)
    return path
