"""The name filter: resolve object names, then filter on their positions.

Resolution (J-name parsing offline, else CDS Sesame through daxa's HTTP session, with a cache
of answers) happens once, in the constructor; the resolved ICRS coordinates are then part of the
parameters, so saving and replaying a selection never asks Sesame again.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from dataclasses import InitVar, dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from daxa.errors import InputError, NameResolutionError
from daxa.filters._base import Filter, FilterWarning
from daxa.filters.positions import Positions
from daxa.missions import Mission
from daxa.services.http import ArchiveSession


def _name_list(given: Any) -> list[str]:
    """Names from a string, a list/array/Series of strings, or a table (any kind of
    :func:`daxa.inputs.to_table`, or a path object) whose name column is found by UCD or name."""
    if isinstance(given, str):
        return [given.strip()]
    tabular = (
        isinstance(given, os.PathLike)
        or hasattr(given, "columns")
        or (hasattr(given, "colnames") or hasattr(given, "to_table"))
    )
    if tabular and not isinstance(given, pl.Series):
        from daxa.inputs import find_column, to_table

        table = to_table(given, what="names")
        column = find_column(table.frame.columns, "id", ucds=table.ucds, label=table.label)
        assert column is not None
        return [str(n).strip() for n in table.frame[column].drop_nulls().to_list()]
    try:
        return [str(n).strip() for n in given]
    except TypeError:
        from daxa.inputs._text import short

        raise InputError(
            f"names={short(given)}: give a name ('M87'), a list of names, or a table or file "
            "with a name column"
        ) from None


@dataclass(frozen=True, eq=False)
class Names(Filter):
    """Keep observations within ``radius`` of the named objects (radius forms as for
    :class:`~daxa.filters.positions.Positions`; a per-position radius is one per name).
    ``names``: one name, a list of names, or a table/file whose name column is found by UCD
    or name (``name``, ``object``, ``main_id``...).

    Unresolvable names raise :class:`~daxa.errors.NameResolutionError` when none resolves or
    ``on_unresolved="raise"``; otherwise they are listed in a :class:`FilterWarning` and left
    out. ``resolved`` (name → [ra, dec] ICRS degrees, or None) is filled in by the constructor
    and saved; pass it to skip resolving.
    """

    names: Any
    radius: Any = None
    parse: bool = True
    on_unresolved: Literal["warn", "raise"] = "warn"
    resolved: Any = None
    session: InitVar[ArchiveSession | None] = None
    cache_dir: InitVar[str | os.PathLike[str] | None] = None

    name = "name"

    def __post_init__(
        self, session: ArchiveSession | None, cache_dir: str | os.PathLike[str] | None
    ) -> None:
        names = _name_list(self.names)
        if not names or any(not n for n in names):
            raise InputError("no object names given (or an empty name); pass names like 'M87'")
        if self.on_unresolved not in ("warn", "raise"):
            raise InputError(f"on_unresolved must be 'warn' or 'raise', got {self.on_unresolved!r}")
        object.__setattr__(self, "names", tuple(names))
        if self.resolved is None:
            from daxa.services.sesame import resolve_names

            answers = resolve_names(names, parse=self.parse, session=session, cache_dir=cache_dir)
            resolved = {a.name: ([a.ra, a.dec] if a.ok else None) for a in answers}
            object.__setattr__(self, "resolved", resolved)
        resolved = dict(self.resolved)
        bad = [n for n in names if resolved.get(n) is None]
        if len(bad) == len(names) or (bad and self.on_unresolved == "raise"):
            raise NameResolutionError(
                f"could not resolve {', '.join(map(repr, bad))} (Sesame: SIMBAD, NED, VizieR); "
                "check the spelling or give coordinates to daxa.filters.Positions",
                service="sesame",
            )
        if bad:
            warnings.warn(
                f"left out names that could not be resolved: {', '.join(map(repr, bad))}",
                FilterWarning,
                stacklevel=3,
            )
        good = [n for n in names if resolved.get(n) is not None]
        coords = np.array([resolved[n] for n in good], dtype=np.float64)
        radius = self.radius
        if radius is not None and not isinstance(radius, dict) and np.ndim(radius) == 1:
            keep = [i for i, n in enumerate(names) if resolved.get(n) is not None]
            values = getattr(radius, "value", radius)
            if len(values) != len(names):
                raise InputError(f"{len(values)} radii given for {len(names)} names; give one each")
            radius = np.asarray(values, dtype=np.float64)[keep]
            if hasattr(self.radius, "unit"):
                radius = radius * self.radius.unit
        from astropy.coordinates import SkyCoord

        sky = SkyCoord(coords[:, 0], coords[:, 1], unit="deg", frame="icrs")
        object.__setattr__(self, "_positions", Positions(sky, radius))
        object.__setattr__(self, "_resolved_names", tuple(good))

    @property
    def positions(self) -> Positions:
        """The positions filter of the resolved names (position index = resolved-name index)."""
        return self.__dict__["_positions"]  # type: ignore[no-any-return]

    @property
    def resolved_names(self) -> tuple[str, ...]:
        """The names that resolved, in the order of ``pos_index`` in association tables."""
        return self.__dict__["_resolved_names"]  # type: ignore[no-any-return]

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        return self.positions.mask(table, mission=mission, instruments=instruments)

    def associate(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.DataFrame:
        """The association table of the positions, with the object ``name`` of each pair."""
        found = self.positions.associate(table, mission=mission, instruments=instruments)
        names = pl.Series("name", list(self.resolved_names), dtype=pl.String)
        return found.with_columns(name=names.gather(found["pos_index"]))

    def describe(self) -> str:
        shown = ", ".join(self.resolved_names[:3]) + (
            ", ..." if len(self.resolved_names) > 3 else ""
        )
        return f"near {shown} ({self.positions.describe()})"
