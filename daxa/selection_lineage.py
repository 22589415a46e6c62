"""What a selection's lineage records and what is read off it: the table snapshot a
selection ran on, its steps, the row counts per step, why an observation was removed, and the
association tables of the positional steps. Pure functions over the table and the steps; the
:class:`daxa.selection.Selection` methods of the same names call them (and cache the results).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import polars as pl

from daxa.filters import Filter
from daxa.missions import Mission
from daxa.urls import redact


@dataclass(frozen=True)
class Snapshot:
    """The table a selection ran on: when it was fetched (None if not from the cache), its
    size, and where it came from (``synthetic`` for daxa's emulator: not real archive data)."""

    rows: int
    fetched_at: str | None = None
    source_url: str | None = None
    service: str | None = None
    service_url: str | None = None
    synthetic: bool = False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rows": self.rows,
            "fetched_at": self.fetched_at,
            "source_url": self.source_url,
        }
        if self.service is not None:
            out.update(service=self.service, service_url=self.service_url)
        if self.synthetic:
            out["synthetic"] = True
            out["note"] = "SYNTHETIC data from daxa's emulator, not a real archive"
        return out


@dataclass(frozen=True)
class Step:
    """One lineage step: the filter, its own mask, and what it removed from the funnel."""

    filter: Filter
    mask: pl.Series = field(repr=False)
    rows_kept: int
    rows_removed: int

    @property
    def name(self) -> str:
        return self.filter.name

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.filter.name,
            "params": self.filter.params(),
            "description": self.filter.describe(),
            "rows_kept": self.rows_kept,
            "rows_removed": self.rows_removed,
        }


@dataclass(frozen=True)
class Explanation:
    """Why an observation is or is not in a selection."""

    obs_id: str
    found: bool
    kept: bool
    removed_by: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.found:
            return f"{self.obs_id} is not in the table"
        if self.kept:
            return f"{self.obs_id} is selected"
        return f"{self.obs_id} was removed by: " + "; ".join(self.removed_by)


def strip_credentials(url: str | None) -> str | None:
    """``url`` without user, password, query or fragment (none of them is saved)."""
    if not url:
        return url
    return urlunsplit(urlsplit(redact(url))._replace(query="", fragment=""))


def and_masks(masks: list[pl.Series], height: int) -> pl.Series:
    """The AND of ``masks`` (all True for none) over ``height`` rows."""
    out = pl.Series("mask", np.ones(height, dtype=bool))
    for m in masks:
        out = out & m
    return out.alias("mask")


def counts(steps: tuple[Step, ...], total: int, mission: str) -> pl.DataFrame:
    """Row counts per step: rows passing the step alone, and kept/removed in the funnel."""
    rows = [(0, "all", f"{mission} table", total, total, 0)]
    for i, s in enumerate(steps, start=1):
        passing = int(s.mask.sum())
        rows.append((i, s.name, s.filter.describe(), passing, s.rows_kept, s.rows_removed))
    return pl.DataFrame(
        rows,
        schema={
            "step": pl.Int64,
            "name": pl.String,
            "description": pl.String,
            "rows_passing": pl.Int64,
            "rows_kept": pl.Int64,
            "rows_removed": pl.Int64,
        },
        orient="row",
    )


def explain(
    table: pl.DataFrame, steps: tuple[Step, ...], mask: pl.Series, spec: Mission, obs_id: str
) -> Explanation:
    """Which steps removed ``obs_id`` (every step that rejects it, whatever the order)."""
    text = str(obs_id).strip()
    column = table["obs_id"]
    if spec.obs_id_case_insensitive:
        text, column = text.upper(), column.str.to_uppercase()
    where = np.flatnonzero((column == text).to_numpy())
    if where.size == 0:
        return Explanation(text, found=False, kept=False)
    removed = tuple(
        f"step {i} {s.name} ({s.filter.describe()})"
        for i, s in enumerate(steps, start=1)
        if not s.mask.to_numpy()[where].any()
    )
    return Explanation(
        text, found=True, kept=bool(mask.to_numpy()[where].any()), removed_by=removed
    )


def associations(
    table: pl.DataFrame,
    steps: tuple[Step, ...],
    spec: Mission,
    instruments: tuple[str, ...],
    kept: pl.Series,
) -> pl.DataFrame:
    """Association tables of the positional steps, for the ``kept`` ObsIDs, with the step
    number in ``step``."""
    frames = []
    for i, s in enumerate(steps, start=1):
        associate = getattr(s.filter, "associate", None)
        if associate is None:
            continue
        found = associate(table, mission=spec, instruments=instruments)
        frames.append(
            found.filter(pl.col("obs_id").is_in(kept.implode())).with_columns(
                step=pl.lit(i, dtype=pl.Int64)
            )
        )
    if frames:
        return pl.concat(frames, how="diagonal_relaxed")
    from daxa.filters._base import empty_association

    return empty_association().with_columns(step=pl.lit(0, dtype=pl.Int64)).clear()
