"""The target-type filter, and the taxonomy it uses (DESIGN §6).

>>> TargetTypes(["agn", "GCL"]).target_types
('AGN', 'GCL')
>>> target_types_table().filter(code="GCL").row(0)
('GCL', 'Galaxy clusters')
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO

import polars as pl

from daxa.errors import NoTargetTypeInfoError, UnknownTargetTypeError
from daxa.filters._base import Filter, as_mask, names_tuple, require_columns
from daxa.missions import TARGET_TYPES, Mission, get_mission


def target_types_table() -> pl.DataFrame:
    """The target-type taxonomy as a frame of ``code`` and ``description``."""
    return pl.DataFrame(
        {"code": list(TARGET_TYPES), "description": list(TARGET_TYPES.values())},
        schema={"code": pl.String, "description": pl.String},
    )


def show_target_types(file: TextIO | None = None) -> None:
    """Print the taxonomy as a table, so users can pick codes for :class:`TargetTypes`.

    >>> show_target_types()  # doctest: +ELLIPSIS
    code  description
    ----  ---...
    AGN   Active galaxies and quasars
    ...
    MISC  Other
    """
    out = file or sys.stdout
    width = max(len("code"), *(len(c) for c in TARGET_TYPES))
    desc_width = max(len(d) for d in TARGET_TYPES.values())
    print(f"{'code':<{width}}  description", file=out)
    print(f"{'-' * width}  {'-' * desc_width}", file=out)
    for code, description in TARGET_TYPES.items():
        print(f"{code:<{width}}  {description}", file=out)


@dataclass(frozen=True, eq=False)
class TargetTypes(Filter):
    """Keep observations whose target type (``target_category``) is one of ``target_types``.

    Codes are those of :func:`show_target_types` (any case). The types come from crude
    mappings of each archive's own categories and ignore serendipitous sources. Missions
    without type information (XMM, eROSITA) raise :class:`~daxa.errors.NoTargetTypeInfoError`;
    unknown codes :class:`~daxa.errors.UnknownTargetTypeError` (both are ``InputError``).
    """

    target_types: Any

    name = "target_type"

    def __post_init__(self) -> None:
        codes = names_tuple(
            self.target_types,
            not_names="target_types must be codes like 'AGN'",
            empty="no target types given; see daxa.filters.show_target_types()",
        )
        codes = tuple(c.strip().upper() for c in codes)
        bad = [c for c in codes if c not in TARGET_TYPES]
        if bad:
            raise UnknownTargetTypeError(
                f"unknown target type(s) {', '.join(map(repr, bad))}; choose from "
                f"{', '.join(TARGET_TYPES)} (daxa.filters.show_target_types() describes them)"
            )
        object.__setattr__(self, "target_types", tuple(dict.fromkeys(codes)))

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        spec = get_mission(mission)
        if not spec.has_target_types:
            raise NoTargetTypeInfoError(
                f"{spec.pretty_name} ({spec.name}) has no target type information, so target "
                f"type(s) {', '.join(self.target_types)} cannot be used; filter on positions, "
                "names or fields instead"
            )
        require_columns(table, ("target_category",), what="the target-type filter")
        return as_mask(table["target_category"].is_in(list(self.target_types)), table)

    def describe(self) -> str:
        return f"target type in {', '.join(self.target_types)}"
