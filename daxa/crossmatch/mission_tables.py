"""Mission tables for matching: each mission's observations cut down to what matching needs.

:func:`load_missions` reads the chosen missions (given tables or the cache) and
:func:`prepare_mission` keeps the rows that can match at all, with their radii (every form the
positions filter takes, ``{mission: radius}`` and ``{instrument: radius}`` split per mission).
:func:`chunk_cap` and :func:`reachable` say which rows can reach a chunk of positions, and
:func:`expected_pairs_per_position` how many pairs a position gets on average; both
:mod:`daxa.crossmatch.observations` and :mod:`daxa.crossmatch.coverage_summary` build on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.missions import Mission, get_mission, resolve_missions
from daxa.missions.coverage import chosen_instruments

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

NULL_US = np.iinfo(np.int64).min


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


def epoch_us(series: pl.Series) -> IntArray:
    return series.dt.epoch("us").fill_null(NULL_US).to_numpy().astype(np.int64)


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
        start_us=epoch_us(kept["start"]),
        end_us=epoch_us(kept["end"]),
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


# --------------------------------------------------------------------------- reach of a chunk


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
