"""Per-row search radii as SQL expressions, generated from the mission specs.

The rules are those of :mod:`daxa.missions.coverage` (which the Python positions filter uses),
written as SQL so DuckDB evaluates them per row. DESIGN §3: the default radius of a row is the
largest 1.2 × FoV among the chosen instruments that actually observed in that row. An
instrument observed when its exposure column is > 0 (NULL counts as not observed);
instruments without an exposure column always count; for one-instrument-per-observation
missions (Chandra, ROSAT pointed) the row's ``instrument`` must be the chosen one. A row where
no chosen instrument observed has a NULL radius and matches nothing.

>>> print(radius_sql("chandra", ["ACIS"], None, columns={"instrument"}))
greatest(CASE WHEN coalesce(instrument = 'ACIS', false) THEN 5.5599999999999994e-01 END)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from daxa.missions import Mission, coverage, get_mission
from daxa.sql.views import quote_ident, quote_literal

#: A radius in degrees for every chosen instrument, a mapping {instrument: degrees}, or None
#: for the default 1.2 × FoV.
RadiusLike = float | Mapping[str, float] | None


def double_literal(value: float) -> str:
    """``value`` as a DuckDB DOUBLE literal that round-trips exactly.

    A plain ``0.236`` would be a DECIMAL in DuckDB; the exponent form is a DOUBLE.

    >>> double_literal(0.25)
    '2.5000000000000000e-01'
    """
    return format(float(value), ".16e")


def chosen_instruments(
    mission: str | Mission, instruments: Iterable[str] | None
) -> tuple[str, ...]:
    """The canonical chosen instruments (the mission's defaults when ``instruments`` is None)."""
    return coverage.chosen_instruments(mission, instruments)


def instrument_radii(
    mission: str | Mission, instruments: Iterable[str] | None = None, radius: RadiusLike = None
) -> dict[str, float]:
    """Search radius in degrees of each chosen instrument, as the positions filter uses them.

    A mapping may name instruments of other missions too (they are ignored here), so one
    mapping can serve a multi-mission query.

    >>> {k: round(v, 6) for k, v in instrument_radii("swift").items()}
    {'XRT': 0.236, 'BAT': 60.0}
    >>> instrument_radii("swift", ["xrt"], radius={"XRT": 0.1, "ACIS": 0.2})
    {'XRT': 0.1}
    """
    spec = get_mission(mission)
    names = coverage.chosen_instruments(spec, instruments)
    if isinstance(radius, Mapping):
        radius = {k: v for k, v in radius.items() if _canonical_or_none(spec, k) is not None}
    elif radius is not None and getattr(radius, "unit", None) is not None:  # astropy Quantity
        radius = float(radius.to_value("deg"))  # type: ignore[attr-defined]
    radii = coverage.instrument_radii(spec, names, radius)
    return {name: float(r) for name, r in zip(names, radii, strict=True)}


def _canonical_or_none(spec: Mission, name: str) -> str | None:
    key = str(name).strip().upper()
    for inst in spec.instruments:
        if key == inst.name.upper() or key in (a.upper() for a in inst.aliases):
            return inst.name
    return None


def observed_sql(mission: str | Mission, instrument: str, columns: Collection[str]) -> str | None:
    """SQL that is true when ``instrument`` observed in a row; None when it always counts.

    The same rule as :func:`daxa.missions.coverage.observed_active`.
    """
    spec = get_mission(mission)
    inst = spec.instrument(instrument)
    base: str | None = None
    if spec.one_instrument_per_obs and "instrument" in columns:
        base = f"coalesce(instrument = {quote_literal(inst.name)}, false)"
    elif inst.exposure_column and inst.exposure_column in columns:
        base = f"coalesce({quote_ident(inst.exposure_column)} > 0, false)"
    if "active_insts" in columns:  # eROSITA lists the active instruments (observed_active)
        active = f"coalesce(list_contains(active_insts, {quote_literal(inst.name)}), true)"
        return active if base is None else f"({base} AND {active})"
    return base


def radius_sql(
    mission: str | Mission,
    instruments: Iterable[str] | None,
    radius: RadiusLike,
    *,
    columns: Collection[str],
) -> str:
    """SQL giving each row's search radius in degrees (NULL when no chosen instrument observed)."""
    terms = []
    for name, r in instrument_radii(mission, instruments, radius).items():
        observed = observed_sql(mission, name, columns)
        literal = double_literal(r)
        terms.append(literal if observed is None else f"CASE WHEN {observed} THEN {literal} END")
    return f"greatest({', '.join(terms)})"


def covering_sql(
    mission: str | Mission,
    instruments: Iterable[str] | None,
    radius: RadiusLike,
    *,
    columns: Collection[str],
    separation: str,
    per_position_radius: str | None = None,
) -> str:
    """SQL list of the chosen instruments that observed and reach the position.

    ``separation`` is the SQL of the pair's separation in degrees; ``per_position_radius``
    (SQL), when given, replaces the instruments' own radii.
    """
    items = []
    for name, r in instrument_radii(mission, instruments, radius).items():
        observed = observed_sql(mission, name, columns)
        reach = f"{separation} <= {per_position_radius or double_literal(r)}"
        condition = reach if observed is None else f"{observed} AND {reach}"
        items.append(f"CASE WHEN {condition} THEN {quote_literal(name)} END")
    return f"list_filter([{', '.join(items)}], lambda x: x IS NOT NULL)"
