"""What every filter is: a frozen constructor of JSON-able parameters plus a pure ``mask``.

A filter never looks at other filters: a selection is the AND of its filters' masks, so the
order of filters does not matter and each one can say which rows it removed (DESIGN §4–§5).
Filters are registered by ``name`` so a saved selection can rebuild them from
``{"name": ..., "params": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import polars as pl

from daxa.errors import InputError, SelectionError
from daxa.filters._params import decode, encode
from daxa.missions import Mission, get_mission
from daxa.missions.coverage import chosen_instruments

#: Every filter class, by its ``name`` (filled in as the filter modules are imported).
REGISTRY: dict[str, type[Filter]] = {}

#: Association tables of positional filters have these columns, in this order, with these types.
ASSOCIATION_SCHEMA: dict[str, pl.DataType] = {
    "pos_index": pl.Int64(),
    "mission": pl.String(),
    "obs_id": pl.String(),
    "separation_deg": pl.Float64(),
    "instruments": pl.List(pl.String()),
    "pos_ra": pl.Float64(),
    "pos_dec": pl.Float64(),
}


class FilterWarning(UserWarning):
    """Something about a filter's input the user should know but that is not an error."""


@dataclass(frozen=True, eq=False)
class Filter:
    """Base of every filter: parameters in, a Boolean row mask out.

    Subclasses are frozen dataclasses whose fields are the parameters (what ``params()``
    saves); anything derived from them is computed in ``__post_init__`` and kept out of the
    fields. Two filters are equal when their saved parameters are.
    """

    name: ClassVar[str] = "filter"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            REGISTRY[cls.name] = cls

    def params(self) -> dict[str, Any]:
        """The parameters as JSON-able data; ``from_params`` rebuilds an equal filter."""
        return {f.name: encode(getattr(self, f.name)) for f in fields(self) if f.init}

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Filter:
        """Rebuild the filter from ``params()`` (after a trip through JSON)."""
        return cls(**{k: decode(v) for k, v in params.items()})

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        """Boolean Series, one value per row of ``table``: True where the row passes."""
        raise NotImplementedError

    def describe(self) -> str:
        """A one-line human description for lineage listings."""
        return self.name

    def _key(self) -> str:
        return json.dumps({"name": self.name, "params": self.params()}, sort_keys=True)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._key())


def filter_from_step(name: str, params: dict[str, Any]) -> Filter:
    """The filter a saved lineage step describes.

    :data:`REGISTRY` is complete: importing this module runs ``daxa/filters/__init__.py`` first,
    which imports (and so registers) every filter class.
    """
    cls = REGISTRY.get(name)
    if cls is None:
        raise SelectionError(
            f"saved step {name!r} is not a filter this daxa knows; known: {', '.join(REGISTRY)}"
        )
    return cls.from_params(params)


def context(
    table: pl.DataFrame, mission: str | Mission, instruments: Iterable[str] | str | None
) -> tuple[Mission, tuple[str, ...]]:
    """The mission spec and the canonical chosen instruments (defaults when ``None``)."""
    spec = get_mission(mission)
    return spec, chosen_instruments(spec, instruments)


def names_tuple(value: Any, *, not_names: str, empty: str) -> tuple[str, ...]:
    """One name or an iterable of names as a tuple of strings.

    Raises InputError with ``not_names`` (followed by ``, got <value>``) when ``value`` is not
    iterable, and with ``empty`` when it holds no names.

    >>> names_tuple("ACIS", not_names="x", empty="y")
    ('ACIS',)
    """
    raw = [value] if isinstance(value, str) else value
    try:
        names = tuple(str(v) for v in raw)
    except TypeError:
        raise InputError(f"{not_names}, got {raw!r}") from None
    if not names:
        raise InputError(empty)
    return names


def require_columns(table: pl.DataFrame, columns: Iterable[str], *, what: str) -> None:
    """Raise InputError naming the columns ``what`` needs that ``table`` lacks."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(
            f"{what} needs column(s) {', '.join(map(repr, missing))}, which the table lacks; "
            "pass a normalised mission table (daxa.cache.load)"
        )


def empty_association() -> pl.DataFrame:
    """A zero-row association table with the standard columns."""
    return pl.DataFrame(schema=ASSOCIATION_SCHEMA)


def as_mask(values: Any, table: pl.DataFrame) -> pl.Series:
    """``values`` as the Boolean Series a mask must be (named ``mask``, nulls → False)."""
    series = (
        pl.Series("mask", values, dtype=pl.Boolean) if not isinstance(values, pl.Series) else values
    )
    series = series.fill_null(False).alias("mask")
    if series.len() != table.height:
        raise AssertionError(f"mask has {series.len()} values for {table.height} rows")
    return series
