"""One search over several (or all) missions, returning one tidy table.

``daxa.search(positions=..., radius=None, missions=None, start=None, end=None, names=None)``
runs the positional filters on each mission's cached table and stacks the association tables:
one row per (position, observation) pair, with the mission, ObsID, separation, covering
instruments and the observation's pointing, times, exposure and flags. With only a time window
it lists every observation in the window. The module itself is callable, so both
``daxa.search(...)`` and ``from daxa.search import search`` work.

>>> from daxa.filters._examples import observation_table
>>> tables = {"xmm_pointed": observation_table("xmm_pointed", [10.0], [0.0]),
...           "chandra": observation_table("chandra", [10.1], [0.0], instrument=["HRC"])}
>>> found = search([10.0, 0.0], radius=0.5, tables=tables)
>>> found.select("mission", "obs_id", "instruments").rows()
[('xmm_pointed', '0000000000', ['M1', 'M2', 'PN']), ('chandra', '1', ['HRC'])]
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.filters import Instruments, Names, Positions, PositionsAtTime, TimeWindow
from daxa.filters._base import ASSOCIATION_SCHEMA, Filter
from daxa.filters.time import to_us_array
from daxa.missions import Mission, get_mission, resolve_missions
from daxa.missions.coverage import chosen_instruments, instrument_lists, observed_matrix

#: Observation columns added to every result row, in this order.
OBSERVATION_COLUMNS = (
    "ra",
    "dec",
    "start",
    "end",
    "exposure",
    "science_usable",
    "public",
    "target_name",
    "target_category",
    "instrument",
)

_FAR_PAST = "1950-01-01T00:00:00Z"
_FAR_FUTURE = "2200-01-01T00:00:00Z"


def _missions(
    missions: str | Iterable[str] | None,
    tables: Mapping[str, pl.DataFrame] | None,
    cache_dir: str | os.PathLike[str] | None,
) -> list[Mission]:
    if missions is None and tables is not None:
        return [get_mission(m) for m in tables]
    if missions is None:
        from daxa.cache import cached_missions

        names = cached_missions(cache_dir)
        if not names:
            from daxa.config import cache_dir as folder

            raise InputError(
                f"no mission tables are cached in {folder(cache_dir)}; fetch some first "
                "(`daxa fetch <mission>`) or pass missions='all' to fetch every mission"
            )
        return [get_mission(m) for m in names]
    return resolve_missions(missions)


def _filters(
    positions: Any,
    radius: Any,
    start: Any,
    end: Any,
    names: Any,
    over_run: bool,
    session: Any,
    cache_dir: str | os.PathLike[str] | None,
    time_format: str | None = None,
    coverage: str = "circle",
) -> tuple[Filter | None, Filter | None]:
    """(positional filter or None, time filter or None) for the arguments."""
    if coverage != "circle" and positions is None:
        raise InputError(f"coverage={coverage!r} needs positions (names are searched by circles)")
    if positions is not None and names is not None:
        raise InputError("give positions or names, not both (search twice to combine them)")
    timed = start is not None or end is not None
    if positions is None and names is None:
        if not timed:
            raise InputError("nothing to search for: give positions, names, or start/end")
        if radius is not None:
            raise InputError("a radius needs positions or names")
        return None, TimeWindow(
            start if start is not None else _FAR_PAST,
            end if end is not None else _FAR_FUTURE,
            over_run,
            time_format,
        )
    if names is not None:
        spatial: Filter = Names(names, radius, session=session, cache_dir=cache_dir)
        n = len(spatial.resolved_names)  # type: ignore[attr-defined]
    else:
        spatial = Positions(positions, radius, coverage)
        n = spatial.n_positions  # type: ignore[attr-defined]
    if not timed:
        return spatial, None
    first = start if start is not None else _FAR_PAST
    last = end if end is not None else _FAR_FUTURE
    n_first = to_us_array(first, what="start", time_format=time_format).size
    n_last = to_us_array(last, what="end", time_format=time_format).size
    if max(n_first, n_last) <= 1:
        return spatial, TimeWindow(_one(first), _one(last), over_run, time_format)
    if names is not None:
        raise InputError("one time window per position works with positions, not names")
    if coverage != "circle":
        raise InputError(
            f"coverage={coverage!r} takes one time window for all positions; one window per "
            "position is searched by circles"
        )
    if n != max(n_first, n_last):
        raise InputError(f"give one start and end per position ({n}), or a single window")
    return PositionsAtTime(positions, first, last, radius, over_run, time_format), None


def _one(value: Any) -> Any:
    """The single time in ``value`` (a scalar, or a one-element list, array, Series or Time)."""
    if isinstance(value, (str, bytes)) or np.ndim(value) == 0:
        return value
    if type(value).__name__ == "Time":
        return value.ravel()[0]
    if hasattr(value, "to_list"):
        return value.to_list()[0]
    return list(value)[0]


def search(
    positions: Any = None,
    radius: Any = None,
    missions: str | Iterable[str] | None = None,
    start: Any = None,
    end: Any = None,
    names: Any = None,
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    instruments: Mapping[str, Iterable[str] | str] | None = None,
    tables: Mapping[str, pl.DataFrame] | None = None,
    over_run: bool = True,
    session: Any = None,
    id: str | bool | None = None,
    keep: Iterable[str] | str = (),
    time_format: str | None = None,
    coverage: str = "circle",
) -> pl.DataFrame:
    """Observations of several missions near ``positions`` (or ``names``) and/or in a window.

    ``missions``: None = every mission with a cached table (or the keys of ``tables``),
    ``'all'`` = every mission (fetching any not cached yet), or a list. ``radius`` as for
    :class:`daxa.filters.Positions` (default per row: 1.2 × FoV of the chosen instruments that
    observed). ``start``/``end``: one window for all, or one per position (positions at time).
    ``instruments`` maps a mission to its chosen instruments (default: the mission's defaults).
    ``tables`` hands in normalised tables instead of reading the cache. ``coverage``:
    ``"circle"`` (default) or ``"footprint"`` (positions only: the instruments' real fields
    decide, adding ``covered``, ``offaxis_arcmin``, ``footprint_instrument``, ``owner_tile``
    and the observation's ``s_region``, its footprint as an STC-S string).

    ``positions`` takes every form of :func:`daxa.inputs.read_positions` (paths, SkyCoord,
    astropy/pandas/polars/Arrow tables, pyvo results, pairs); ``radius`` also ``'10arcmin'``;
    times also ``pd.Timestamp`` and numbers with ``time_format='mjd'``. The positions' id
    column (``id=``, else one found by UCD or name such as ``name`` or ``source_id``; ``False``
    for none) comes back as ``row_id``, and ``keep`` columns under their own names.

    Returns one row per (position, observation) pair, sorted by position, mission (registry
    order) and separation: ``pos_index, pos_ra, pos_dec, mission, obs_id, separation_deg,
    instruments`` (+ ``name`` with names, ``row_id``, ``keep``) and the observation's columns.
    """
    chosen_map = {get_mission(k).name: v for k, v in (instruments or {}).items()}
    frames: list[pl.DataFrame] = []
    specs = _missions(missions, tables, cache_dir)  # before resolving names: fail fast
    from daxa.footprints.assess import check_coverage

    coverage = check_coverage(coverage)
    spatial, window = _filters(
        positions, radius, start, end, names, over_run, session, cache_dir, time_format, coverage
    )
    carried = _carried(spatial, positions, id, keep)
    for spec in specs:
        table = _table(spec, tables, cache_dir)
        chosen = chosen_instruments(spec, chosen_map.get(spec.name))
        keep = pl.Series("mask", np.ones(table.height, dtype=bool))
        if window is not None:
            keep = keep & window.mask(table, mission=spec, instruments=chosen)
        if spec.name in chosen_map and spec.one_instrument_per_obs:
            keep = keep & Instruments(chosen).mask(table, mission=spec)
        table = table.filter(keep)
        if spatial is None:
            frames.append(_time_only(table, spec, chosen))
            continue
        found = spatial.associate(table, mission=spec, instruments=chosen)  # type: ignore[attr-defined]
        if carried is not None:
            found = found.drop("row_id", strict=False)  # the filter's guess; ours was asked for
            found = pl.concat([found, carried.gather(found["pos_index"])], how="horizontal")
        if coverage == "footprint":
            from daxa.footprints.stcs import observation_regions

            hit = table.join(found.select("obs_id").unique(), on="obs_id", how="semi")
            table = hit.with_columns(observation_regions(hit, spec, chosen))
        frames.append(_with_observations(found, table))
    if not frames:
        return _empty()
    order = {s.name: i for i, s in enumerate(specs)}
    out = pl.concat(frames, how="diagonal_relaxed")
    return (
        out.with_columns(_order=pl.col("mission").replace_strict(order, return_dtype=pl.Int64))
        .sort("pos_index", "_order", "separation_deg", "obs_id", nulls_last=True)
        .drop("_order")
    )


def _carried(spatial: Filter | None, positions: Any, id: Any, keep: Any) -> pl.DataFrame | None:
    """The user's id (as ``row_id``) and ``keep`` columns, one row per position (or None)."""
    if spatial is None or positions is None or (id is False and not keep):
        return None
    inner = spatial.__dict__.get("_inner", spatial)  # PositionsAtTime wraps a Positions
    read = inner.parsed.read
    if isinstance(id, str) or id is False:
        from daxa.inputs import read_positions

        read = read_positions(positions, id=id)
    keep = [keep] if isinstance(keep, str) else list(keep)
    out = read.carried(keep)
    return out if out.width else None


def _table(
    spec: Mission,
    tables: Mapping[str, pl.DataFrame] | None,
    cache_dir: str | os.PathLike[str] | None,
) -> pl.DataFrame:
    if tables is not None:
        given = {get_mission(k).name: v for k, v in tables.items()}
        if spec.name not in given:
            raise InputError(f"no table given for {spec.name}; tables has {', '.join(given)}")
        from daxa.inputs import to_table

        return to_table(given[spec.name], what=f"{spec.name} table").frame
    from daxa.cache import load

    return load(spec, cache_dir)


def _with_observations(found: pl.DataFrame, table: pl.DataFrame) -> pl.DataFrame:
    present = [c for c in (*OBSERVATION_COLUMNS, "s_region") if c in table.columns]
    details = table.select("obs_id", *present).unique("obs_id", keep="first")
    return found.join(details, on="obs_id", how="left", maintain_order="left")


def _time_only(table: pl.DataFrame, spec: Mission, chosen: tuple[str, ...]) -> pl.DataFrame:
    observed = observed_matrix(table, spec, chosen)
    present = [c for c in OBSERVATION_COLUMNS if c in table.columns]
    return (
        table.select("obs_id", *present)
        .with_columns(
            pos_index=pl.lit(None, dtype=pl.Int64),
            pos_ra=pl.lit(None, dtype=pl.Float64),
            pos_dec=pl.lit(None, dtype=pl.Float64),
            mission=pl.lit(spec.name, dtype=pl.String),
            separation_deg=pl.lit(None, dtype=pl.Float64),
            instruments=instrument_lists(observed, chosen),
        )
        .select(*ASSOCIATION_SCHEMA, *present)
    )


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=ASSOCIATION_SCHEMA)


class _CallableModule(types.ModuleType):
    """Lets ``daxa.search(...)`` call :func:`search` although ``daxa.search`` is this module."""

    def __call__(self, *args: Any, **kwargs: Any) -> pl.DataFrame:
        return search(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
