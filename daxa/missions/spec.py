"""Frozen descriptions of missions and their instruments."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

import polars as pl

from daxa.errors import InstrumentError

SourceKind = Literal["heasarc_tap", "xsa_tap", "erosita_list"]


@dataclass(frozen=True)
class Instrument:
    """One instrument of a mission.

    ``exposure_column`` names the normalised column that says whether (and how long) the
    instrument observed in a row; ``None`` when the archive does not say per instrument.
    """

    name: str
    fov_deg: float
    default: bool = True
    aliases: tuple[str, ...] = ()
    exposure_column: str | None = None

    @property
    def default_radius_deg(self) -> float:
        """Default positional search radius: 1.2 × the field-of-view radius."""
        return 1.2 * self.fov_deg


@dataclass(frozen=True)
class TableSource:
    """Where a mission's observation table comes from.

    ``kind`` picks the service (HEASARC TAP, XSA TAP, or a published eROSITA list);
    ``table`` is the TAP table or the list's file name, ``columns`` what to ask for;
    ``optional`` names the columns asked for only when the service has them (a missing one
    becomes a null column); ``alternates`` pairs a column with other names the service has
    used for it, e.g. ``(("target", ("target_name",)),)``: when the service lacks the
    column, the first alternate it has is fetched under the column's name.
    """

    kind: SourceKind
    table: str
    columns: tuple[str, ...] = ()
    fallback: TableSource | None = None
    optional: tuple[str, ...] = ()
    alternates: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def alternates_of(self, column: str) -> tuple[str, ...]:
        """Other names ``column`` has had on the service (empty when none are known).

        >>> TableSource("heasarc_tap", "t", ("name",), alternates=(("name", ("object",)),)
        ...             ).alternates_of("NAME")
        ('object',)
        """
        wanted = column.lower()
        return next((alts for col, alts in self.alternates if col.lower() == wanted), ())


class Normaliser(Protocol):
    """Raw archive table → standard schema; ``now`` (UTC, default: the current time) decides
    ``public`` from ``proprietary_end``."""

    def __call__(self, raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame: ...


def _identity(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    return raw


@dataclass(frozen=True)
class Mission:
    """Everything daxa knows about a mission that does not depend on its table."""

    name: str
    pretty_name: str
    instruments: tuple[Instrument, ...]
    frame: Literal["fk5", "icrs"]
    obs_id_regex: str
    source: TableSource
    one_instrument_per_obs: bool = False
    obs_id_case_insensitive: bool = False
    has_target_types: bool = True
    #: Column of the *raw* table holding the ObsID (for building WHERE clauses).
    raw_obs_id_column: str = "obsid"
    #: ObsIDs the archive's own pages print wrongly → the ObsIDs its table holds; the ObsID
    #: filter applies them with a warning. Pairs, so the spec stays hashable.
    obs_id_remaps: tuple[tuple[str, tuple[str, ...]], ...] = ()
    normalise: Normaliser = field(default=_identity, compare=False, repr=False)

    @property
    def instrument_names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.instruments)

    @property
    def exposure_columns(self) -> tuple[str, ...]:
        """The normalised per-instrument exposure columns (Float64 seconds) of this mission."""
        return tuple(i.exposure_column for i in self.instruments if i.exposure_column)

    @property
    def default_instruments(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.instruments if i.default)

    @property
    def fov_deg(self) -> dict[str, float]:
        """Field-of-view radius in degrees, per instrument."""
        return {i.name: i.fov_deg for i in self.instruments}

    def instrument(self, name: str) -> Instrument:
        """The :class:`Instrument` called ``name`` (canonical name or alias, any case)."""
        (canonical,) = canonical_instruments(self, [name])
        return next(i for i in self.instruments if i.name == canonical)

    @property
    def obs_id_pattern(self) -> re.Pattern[str]:
        return re.compile(self.obs_id_regex, re.IGNORECASE if self.obs_id_case_insensitive else 0)


def canonical_instruments(spec: Mission, names: str | Iterable[str]) -> tuple[str, ...]:
    """Canonical instrument names of ``spec`` for ``names`` (aliases and any case), in order.

    Raises :class:`~daxa.errors.InstrumentError` listing the allowed names.
    """
    if isinstance(names, str):
        names = [names]
    lookup: dict[str, str] = {}
    for inst in spec.instruments:
        lookup[inst.name.upper()] = inst.name
        for alias in inst.aliases:
            lookup[alias.upper()] = inst.name
    out: list[str] = []
    bad: list[str] = []
    for raw in names:
        canonical = lookup.get(str(raw).strip().upper())
        if canonical is None:
            bad.append(str(raw))
        elif canonical not in out:
            out.append(canonical)
    if bad:
        allowed = ", ".join(
            i.name + (f" ({'/'.join(i.aliases)})" if i.aliases else "") for i in spec.instruments
        )
        raise InstrumentError(
            f"{spec.name} has no instrument {', '.join(map(repr, bad))}; allowed: {allowed}"
        )
    if not out:
        raise InstrumentError(
            f"no instruments chosen for {spec.name}; allowed: {allowed_list(spec)}"
        )
    return tuple(out)


def allowed_list(spec: Mission) -> str:
    return ", ".join(spec.instrument_names)
