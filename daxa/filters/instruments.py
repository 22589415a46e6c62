"""The instrument choice as a row filter (one-instrument-per-observation missions).

Choosing instruments always restricts downloads; for missions with one instrument per
observation (Chandra, ROSAT pointed) it also decides which rows are kept, and that is this
filter. For other missions every row passes (the instruments observe together).

>>> import polars as pl
>>> t = pl.DataFrame({"instrument": ["ACIS", "HRC", None]})
>>> Instruments(["acis-i"]).mask(t, mission="chandra").to_list()
[True, False, False]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from daxa.filters._base import Filter, as_mask, names_tuple, require_columns
from daxa.missions import Mission, get_mission, normalise_instruments


@dataclass(frozen=True, eq=False)
class Instruments(Filter):
    """Keep rows taken with one of ``instruments`` (aliases and any case accepted) on
    one-instrument-per-observation missions; every row elsewhere."""

    instruments: Any

    name = "instruments"

    def __post_init__(self) -> None:
        names = names_tuple(
            self.instruments, not_names="instruments must be names", empty="no instruments given"
        )
        object.__setattr__(self, "instruments", names)

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        spec = get_mission(mission)
        chosen = normalise_instruments(spec, self.instruments)
        if not spec.one_instrument_per_obs:
            return as_mask(pl.repeat(True, table.height, eager=True), table)
        require_columns(table, ("instrument",), what="the instrument filter")
        return as_mask(table["instrument"].is_in(list(chosen)), table)

    def describe(self) -> str:
        return f"instrument in {', '.join(self.instruments)}"
