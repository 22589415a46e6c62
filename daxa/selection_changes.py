"""What changed between two runs of the same selection steps: new, removed and changed
observations (the columns in :data:`COMPARED_COLUMNS`), between a saved result and a replay.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from daxa.selection_lineage import Snapshot

#: Columns compared for kept observations when a selection is replayed.
COMPARED_COLUMNS = ("science_usable", "public", "exposure", "start", "end", "proprietary_end")


@dataclass(frozen=True)
class Report:
    """What changed between two runs of the same steps."""

    new: list[str]
    removed: list[str]
    changed: pl.DataFrame
    before: Snapshot | None = None
    after: Snapshot | None = None

    @property
    def usability_changed(self) -> list[str]:
        """ObsIDs whose ``science_usable`` or ``public`` flag changed."""
        flags = self.changed.filter(pl.col("column").is_in(["science_usable", "public"]))
        return flags["obs_id"].unique(maintain_order=True).to_list()

    @property
    def unchanged(self) -> bool:
        return not (self.new or self.removed or self.changed.height)

    def __str__(self) -> str:
        return (
            f"{len(self.new)} new, {len(self.removed)} removed, "
            f"{self.changed['obs_id'].n_unique()} changed "
            f"({len(self.usability_changed)} in usability or public status)"
        )


def compare(
    before: pl.DataFrame,
    after: pl.DataFrame,
    before_snapshot: Snapshot | None = None,
    after_snapshot: Snapshot | None = None,
) -> Report:
    """New, removed and changed observations between two results (obs_id + compared columns)."""
    old_ids, new_ids = before["obs_id"], after["obs_id"]
    added = after.filter(~pl.col("obs_id").is_in(old_ids.implode()))["obs_id"].to_list()
    gone = before.filter(~pl.col("obs_id").is_in(new_ids.implode()))["obs_id"].to_list()
    shared = [c for c in COMPARED_COLUMNS if c in before.columns and c in after.columns]
    joined = before.unique("obs_id", keep="first", maintain_order=True).join(
        after.unique("obs_id", keep="first", maintain_order=True), on="obs_id", suffix="__after"
    )
    pieces = []
    for column in shared:
        old, new = pl.col(column), pl.col(f"{column}__after")
        differs = (old != new).fill_null(False) | (old.is_null() != new.is_null())
        pieces.append(
            joined.filter(differs).select(
                "obs_id",
                column=pl.lit(column),
                before=old.cast(pl.String),
                after=new.cast(pl.String),
            )
        )
    schema = {"obs_id": pl.String, "column": pl.String, "before": pl.String, "after": pl.String}
    changed = pl.concat(pieces) if pieces else pl.DataFrame(schema=schema)
    return Report(added, gone, changed.sort("obs_id", "column"), before_snapshot, after_snapshot)
