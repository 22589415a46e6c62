"""Usable and public: the two flags every normalised table carries.

>>> import polars as pl
>>> t = pl.DataFrame({"science_usable": [True, False], "public": [False, True]})
>>> Usable().mask(t, mission="swift").to_list(), Public().mask(t, mission="swift").to_list()
([True, False], [False, True])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from daxa.filters._base import Filter, as_mask, require_columns
from daxa.missions import Mission


@dataclass(frozen=True, eq=False)
class Usable(Filter):
    """Keep observations the archive marks usable for science (``science_usable``)."""

    name = "usable"

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        require_columns(table, ("science_usable",), what="the usable filter")
        return as_mask(table["science_usable"], table)

    def describe(self) -> str:
        return "usable for science"


@dataclass(frozen=True, eq=False)
class Public(Filter):
    """Keep observations whose data were public when the table was fetched (``public``)."""

    name = "public"

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        require_columns(table, ("public",), what="the public filter")
        return as_mask(table["public"], table)

    def describe(self) -> str:
        return "public"
