"""The positions filter: observations whose pointing lies within a radius of any position.

Positions are any input of :func:`daxa.inputs.read_positions`: one ``[ra, dec]`` pair, a
list or (n, 2) array of pairs (degrees, in the mission's own frame, as DAXA reads them), a
SkyCoord in any frame (transformed to the mission's frame), a table of any kind (polars,
pandas, Arrow, astropy Table/QTable, a pyvo result, a dict of columns) or a path to one, with
RA/Dec columns found by UCD or name (``ra``, ``RAJ2000``, ``declination``...). For the radius
forms see :mod:`daxa.filters.radius`.

Besides the mask, :meth:`Positions.associate` returns the typed association table: one row per
(position, observation) pair with the separation and the chosen instruments covering it.

>>> from daxa.filters._examples import observation_table
>>> t = observation_table("xmm_pointed", ra=[10.0, 50.0], dec=[0.0, 0.0])
>>> Positions([10.1, 0.0]).mask(t, mission="xmm_pointed").to_list()
[True, False]
>>> Positions([10.1, 0.0]).associate(t, mission="xmm_pointed").select(
...     "pos_index", "obs_id", "instruments").rows()
[(0, '0000000000', ['M1', 'M2', 'PN'])]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.filters import radius as _radius
from daxa.filters._association import (
    association_frame,
    footprint_association,
    footprint_plan,
    with_row_id,
)
from daxa.filters._base import Filter, as_mask, context, require_columns
from daxa.filters._positions_input import ParsedPositions, frame_columns, reduce_frame
from daxa.missions import Mission

# The helpers moved to _association / _positions_input stay importable from here.
__all__ = [
    "ASSOCIATION_REFUSE",
    "MASK_PAIRS_LIMIT",
    "ParsedPositions",
    "Positions",
    "association_frame",
    "footprint_association",
    "footprint_plan",
    "frame_columns",
    "reduce_frame",
    "with_row_id",
]


#: Above this many expected pairs, ``mask`` stops listing pairs (see Positions.mask).
MASK_PAIRS_LIMIT = 20_000_000
#: Above this many expected pairs, ``associate`` refuses (the table would not fit in memory).
ASSOCIATION_REFUSE = 1_000_000_000


@dataclass(frozen=True)
class _SearchInputs:
    """Positions and (candidate) observation columns of one search, with the radius plan."""

    ra: npt.NDArray[np.float64]
    dec: npt.NDArray[np.float64]
    obs_ra: npt.NDArray[np.float64]
    obs_dec: npt.NDArray[np.float64]
    hpx: npt.NDArray[np.int64]
    plan: _radius.RadiusPlan

    def expected_pairs(self) -> float:
        """Pairs expected if positions were spread evenly over the sky (cap area / 4π)."""
        radius = np.asarray(self.plan.radius, dtype=np.float64)
        n_owner = 1 if radius.ndim == 0 else radius.size
        if n_owner == 0 or self.ra.size == 0 or self.obs_ra.size == 0:
            return 0.0
        others = self.ra.size * self.obs_ra.size / n_owner
        widest = float(radius.max()) if radius.size else 0.0
        bound = _cap(np.array(widest)) * n_owner * others
        if radius.ndim == 0 or bound <= MASK_PAIRS_LIMIT:  # cheap bound settles most calls
            return bound
        return float(np.sum(_cap(radius))) * others

    def rows_hit(self) -> npt.NDArray[np.int64]:
        """Indices (into the candidate observations) within the radius of some position."""
        from daxa.sky.pairs import pair_search

        expected = self.expected_pairs()
        per_position = np.ndim(self.plan.radius) == 1 and self.plan.radius_of == "left"
        if expected <= MASK_PAIRS_LIMIT:
            pairs = pair_search(
                self.ra,
                self.dec,
                self.obs_ra,
                self.obs_dec,
                self.plan.radius,
                radius_of=self.plan.radius_of,
                right_hpx29=self.hpx,
            )
            hit = np.zeros(self.obs_ra.size, dtype=bool)
            hit[pairs.right] = True
            return np.flatnonzero(hit)
        if not per_position:
            return _nearest_within(self.ra, self.dec, self.obs_ra, self.obs_dec, self.plan.radius)
        chunk = max(1, int(self.ra.size * MASK_PAIRS_LIMIT / expected))
        radius = np.asarray(self.plan.radius)
        hit = np.zeros(self.obs_ra.size, dtype=bool)
        for lo in range(0, self.ra.size, chunk):
            part = slice(lo, lo + chunk)
            pairs = pair_search(
                self.ra[part],
                self.dec[part],
                self.obs_ra,
                self.obs_dec,
                radius[part],
                radius_of="left",
                right_hpx29=self.hpx,
            )
            hit[pairs.right] = True
        return np.flatnonzero(hit)


def _cap(radius_deg: npt.NDArray[np.float64]) -> Any:
    """Fraction of the sphere within ``radius_deg`` of a point."""
    return (1.0 - np.cos(np.radians(np.minimum(radius_deg, 180.0)))) / 2.0


def _nearest_within(
    ra: npt.NDArray[np.float64],
    dec: npt.NDArray[np.float64],
    obs_ra: npt.NDArray[np.float64],
    obs_dec: npt.NDArray[np.float64],
    radius: Any,
) -> npt.NDArray[np.int64]:
    """Observations whose nearest position is within their radius (a KD-tree on positions).

    Exact for one radius per observation (or one for all): an observation is within reach of
    some position exactly when its nearest position is. The separation of each found pair is
    computed with the pair search's own arithmetic, so both paths agree on the boundary.
    """
    from scipy.spatial import cKDTree

    from daxa.sky.geometry import angular_separation, loosen, unit_vectors

    radius = np.asarray(radius, dtype=np.float64)
    if obs_ra.size == 0 or ra.size == 0:
        return np.zeros(0, dtype=np.int64)
    widest = float(loosen(radius.max()))
    chord = 2.0 * np.sin(np.radians(min(widest, 180.0)) / 2.0) * (1 + 1e-9) + 1e-12
    tree = cKDTree(unit_vectors(ra, dec))
    _, nearest = tree.query(unit_vectors(obs_ra, obs_dec), k=1, distance_upper_bound=chord)
    found = np.flatnonzero(nearest < ra.size)
    idx = nearest[found]
    sep = angular_separation(obs_ra[found], obs_dec[found], ra[idx], dec[idx])
    limit = radius if radius.ndim == 0 else radius[found]
    return found[sep <= loosen(limit)].astype(np.int64)  # the pair search's tolerance rule


@dataclass(frozen=True, eq=False)
class Positions(Filter):
    """Keep observations whose pointing is within ``radius`` of any of ``positions``.

    ``radius``: None (default, per row: the largest 1.2 × FoV among the chosen instruments that
    observed in that row — DAXA takes the largest chosen FoV for every row), degrees or an angle
    Quantity, ``{instrument: radius}``, or one radius per position. "Within" is inclusive up to
    rounding (:data:`daxa.sky.geometry.REL_TOL`): a radius of 0 keeps observations at the same
    point, to within 1e-12 degrees.

    ``coverage``: ``"circle"`` (default, the radius rule above) or ``"footprint"``: the
    circle search proposes pairs (each instrument's circumscribed radius when ``radius`` is
    None), then the instruments' real fields decide (:mod:`daxa.footprints`); the association
    table gains ``covered`` (yes / maybe), ``offaxis_arcmin``, ``footprint_instrument`` and
    ``owner_tile`` (eRASS1). ``mask`` keeps rows covered yes or maybe.
    """

    positions: Any
    radius: Any = None
    coverage: str = "circle"

    name = "positions"

    def __post_init__(self) -> None:
        from daxa.footprints.assess import check_coverage

        object.__setattr__(self, "coverage", check_coverage(self.coverage))
        parsed = ParsedPositions(self.positions)
        object.__setattr__(self, "positions", parsed.saved_form(self.positions))
        object.__setattr__(self, "_parsed", parsed)
        object.__setattr__(self, "_radius", _radius.parse_radius(self.radius, parsed.size))

    def params(self) -> dict[str, Any]:
        """As :meth:`Filter.params`; ``coverage`` only when not the default (older saves)."""
        out = super().params()
        if out.get("coverage") == "circle":
            del out["coverage"]
        return out

    @property
    def parsed(self) -> ParsedPositions:
        return self.__dict__["_parsed"]  # type: ignore[no-any-return]

    @property
    def n_positions(self) -> int:
        return self.parsed.size

    def _inputs(
        self, table: pl.DataFrame, mission: Mission, instruments: tuple[str, ...]
    ) -> _SearchInputs:
        require_columns(table, ("ra", "dec", "_healpix_29"), what=f"the {self.name} filter")
        ra, dec = self.parsed.in_frame(mission.frame)
        radius = self.__dict__["_radius"]
        if self.coverage == "footprint" and radius.kind == "default":
            plan = footprint_plan(table, mission, instruments)
        else:
            plan = _radius.plan(radius, table, mission, instruments)
        obs_ra, obs_dec = table["ra"].to_numpy(), table["dec"].to_numpy()
        hpx = table["_healpix_29"].to_numpy()
        if plan.rows is not None:
            obs_ra, obs_dec, hpx = obs_ra[plan.rows], obs_dec[plan.rows], hpx[plan.rows]
        return _SearchInputs(ra, dec, obs_ra, obs_dec, hpx, plan)

    def _pairs(
        self, table: pl.DataFrame, mission: Mission, instruments: tuple[str, ...]
    ) -> tuple[Any, npt.NDArray[np.int64], _radius.RadiusPlan]:
        """Pair search; returns (pairs, table row of each pair, the radius plan)."""
        from daxa.sky.pairs import pair_search

        x = self._inputs(table, mission, instruments)
        expected = x.expected_pairs()
        if expected > ASSOCIATION_REFUSE:
            raise InputError(
                f"about {expected:.2g} (position, observation) pairs are within the radius "
                f"({self.describe()}, {mission.name} instruments {', '.join(instruments)}): too "
                "many for an association table. Use mask() alone, a smaller radius, or fewer "
                "wide-field instruments (e.g. instruments=['XRT'] for Swift)"
            )
        pairs = pair_search(
            x.ra,
            x.dec,
            x.obs_ra,
            x.obs_dec,
            x.plan.radius,
            radius_of=x.plan.radius_of,
            right_hpx29=x.hpx,
        )
        right = np.asarray(pairs.right, dtype=np.int64)
        rows = right if x.plan.rows is None else x.plan.rows[right]
        return pairs, rows, x.plan

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        """Rows within the radius of any position.

        When the radii are so wide that the (position, observation) pairs would number tens of
        millions (Swift BAT's 60° with many positions), no pairs are listed: each observation
        is tested against its nearest position instead (exact for a radius per row or one
        radius for all), or the positions are searched in chunks (one radius per position).
        """
        spec, chosen = context(table, mission, instruments)
        if self.coverage == "footprint":
            pairs, rows, plan = self._pairs(table, spec, chosen)
            cov = self._assess(table, spec, chosen, pairs, rows, plan)
            keep = np.zeros(table.height, dtype=bool)
            keep[rows[cov.status > 0]] = True
            return as_mask(keep, table)
        x = self._inputs(table, spec, chosen)
        hit = x.rows_hit()
        keep = np.zeros(table.height, dtype=bool)
        keep[hit if x.plan.rows is None else x.plan.rows[hit]] = True
        return as_mask(keep, table)

    def associate(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.DataFrame:
        """One row per (position, observation) pair: ``pos_index, mission, obs_id,
        separation_deg, instruments`` (chosen instruments that observed and reach the position)
        and the position's ``pos_ra, pos_dec`` in the mission's frame (and ``row_id``, the
        positions' id column, when they have one); sorted by position, then separation."""
        spec, chosen = context(table, mission, instruments)
        pairs, rows, plan = self._pairs(table, spec, chosen)
        ra, dec = self.parsed.in_frame(spec.frame)
        if self.coverage == "footprint":
            cov = self._assess(table, spec, chosen, pairs, rows, plan)
            found = footprint_association(spec, table, pairs, rows, cov, chosen, ra, dec)
            return with_row_id(found, self.parsed)
        found = association_frame(
            spec,
            table,
            np.asarray(pairs.left, dtype=np.int64),
            rows,
            np.asarray(pairs.separation, dtype=np.float64),
            plan,
            chosen,
            ra,
            dec,
        )
        return with_row_id(found, self.parsed)

    def _assess(
        self,
        table: pl.DataFrame,
        spec: Mission,
        chosen: tuple[str, ...],
        pairs: Any,
        rows: npt.NDArray[np.int64],
        plan: _radius.RadiusPlan,
    ) -> Any:
        """The footprint decision on the circle search's pairs (daxa.footprints)."""
        from daxa.footprints.assess import assess_pairs

        ra, dec = self.parsed.in_frame(spec.frame)
        left = np.asarray(pairs.left, dtype=np.int64)
        sep = np.asarray(pairs.separation, dtype=np.float64)
        return assess_pairs(table, spec, chosen, plan.observed, rows, ra, dec, sep, left)

    def describe(self) -> str:
        n = self.n_positions
        parsed: _radius.Radius = self.__dict__["_radius"]
        if parsed.kind == "default":
            radius = "default radius (1.2 × FoV per row)"
        elif parsed.kind == "scalar":
            radius = f"radius {parsed.value:g}°"
        elif parsed.kind == "mapping":
            radius = f"radius per instrument ({_mapping_note(parsed.value)})"
        else:
            radius = "one radius per position"
        plural = "s" if n != 1 else ""
        if self.coverage == "footprint":
            limit = "" if parsed.kind == "default" else f", within {radius}"
            return f"an instrument's footprint holds one of {n} position{plural}{limit}"
        return f"within {radius} of {n} position{plural}"


def _mapping_note(radius: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {v:g}°" for k, v in radius.items())
