"""Positions × observations: every catalogue row against the observation tables of missions.

:func:`match_observations` takes a catalogue (path or frame; see :mod:`daxa.crossmatch.inputs`)
and returns the tidy association table of the positions filter — ``pos_index, mission, obs_id,
separation_deg, instruments, pos_ra, pos_dec`` — plus ``row_id`` (the user's id column, when
named) and ``time_overlap`` (when time windows are given: the observation's ``[start, end]``
overlaps the row's window, bounds inclusive; null where the row has no window). With
``coverage="footprint"`` the pairs are decided by the instruments' real fields
(:mod:`daxa.footprints`) and gain ``covered``, ``offaxis_arcmin``, ``footprint_instrument`` and
``owner_tile``. Radii take
every form the positions filter takes (default per-row 1.2 × FoV of the chosen instruments
that observed, degrees, ``{instrument: radius}``, one per row as an array or a column name).

Big catalogues are cut into HEALPix-ordered chunks sized by ``memory_budget``; each chunk is
matched against every mission on its own (the observation tables are small and stay in
memory), so chunked, local and Dask runs give the same rows. Results come back as one frame
sorted by ``pos_index``, mission (registry order) and separation (ties in table order), or are
streamed to Parquet (``output=``) in HEALPix order with the position's ``_healpix_29``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.chunked import open_prepared
from daxa.crossmatch.execution import chunks_in_flight, row_id_dtype, run_positions
from daxa.crossmatch.inputs import HPX, catalogue_input, check_row_radii, column_map, parse_bytes
from daxa.errors import InputError
from daxa.missions import Mission, get_mission, resolve_missions
from daxa.missions.coverage import chosen_instruments, covering_lists

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Rough bytes per output pair while a chunk is being built (pairs, lists, sort buffers).
BYTES_PER_PAIR = 400
#: Rough bytes per prepared position while a chunk is being matched.
BYTES_PER_POSITION = 120
#: Output rows built at a time within a chunk.
FRAME_PAIRS = 500_000
#: A chunk never has fewer positions than this (unless the catalogue is smaller).
MIN_CHUNK_ROWS = 20_000
_NULL_US = np.iinfo(np.int64).min


# --------------------------------------------------------------------------- mission tables


@dataclass(frozen=True)
class MissionTable:
    """One mission's observations, cut down to what matching needs.

    ``rows`` maps the rows kept (those that can match at all) to the table; ``radius`` is per
    kept row (``radius_of='right'``), one number (scalar form) or None (per-position form).
    """

    name: str
    rank: int
    instruments: tuple[str, ...]
    obs_id: pl.Series
    ra: FloatArray
    dec: FloatArray
    start_us: IntArray
    end_us: IntArray
    radius: FloatArray | float | None
    plan: Any  # daxa.filters.radius.RadiusPlan on the kept rows
    extra: pl.DataFrame  # exposure columns etc. (for the coverage summary)
    #: kept rows with what footprints need (coverage="footprint"), else None
    footprint: pl.DataFrame | None = None

    @property
    def max_radius(self) -> float:
        if self.radius is None:
            return 180.0
        if isinstance(self.radius, float):
            return self.radius
        return float(self.radius.max(initial=0.0))

    @cached_property
    def unit_vectors(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """x, y, z of each row's pointing, made once (every chunk asks which rows reach it)."""
        from daxa.sky.geometry import xyz

        return xyz(self.ra, self.dec)

    @cached_property
    def half_radius(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Half of each row's radius (radians), its sin and cos (per-row radii only)."""
        assert isinstance(self.radius, np.ndarray)
        half = np.radians(np.minimum(self.radius, 180.0)) * 0.5
        return half, np.sin(half), np.cos(half)


def _epoch_us(series: pl.Series) -> IntArray:
    return series.dt.epoch("us").fill_null(_NULL_US).to_numpy().astype(np.int64)


def _radius_for_mission(radius: Any, spec: Mission) -> Any:
    """The part of a user radius that applies to one mission.

    ``{mission: radius}`` picks the mission's entry; ``{instrument: radius}`` keeps the
    instruments this mission has.
    """
    if not isinstance(radius, Mapping):
        return radius
    keys = {str(k).lower(): k for k in radius}
    if spec.name in keys:
        return radius[keys[spec.name]]
    if any(k in {m.name for m in resolve_missions(None)} for k in keys):
        return None
    from daxa.missions.registry import normalise_instruments

    mine: dict[str, Any] = {}
    for key, value in radius.items():
        try:
            normalise_instruments(spec, [key])
        except Exception:
            continue
        mine[key] = value
    return mine or None


def _check_radius_keys(radius: Any, specs: list[Mission]) -> None:
    """A ``{name: radius}`` mapping must name missions or instruments of the missions."""
    if not isinstance(radius, Mapping):
        return
    from daxa.missions.registry import normalise_instruments

    all_missions = {m.name for m in resolve_missions(None)}
    bad = []
    for key in radius:
        if str(key).lower() in all_missions:
            continue
        ok = False
        for spec in specs:
            try:
                normalise_instruments(spec, [key])
                ok = True
                break
            except Exception:
                continue
        if not ok:
            bad.append(key)
    if bad:
        raise InputError(
            f"radius mapping key(s) {', '.join(map(repr, bad))} name no mission and no instrument "
            f"of {', '.join(s.name for s in specs)}"
        )


def prepare_mission(
    table: pl.DataFrame,
    mission: str | Mission,
    *,
    rank: int = 0,
    instruments: Iterable[str] | str | None = None,
    radius: Any = None,
    per_row: bool = False,
    extra_columns: Iterable[str] = (),
    coverage: str = "circle",
) -> MissionTable:
    """Cut a normalised mission table down to the rows that can match and their radii.

    ``per_row=True``: the radius comes with each position (an array or column), so every row
    where a chosen instrument observed can match, and those instruments cover the pair.
    """
    from daxa.filters import radius as _radius

    spec = get_mission(mission)
    chosen = chosen_instruments(spec, instruments)
    for col in ("obs_id", "ra", "dec", "start", "end"):
        if col not in table.columns:
            raise InputError(
                f"the {spec.name} table has no {col!r} column; pass a normalised mission table "
                "(daxa.cache.load)"
            )
    if per_row:
        plan = _radius.plan(_radius.Radius("scalar", 0.0), table, spec, chosen)
    elif coverage == "footprint" and radius is None:
        from daxa.filters.positions import footprint_plan

        plan = footprint_plan(table, spec, chosen)
    else:
        form = _radius.parse_radius(_radius_for_mission(radius, spec), 1)
        plan = _radius.plan(form, table, spec, chosen)
    rows = plan.rows if plan.rows is not None else np.arange(table.height, dtype=np.int64)
    kept = table[rows] if plan.rows is not None else table
    observed = plan.observed[rows] if plan.rows is not None else plan.observed
    if per_row:
        r: FloatArray | float | None = None
        plan = _radius.RadiusPlan(0.0, "left", None, observed, None)
    elif plan.radius_of == "right":
        r = np.asarray(plan.radius, dtype=np.float64)
        plan = _radius.RadiusPlan(r, "right", None, observed, plan.instrument_radii)
    else:
        r = float(plan.radius)  # type: ignore[arg-type]
        plan = _radius.RadiusPlan(r, "left", None, observed, None)
    ra = kept["ra"].cast(pl.Float64).to_numpy()
    dec = kept["dec"].cast(pl.Float64).to_numpy()
    extras = [c for c in extra_columns if c in kept.columns]
    return MissionTable(
        name=spec.name,
        rank=rank,
        instruments=chosen,
        obs_id=kept["obs_id"].cast(pl.String),
        ra=ra,
        dec=dec,
        start_us=_epoch_us(kept["start"]),
        end_us=_epoch_us(kept["end"]),
        radius=r,
        plan=plan,
        extra=kept.select(extras),
        footprint=_footprint_columns(kept) if coverage == "footprint" else None,
    )


def _footprint_columns(kept: pl.DataFrame) -> pl.DataFrame:
    from daxa.footprints.assess import BOX_COLUMNS
    from daxa.footprints.shapes import ROLL_COLUMN

    wanted = ("obs_id", "ra", "dec", "detector", ROLL_COLUMN, *BOX_COLUMNS)
    return kept.select(c for c in wanted if c in kept.columns)


def load_missions(
    missions: Any,
    *,
    tables: Mapping[str, pl.DataFrame] | None,
    cache_dir: Any,
    instruments: Mapping[str, Any] | None,
    radius: Any,
    per_row: bool = False,
    extra_columns: Iterable[str] = (),
    coverage: str = "circle",
) -> list[MissionTable]:
    """Prepared tables of the chosen missions (from ``tables`` or the cache)."""
    if isinstance(missions, Mission):
        missions = [missions]
    if missions is None and tables is not None:
        specs = [get_mission(m) for m in tables]
    else:
        specs = resolve_missions(missions)
    if instruments is not None and not isinstance(instruments, Mapping):
        raise InputError(
            "instruments= must map missions to instruments, e.g. {'swift': ['XRT']}; "
            f"got {instruments!r}"
        )
    inst = {get_mission(k).name: v for k, v in (instruments or {}).items()}
    unknown = set(inst) - {s.name for s in specs}
    if unknown:
        raise InputError(
            f"instruments= names mission(s) {', '.join(sorted(unknown))} that are not being matched"
        )
    if not per_row:
        _check_radius_keys(radius, specs)
    order = {name: i for i, name in enumerate(m.name for m in resolve_missions(None))}
    specs = sorted(specs, key=lambda m: order[m.name])
    out = []
    for spec in specs:
        if tables is not None and spec.name in {get_mission(k).name for k in tables}:
            table = next(t for k, t in tables.items() if get_mission(k).name == spec.name)
        elif tables is not None and missions is None:
            continue
        else:
            from daxa import cache

            table = cache.load(spec, cache_dir)
        out.append(
            prepare_mission(
                table,
                spec,
                rank=order[spec.name],
                instruments=inst.get(spec.name),
                radius=radius,
                per_row=per_row,
                extra_columns=extra_columns,
                coverage=coverage,
            )
        )
    return out


# --------------------------------------------------------------------------- one chunk


def chunk_cap(ra: FloatArray, dec: FloatArray) -> tuple[float, float, float]:
    """A cap (centre ra, dec, radius in degrees) holding every position of a chunk."""
    from daxa.sky.geometry import angular_separation, xyz

    x, y, z = xyz(ra, dec)
    vx, vy, vz = float(x.sum()), float(y.sum()), float(z.sum())
    norm = (vx * vx + vy * vy + vz * vz) ** 0.5
    if norm < 1e-9 * max(ra.size, 1):
        return 0.0, 0.0, 180.0
    c_ra = float(np.degrees(np.arctan2(vy, vx)) % 360.0)
    c_dec = float(np.degrees(np.arcsin(np.clip(vz / norm, -1.0, 1.0))))
    rho = float(angular_separation(ra, dec, c_ra, c_dec).max(initial=0.0))
    return c_ra, c_dec, min(180.0, rho * (1 + 1e-9) + 1e-9)


def reachable(
    table: MissionTable, cap: tuple[float, float, float], position_radius: float = 0.0
) -> IntArray:
    """Rows of ``table`` that can reach some position of a cap (centre ra, dec, radius).

    ``position_radius`` is the largest per-position radius, for the per-position form.
    """
    from daxa.sky.geometry import chord2, chord2_limit, chord2_limit_from_half_sin, xyz

    c_ra, c_dec, rho = cap
    if rho >= 180.0:
        return np.arange(table.ra.size, dtype=np.int64)
    # within rho + reach (+1e-9 deg) of the centre, as squared chords: no trigonometry per
    # row (the bounds are padded, so a row that reaches is never dropped)
    cx, cy, cz = xyz(np.array([c_ra]), np.array([c_dec]))
    d2 = chord2(*table.unit_vectors, cx, cy, cz)
    if not isinstance(table.radius, np.ndarray):
        reach = position_radius if table.radius is None else table.radius
        return np.flatnonzero(d2 <= chord2_limit(rho + reach + 1e-9)).astype(np.int64)
    # sin((a + b) / 2) from each row's sin/cos of b / 2: one multiply-add per row
    a = np.radians(rho + 1e-9) * 0.5
    b, sin_b, cos_b = table.half_radius
    bound = chord2_limit_from_half_sin(np.sin(a) * cos_b + np.cos(a) * sin_b)
    everywhere = a + b >= np.pi / 2  # rho + reach >= 180 degrees
    return np.flatnonzero((d2 <= bound) | everywhere).astype(np.int64)


def _pairs(
    positions: pl.DataFrame, table: MissionTable, rows: IntArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """(position row, table row, separation) of pairs within the radius."""
    from daxa.sky.pairs import pair_search

    if rows.size == 0 or positions.height == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e.copy(), np.zeros(0)
    ra, dec = positions["ra"].to_numpy(), positions["dec"].to_numpy()
    if table.radius is None:
        radius: Any = positions["_radius"].to_numpy()
        radius_of = "left"
    elif isinstance(table.radius, float):
        radius, radius_of = table.radius, "left"
    else:
        radius, radius_of = table.radius[rows], "right"
    p = pair_search(ra, dec, table.ra[rows], table.dec[rows], radius, radius_of=radius_of)  # type: ignore[arg-type]
    return p.left, rows[p.right], p.separation


def _overlap(
    positions: pl.DataFrame, table: MissionTable, left: IntArray, rows: IntArray
) -> pl.Series:
    """Does each pair's observation overlap the position's window (null: no window)?"""
    ws = _epoch_us(positions["win_start"])[left]
    we = _epoch_us(positions["win_end"])[left]
    os_, oe = table.start_us[rows], table.end_us[rows]
    timed = (os_ != _NULL_US) & (oe != _NULL_US)
    has_window = (ws != _NULL_US) & (we != _NULL_US)
    flag = timed & has_window & (os_ <= we) & (oe >= ws)
    series = pl.Series("time_overlap", flag)
    if not has_window.all():
        series = (
            pl.select(pl.when(pl.Series(has_window)).then(series).otherwise(None))
            .to_series()
            .alias("time_overlap")
        )
    return series


@dataclass(frozen=True)
class MatchOptions:
    with_id: bool
    with_window: bool
    overlap_only: bool
    streaming: bool
    keep: tuple[str, ...] = ()  # the user's columns carried into every pair
    footprint: bool = False


def output_schema(
    opts: MatchOptions, id_dtype: pl.DataType | None, kept: Mapping[str, pl.DataType] | None = None
) -> dict[str, pl.DataType]:
    """Column names and types of the association table."""
    from daxa.filters._base import ASSOCIATION_SCHEMA

    schema: dict[str, pl.DataType] = {"pos_index": pl.Int64()}
    if opts.with_id:
        schema["row_id"] = id_dtype or pl.String()
    schema.update({k: v for k, v in ASSOCIATION_SCHEMA.items() if k != "pos_index"})
    if opts.with_window:
        schema["time_overlap"] = pl.Boolean()
    for name in opts.keep:
        if name in schema:
            raise InputError(f"keep={name!r}: the result already has a column {name!r}")
        schema[name] = (kept or {}).get(name, pl.String())
    if opts.footprint:
        from daxa.footprints.assess import FOOTPRINT_SCHEMA

        schema.update(FOOTPRINT_SCHEMA)
    if opts.streaming:
        schema[HPX] = pl.Int64()
    return schema


def match_chunk(
    positions: pl.DataFrame,
    skipped: IntArray,
    opts: MatchOptions,
    shared: dict[str, Any],
) -> tuple[Iterable[pl.DataFrame], IntArray]:
    """The association rows of one chunk of prepared positions against every mission.

    The frames come lazily, a slice of pairs at a time (see :data:`FRAME_PAIRS`).

    Rows come in the chunk's row order (HEALPix order for sorted chunks), then mission
    (registry order), then table row: a stable radix sort on the row, no comparison sort.
    """
    from daxa.sky._join import stable_argsort_int

    tables: list[MissionTable] = shared["tables"]
    if positions.height == 0:
        return [], skipped
    cap = chunk_cap(positions["ra"].to_numpy(), positions["dec"].to_numpy())
    r_pos = float(positions["_radius"].max()) if "_radius" in positions.columns else 0.0  # type: ignore[arg-type]
    found = []
    for t, table in enumerate(tables):
        rows = reachable(table, cap, r_pos)
        left, trow, sep = _pairs(positions, table, rows)
        if opts.with_window and left.size:
            flag = _overlap(positions, table, left, trow)
            if opts.overlap_only:
                keep = flag.fill_null(False).to_numpy()
                left, trow, sep, flag = left[keep], trow[keep], sep[keep], flag.filter(keep)
        else:
            flag = None
        foot = None
        if opts.footprint and left.size:
            left, trow, sep, flag, foot = _footprint_step(positions, table, left, trow, sep, flag)
        if left.size:
            found.append((t, left, trow, sep, flag, foot))
    if not found:
        return [], skipped
    left = np.concatenate([f[1] for f in found])
    order = stable_argsort_int(left, positions.height)
    left = left[order]
    sep = np.concatenate([f[3] for f in found])[order]
    which = np.concatenate([np.full(f[1].size, f[0], dtype=np.int64) for f in found])[order]
    trow = np.concatenate([f[2] for f in found])[order]
    flags = [f[4] for f in found if f[4] is not None]
    overlap = pl.concat(flags).gather(order) if opts.with_window else None
    parts = [f[5] for f in found if f[5] is not None]
    feet = pl.concat(parts).gather(order) if opts.footprint else None

    def frames() -> Iterator[pl.DataFrame]:
        # the output is built a slice of pairs at a time, as the sink takes it: a chunk that
        # reaches many wide fields only ever holds its raw pairs (24 bytes each) in full
        for a in range(0, left.size, FRAME_PAIRS):
            b = min(left.size, a + FRAME_PAIRS)
            piece = None if overlap is None else overlap.slice(a, b - a)
            out = _frame(positions, tables, opts, left[a:b], which[a:b], trow[a:b], sep[a:b], piece)
            if feet is not None:
                out = _with_footprint(out, feet.slice(a, b - a))
            yield out

    return frames(), skipped


def _footprint_step(
    positions: pl.DataFrame,
    table: MissionTable,
    left: IntArray,
    trow: IntArray,
    sep: FloatArray,
    flag: pl.Series | None,
) -> tuple[IntArray, IntArray, FloatArray, pl.Series | None, pl.DataFrame]:
    """Keep the pairs a footprint covers (yes / maybe); their footprint columns as a frame
    whose ``instruments`` replaces the circle rule's covering list."""
    from daxa.footprints.assess import assess_pairs
    from daxa.missions.coverage import instrument_lists

    assert table.footprint is not None
    spec = get_mission(table.name)
    pra, pdec = positions["ra"].to_numpy(), positions["dec"].to_numpy()
    cov = assess_pairs(
        table.footprint, spec, table.instruments, table.plan.observed, trow, pra, pdec, sep, left
    )
    keep = np.flatnonzero(cov.status > 0)
    cols = {
        "instruments": instrument_lists(cov.covers[keep], table.instruments),
        **cov.columns(keep),
    }
    flag = None if flag is None else flag.gather(keep)
    return left[keep], trow[keep], sep[keep], flag, pl.DataFrame(cols)


def _with_footprint(frame: pl.DataFrame, feet: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with the footprint step's instruments and columns (same pairs, same order)."""
    extra = [c for c in feet.columns if c != "instruments"]
    tail = [HPX] if HPX in frame.columns else []
    order = [c for c in frame.columns if c != HPX] + extra + tail
    return frame.drop("instruments").hstack(feet).select(order)


def _frame(
    positions: pl.DataFrame,
    tables: list[MissionTable],
    opts: MatchOptions,
    left: IntArray,
    which: IntArray,
    trow: IntArray,
    sep: FloatArray,
    overlap: pl.Series | None,
) -> pl.DataFrame:
    """Output rows for pairs already in output order."""
    cols: dict[str, Any] = {"pos_index": positions["pos_index"].gather(left)}
    if opts.with_id:
        cols["row_id"] = positions["row_id"].gather(left)
    present = np.unique(which)
    names = pl.Series([tables[int(t)].name for t in present], dtype=pl.String)
    slot = np.zeros(len(tables), dtype=np.int64)
    slot[present] = np.arange(present.size)
    cols["mission"] = names.gather(slot[which])
    parts_ids, parts_inst, parts_pos = [], [], []
    for t in present.tolist():
        at = np.flatnonzero(which == t)
        table = tables[t]
        parts_ids.append(table.obs_id.gather(trow[at]))
        if not opts.footprint:  # the footprint step brings its own list
            parts_inst.append(
                covering_lists(
                    table.plan.observed,
                    trow[at],
                    sep[at],
                    table.plan.instrument_radii,
                    table.instruments,
                )
            )
        parts_pos.append(at)
    back = np.empty(left.size, dtype=np.int64)
    back[np.concatenate(parts_pos)] = np.arange(left.size)
    ids = pl.concat(parts_ids).gather(back)
    inst = (
        pl.concat(parts_inst).gather(back)
        if parts_inst
        else pl.Series("instruments", [None] * left.size, dtype=pl.List(pl.String))
    )
    cols["obs_id"] = ids
    cols["separation_deg"] = sep
    cols["instruments"] = inst
    cols["pos_ra"] = positions["ra"].gather(left)
    cols["pos_dec"] = positions["dec"].gather(left)
    if overlap is not None:
        cols["time_overlap"] = overlap
    for name in opts.keep:
        cols[name] = positions[name].gather(left)
    if opts.streaming:
        cols[HPX] = positions[HPX].gather(left)
    return pl.DataFrame(cols)


# --------------------------------------------------------------------------- public API


def expected_pairs_per_position(tables: list[MissionTable], position_radius: float = 0.0) -> float:
    """Pairs a position would get on average if observations were spread evenly on the sky."""
    total = 0.0
    for t in tables:
        if isinstance(t.radius, np.ndarray):
            r = t.radius
        else:
            r = np.full(t.ra.size, position_radius if t.radius is None else t.radius)
        total += float(((1.0 - np.cos(np.radians(np.minimum(r, 180.0)))) / 2.0).sum())
    return total


def rows_per_chunk(memory_budget: int, pairs_per_position: float, n_rows: int) -> int:
    """Positions per chunk so that one chunk's work fits a quarter of the budget."""
    per = BYTES_PER_POSITION + BYTES_PER_PAIR * max(pairs_per_position, 0.0)
    rows = int(memory_budget / 4 / per)
    return max(MIN_CHUNK_ROWS, min(rows, max(n_rows, 1)))


def match_observations(
    catalogue: Any,
    missions: Any = None,
    *,
    ra: str | None = None,
    dec: str | None = None,
    id: str | None = None,
    start: str | None = None,
    end: str | None = None,
    epoch: str | None = None,
    window: Any = None,
    radius: Any = None,
    instruments: Mapping[str, Any] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    tables: Mapping[str, pl.DataFrame] | None = None,
    overlap_only: bool = False,
    keep: Iterable[str] | str | None = None,
    time_format: str | None = None,
    output: str | os.PathLike[str] | None = None,
    output_format: Literal["parquet", "hats"] = "parquet",
    memory_budget: int | str = "2GB",
    chunk_rows: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    progress: bool = True,
    coverage: str = "circle",
) -> pl.DataFrame | Path:
    """Match every row of ``catalogue`` against the observations of ``missions``.

    ``catalogue``: any input of :mod:`daxa.inputs` (a path, SkyCoord, astropy/pandas/polars/
    Arrow table, pyvo result, list of pairs). ``ra``/``dec``: column names (default: found by
    UCD, name or unit); ``id`` (as ``row_id``) and ``keep`` columns are carried into every
    pair. ``radius``: degrees, an angle or ``'10arcmin'``, ``{instrument: radius}``, one per
    row (array) or the name of a radius column.
    ``missions``: names, ``'all'`` or None (all; or the keys of ``tables`` when given).
    ``tables`` maps missions to already loaded normalised tables (else ``daxa.cache.load``).
    Time windows: ``start``/``end`` columns, or ``epoch`` with ``window`` (a timedelta for
    ±Δt, or ``(before, after)``); ``overlap_only`` keeps only pairs that overlap in time;
    numeric time columns need ``time_format`` (e.g. ``'mjd'``).
    ``output`` streams the result to a Parquet file (or a HATS folder with
    ``output_format='hats'``) and returns its path. ``client`` (a ``distributed.Client``) or
    ``scheduler`` (its address) runs one task per HEALPix chunk on Dask. ``coverage``:
    ``"circle"`` (default) or ``"footprint"`` (see the module docstring).
    """
    from daxa.footprints.assess import check_coverage

    coverage = check_coverage(coverage)
    budget = parse_bytes(memory_budget)
    given = catalogue_input(catalogue, ra=ra, dec=dec, id=id, radius=radius, keep=keep)
    source, radius = given.source, given.radius
    per_row_radius, radius_column = given.per_row, given.radius_column
    cols = column_map(
        ra=given.ra,
        dec=given.dec,
        id=given.id,
        start=start,
        end=end,
        epoch=epoch,
        window=window,
        radius=radius_column,
        keep=given.keep,
        time_format=time_format,
    )
    if overlap_only and not cols.has_window:
        raise InputError("overlap_only=True needs time windows (start=/end= or epoch=/window=)")
    source.require(cols.needed())
    check_row_radii(per_row_radius, source.n_rows)
    per_row = per_row_radius is not None or radius_column is not None
    prepared_tables = load_missions(
        missions,
        tables=tables,
        cache_dir=cache_dir,
        instruments=instruments,
        radius=None if per_row else radius,
        per_row=per_row,
        coverage=coverage,
    )
    streaming = output is not None
    r_pos = float(np.max(per_row_radius, initial=0.0)) if per_row_radius is not None else 1.0
    rows = chunk_rows or rows_per_chunk(
        budget // chunks_in_flight(client, scheduler),
        expected_pairs_per_position(prepared_tables, r_pos),
        source.n_rows,
    )
    prepared = open_prepared(
        source,
        cols,
        memory_budget=budget,
        radius=per_row_radius,
        rows_per_chunk=None if streaming or chunk_rows else rows,
    )
    opts = MatchOptions(
        cols.id is not None,
        cols.has_window,
        overlap_only,
        streaming,
        cols.keep,
        coverage == "footprint",
    )
    id_dtype = None
    if cols.id is not None:
        id_dtype = row_id_dtype(prepared)
    kept = {}
    if cols.keep:
        empty = prepared.frame if prepared.frame is not None else prepared.empty()
        kept = {k: empty.schema[k] for k in cols.keep}
    schema = output_schema(opts, id_dtype, kept)
    plan = prepared.plan(rows)
    result = run_positions(
        prepared,
        plan,
        match_chunk,
        opts,
        tables=prepared_tables,
        n_rows=source.n_rows,
        schema=schema,
        output=output,
        output_format=output_format,
        client=client,
        scheduler=scheduler,
        progress=progress,
        desc="matching observations",
    )
    if isinstance(result, Path):
        return result
    if result.height == 0:
        return pl.DataFrame(schema=schema)
    rank = pl.col("mission").replace_strict(
        {t.name: t.rank for t in prepared_tables}, return_dtype=pl.Int32
    )
    result = result.sort(["pos_index", rank, "separation_deg"], maintain_order=True)
    return result.select(list(schema))
