"""Search radii of the positional filters: the four forms, and which instruments cover a pair.

A radius is one of:

- ``None`` — the default, **per row**: the largest 1.2 × FoV among the chosen instruments that
  observed in that row (exposure > 0 where the table says; the ``instrument`` column for
  one-instrument missions). DAXA instead uses the largest FoV of any chosen instrument for every
  row (Swift XRT-only rows would get BAT's 60°); we do it per row. Rows where no chosen
  instrument observed can match nothing.
- a scalar — degrees, an astropy angle Quantity, or a string like ``"10arcmin"``, for every
  position and row.
- a mapping ``{instrument: radius}`` — per instrument (aliases accepted); a row's radius is the
  largest among its chosen, observing instruments; instruments left out keep 1.2 × FoV.
- an array (list, numpy array or Quantity) — one radius per position.

An observation covers a position for instrument I when I is chosen, I observed, and the
separation is within I's radius (the user's radius for the scalar and per-position forms).
Whatever the form, an observation matches only when at least one chosen instrument observed
in it (exposure > 0 / the instrument flags): with ``instruments=["XRT"]`` and
``radius=0.5`` a Swift row where only BAT observed matches nothing. ``daxa.sql``'s
``match_positions`` and the cross-matchers follow the same rule.

>>> parse_radius(None, 3).kind, parse_radius(0.5, 3).kind, parse_radius([1, 2, 3], 3).kind
('default', 'scalar', 'per_position')
>>> import astropy.units as u
>>> parse_radius(30 * u.arcmin, 1).value
0.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.missions import Mission
from daxa.missions.coverage import covering_lists, instrument_radii, observed_active

RadiusKind = Literal["default", "scalar", "mapping", "per_position"]


@dataclass(frozen=True)
class Radius:
    """A parsed radius: ``value`` is None, degrees, ``{instrument: degrees}`` or an array."""

    kind: RadiusKind
    value: Any = None


def _degrees(value: Any, *, what: str) -> float:
    from daxa.inputs.angles import angle_deg

    return angle_deg(value, what=what)


def parse_radius(radius: Any, n_positions: int) -> Radius:
    """Check ``radius`` against the four forms (see the module docstring)."""
    if radius is None:
        return Radius("default")
    if isinstance(radius, Mapping):
        if not radius:
            raise InputError("the radius mapping is empty; give {instrument: radius} entries")
        values = {str(k): _degrees(v, what=f"radius[{k!r}]") for k, v in radius.items()}
        return Radius("mapping", values)
    is_quantity = type(radius).__module__.startswith("astropy") and hasattr(radius, "unit")
    if is_quantity and radius.isscalar:
        return Radius("scalar", _degrees(radius, what="radius"))
    if is_quantity:
        try:
            radius = radius.to_value("deg")
        except Exception:
            raise InputError(f"radius {radius!r} is not an angle") from None
    if isinstance(radius, (np.ndarray, Sequence)) and not isinstance(radius, str):
        array = np.asarray(radius)
        if array.ndim == 1 and array.dtype.kind in "UO":
            from daxa.inputs.angles import angles_deg

            array = angles_deg(radius, what="radius")
        if array.ndim != 1 or array.dtype.kind not in "iuf":
            raise InputError(
                "a radius per position must be a flat list/array of numbers of degrees, "
                f"got {radius!r:.80}"
            )
        if array.size != n_positions:
            raise InputError(
                f"{array.size} radii given for {n_positions} positions; give one per position "
                "or a single radius"
            )
        degrees = array.astype(np.float64)
        bad = ~np.isfinite(degrees) | (degrees < 0) | (degrees > 180)
        if bad.any():
            i = int(np.argmax(bad))
            raise InputError(f"radius[{i}]={degrees[i]!r}: radii must be between 0 and 180 deg")
        return Radius("per_position", degrees)
    return Radius("scalar", _degrees(radius, what="radius"))


@dataclass(frozen=True)
class RadiusPlan:
    """How to run the pair search for one mission table.

    ``radius`` goes to ``pair_search`` with ``radius_of``; ``rows`` are the table rows that can
    match at all (None: every row); ``instrument_radii`` are per-chosen-instrument radii for
    the coverage test (None: the user's radius, which every found pair already satisfies).
    """

    radius: float | npt.NDArray[np.float64]
    radius_of: Literal["left", "right"]
    rows: npt.NDArray[np.int64] | None
    observed: npt.NDArray[np.bool_]
    instrument_radii: npt.NDArray[np.float64] | None


def plan(
    radius: Radius, table: pl.DataFrame, mission: Mission, instruments: tuple[str, ...]
) -> RadiusPlan:
    """The pair-search radius and the coverage rule of ``radius`` on ``table``."""
    observed = observed_active(table, mission, instruments)
    if radius.kind in ("default", "mapping"):
        radii = instrument_radii(mission, instruments, radius.value)
        per_cell = np.where(observed, radii[None, :], -np.inf)
        best = per_cell.max(axis=1, initial=-np.inf)
        finite = np.isfinite(best)
        if finite.all():
            return RadiusPlan(best, "right", None, observed, radii)
        rows = np.flatnonzero(finite).astype(np.int64)
        return RadiusPlan(best[rows], "right", rows, observed, radii)
    # the user's radius replaces the fields of view, not the rule that a chosen instrument
    # must have observed: rows where none did match nothing (as in daxa.sql's join)
    seen = observed.any(axis=1)
    kept = None if seen.all() else np.flatnonzero(seen).astype(np.int64)
    if radius.kind == "scalar":
        return RadiusPlan(float(radius.value), "left", kept, observed, None)
    return RadiusPlan(np.asarray(radius.value, dtype=np.float64), "left", kept, observed, None)


def covering(
    plan: RadiusPlan,
    rows: npt.NDArray[np.int64],
    separation: npt.NDArray[np.float64],
    instruments: tuple[str, ...],
) -> pl.Series:
    """``List(String)`` of covering instruments for each (row, separation) pair."""
    return covering_lists(plan.observed, rows, separation, plan.instrument_radii, instruments)
