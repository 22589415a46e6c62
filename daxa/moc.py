"""Where missions observed, as a MOC (Multi-Order Coverage map, the IVOA standard Aladin,
TOPCAT and LSDB use), built with mocpy.

Each observation covers a circle of its per-row search radius (:mod:`daxa.missions.coverage`:
the largest 1.2 × FoV among the chosen instruments that observed in that row), so a mission's
MOC is the union of those circles, built in one vectorised call; with ``coverage="footprint"``
it is the union of the instruments' placed footprints (:mod:`daxa.footprints.outlines`).
Where two missions both observed is the intersection of their MOCs:

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


def _cones_moc(ra: Any, dec: Any, radii: Any, depth: int) -> Any:
    """The union of circles (degrees), in one vectorised call."""
    import astropy.units as u
    from mocpy import MOC

    keep = np.isfinite(radii) & (radii > 0)
    if not keep.any():
        return MOC.new_empty(depth)
    return MOC.from_cones(
        lon=ra[keep] * u.deg,
        lat=dec[keep] * u.deg,
        radius=np.minimum(radii[keep], 180.0) * u.deg,
        max_depth=depth,
        union_strategy="large_cones" if float(np.median(radii[keep])) > 1.0 else "small_cones",
    )


def _footprint_moc(
    table: pl.DataFrame, mission: Any, instruments: Iterable[str] | str | None, depth: int
) -> Any:
    """The union of each observation's placed footprints: circles with ``from_cones``,
    polygons with one vectorised ``from_polygons`` call per shape."""
    from mocpy import MOC

    from daxa.footprints.outlines import observation_outlines

    outlines = observation_outlines(table, mission, instruments)
    moc = _cones_moc(*outlines.circles, depth)
    for vra, vdec in outlines.polygons:
        # rows of lon, lat, lon, lat...: the array form mocpy takes without a SkyCoord per row
        flat = np.stack([vra, vdec], axis=1).reshape(-1, vra.shape[1])
        moc = moc.union(*MOC.from_polygons(list(flat), max_depth=depth))
    return moc


def table_moc(
    table: pl.DataFrame,
    mission: Any,
    instruments: Iterable[str] | str | None = None,
    *,
    radius: float | Mapping[str, float] | None = None,
    max_depth: int = DEFAULT_DEPTH,
    coverage: str = "circle",
) -> Any:
    """The MOC of one mission table: the union of each row's circle (its coverage radius),
    or with ``coverage="footprint"`` of its instruments' placed footprints.

    Rows where no chosen instrument observed cover nothing.
    """
    from daxa.footprints.assess import check_coverage

    depth = _check_depth(max_depth)
    if check_coverage(coverage) == "footprint":
        if radius is not None:
            raise InputError(
                f"radius={radius!r} sets the circles of coverage='circle'; "
                "coverage='footprint' uses the instruments' fields: drop one of them"
            )
        return _footprint_moc(table, mission, instruments, depth)
    radii = default_row_radius(table, mission, instruments, radius)
    return _cones_moc(table["ra"].to_numpy(), table["dec"].to_numpy(), radii, depth)


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
    coverage: str = "circle",
) -> Any:
    """A ``mocpy.MOC`` of where observations were made (the union of their circles, or with
    ``coverage="footprint"`` of their instruments' placed footprints).

    - ``mission`` (one or several names): every observation in the cached table (fetched if
      missing), with ``instruments`` chosen (default: the mission's defaults);
    - ``selection``: a :class:`~daxa.Selection` (or several, or a mapping of them): its
      selected rows and chosen instruments;
    - ``table``: a normalised table of ``mission`` handed in.

    ``radius`` overrides the per-row radius (degrees, or per instrument); ``max_depth`` is the
    MOC's HEALPix order (10: cells of 3.4 arcmin). ``coverage="footprint"`` builds the MOC
    from the fields of view that ``Positions(coverage="footprint")`` uses (a circumscribed
    circle where the roll or the Chandra detector is unknown), mostly smaller than the
    1.2 × FoV circles. Where two missions both observed:
    ``coverage_moc("xmm_pointed").intersection(coverage_moc("chandra"))``.
    """
    from mocpy import MOC

    depth = _check_depth(max_depth)
    parts: list[Any] = []
    if selection is not None:
        for sel in _selections(selection):
            chosen = instruments if instruments is not None else sel.instruments
            parts.append(
                table_moc(
                    sel.table, sel.spec, chosen, radius=radius, max_depth=depth, coverage=coverage
                )
            )
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
            parts.append(
                table_moc(
                    data, spec, instruments, radius=radius, max_depth=depth, coverage=coverage
                )
            )
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
