"""The eROSITA CalPV field filter: by field name or field type, with DAXA's aliases.

Names are matched after upper-casing and turning ``- ( ) + / .`` and spaces into ``_`` (so
``"47 Tuc"``, ``"Crab II"`` and ``"a3391"`` all work). Field types are SURVEY,
MAGELLANIC_CLOUDS, GALACTIC_FIELDS and EXTRAGALACTIC_FIELDS. ``"Crab"`` means all four Crab
fields. DAXA maps ``47_TUC`` to ``47_TUC__NGC_04_``, a name the list does not have; we map it to
the list's ``47_TUC__NGC_104_``.

>>> canonical_field("Crab II"), canonical_field("47 Tuc")
('CRAB_2', '47_TUC__NGC_104_')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from daxa.errors import InputError
from daxa.filters._base import Filter, as_mask, names_tuple, require_columns
from daxa.missions import Mission, get_mission

FIELD_TYPES = ("SURVEY", "MAGELLANIC_CLOUDS", "GALACTIC_FIELDS", "EXTRAGALACTIC_FIELDS")

#: Alternative spellings → the list's field names (DAXA's aliases, plus a few obvious ones).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "IGR_J13020_6359": ("IGR_J13020_6359__2RXP_J130159_635806_",),
    "HR_3165": ("HR_3165__ZET_PUP_",),
    "ZET_PUP": ("HR_3165__ZET_PUP_",),
    "CRAB_I": ("CRAB_1",),
    "CRAB_II": ("CRAB_2",),
    "CRAB_III": ("CRAB_3",),
    "CRAB_IV": ("CRAB_4",),
    "CRAB": ("CRAB_1", "CRAB_2", "CRAB_3", "CRAB_4"),
    "47_TUC": ("47_TUC__NGC_104_",),
    "NGC_104": ("47_TUC__NGC_104_",),
    "TGUH2213P1": ("TGUH2213P1__DARK_CLOUD_",),
    "A3391": ("A3391_A3395",),
    "A3395": ("A3391_A3395",),
}

_SEPARATORS = re.compile(r"[-()+/. ]")


def canonical_field(name: str) -> str:
    """``name`` upper-cased with separators as underscores, then through the aliases (first)."""
    key = _SEPARATORS.sub("_", str(name).strip().upper())
    return FIELD_ALIASES.get(key, (key,))[0]


def resolve_fields(
    requested: Iterable[str], names: Iterable[str], types: Iterable[str]
) -> set[str]:
    """The field names meant by ``requested`` (names, aliases or types) given the table's
    ``names`` and ``types``; unknown entries raise InputError listing what exists."""
    known_names = {str(n) for n in names if n is not None}
    known_types = {str(t) for t in types if t is not None} | set(FIELD_TYPES)
    chosen: set[str] = set()
    type_choice: set[str] = set()
    bad: list[str] = []
    for raw in requested:
        key = _SEPARATORS.sub("_", str(raw).strip().upper())
        if key in known_types:
            type_choice.add(key)
        elif key in FIELD_ALIASES:
            chosen.update(FIELD_ALIASES[key])
        elif key in known_names:
            chosen.add(key)
        else:
            bad.append(str(raw))
    if bad:
        raise InputError(
            f"unknown eROSITA CalPV field(s) {', '.join(map(repr, bad))}; choose field names "
            f"({', '.join(sorted(known_names))}) or types ({', '.join(sorted(known_types))})"
        )
    return chosen | {f"type:{t}" for t in type_choice}


@dataclass(frozen=True, eq=False)
class Fields(Filter):
    """Keep eROSITA CalPV observations of the given fields (names, aliases or field types)."""

    fields: Any

    name = "fields"

    def __post_init__(self) -> None:
        names = names_tuple(
            self.fields,
            not_names="fields must be field names or types",
            empty="no fields given; pass field names or types such as 'SURVEY'",
        )
        object.__setattr__(self, "fields", names)

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        spec = get_mission(mission)
        if "field_name" not in table.columns:
            raise InputError(
                f"{spec.pretty_name} ({spec.name}) has no fields; the field filter is for "
                "eROSITA CalPV (erosita_calpv)"
            )
        require_columns(table, ("field_name", "field_type"), what="the field filter")
        wanted = resolve_fields(
            self.fields,
            table["field_name"].unique().to_list(),
            table["field_type"].unique().to_list(),
        )
        names = [w for w in wanted if not w.startswith("type:")]
        types = [w.removeprefix("type:") for w in wanted if w.startswith("type:")]
        keep = table["field_name"].is_in(names) | table["field_type"].is_in(types)
        return as_mask(keep, table)

    def describe(self) -> str:
        return f"field in {', '.join(self.fields)}"
