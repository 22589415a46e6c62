"""What ``daxa select`` found and how it is shown: the per-mission selections with their rows
and pairs, the summary and per-position tables, and the plots written with ``--plots``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from daxa.cli._output import SHORT_NAMES
from daxa.errors import InputError
from daxa.schema import STANDARD_COLUMNS


@dataclass
class Selected:
    """What ``daxa select`` found: per-mission selections, their rows and the pairs."""

    selections: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    positions: pl.DataFrame | None = None

    def observations(self) -> pl.DataFrame:
        """Selected rows of every mission, standard columns (single mission: all columns)."""
        tables = [s.table for s in self.selections.values()]
        if len(tables) == 1:
            return tables[0]
        keep = [c for c in STANDARD_COLUMNS if c != "_healpix_29"]
        return pl.concat([t.select(keep) for t in tables], how="vertical_relaxed")

    def pairs(self) -> pl.DataFrame:
        frames = [s.associations for s in self.selections.values() if s.associations.height]
        if not frames:
            return pl.DataFrame()
        out = pl.concat(frames, how="diagonal_relaxed").drop("step", strict=False)
        if "name" not in out.columns and self.labels:
            labels = pl.Series("name", self.labels, dtype=pl.String)
            out = out.with_columns(name=labels.gather(out["pos_index"]))
        return out.sort("pos_index", "separation_deg")


def summary_table(found: Selected) -> pl.DataFrame:
    """Per mission: table size, selected observations, how many usable and public."""
    rows = []
    for name, sel in found.selections.items():
        t = sel.table
        rows.append(
            {
                "mission": name,
                "table_rows": sel.all_table.height,
                "selected": t.height,
                "usable": int(t["science_usable"].sum()),
                "public": int(t["public"].sum()),
                # seconds; null when the table gives no exposure (eROSITA), not 0
                "exposure_s": float(t["exposure"].sum()) if t["exposure"].count() else None,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "mission": pl.String,
            "table_rows": pl.Int64,
            "selected": pl.Int64,
            "usable": pl.Int64,
            "public": pl.Int64,
            "exposure_s": pl.Float64,
        },
    )


def per_position_table(pairs: pl.DataFrame, labels: list[str]) -> pl.DataFrame:
    """Observations per position (rows) and mission (columns, short names, registry order).

    >>> pairs = pl.DataFrame({"pos_index": [0, 0, 1], "mission": ["swift", "chandra", "swift"]})
    >>> per_position_table(pairs, ["Crab", "M87", "Vela"]).rows()
    [('Crab', 1, 1, 2), ('M87', 0, 1, 1), ('Vela', 0, 0, 0)]
    """
    from daxa.missions import mission_names

    if pairs.height == 0:
        return pl.DataFrame()
    present = set(pairs["mission"].to_list())
    missions = [m for m in mission_names() if m in present]
    counts = pairs.group_by("pos_index", "mission").agg(pl.len().cast(pl.Int64).alias("n"))
    wide = counts.pivot(on="mission", index="pos_index", values="n")
    wide = wide.select("pos_index", *missions).with_columns(total=pl.sum_horizontal(missions))
    names = pl.DataFrame(
        {"pos_index": range(len(labels)), "position": labels},
        schema={"pos_index": pl.Int64, "position": pl.String},
    )
    return (
        names.join(wide, on="pos_index", how="left")
        .fill_null(0)
        .sort("pos_index")
        .drop("pos_index")
        .rename({m: SHORT_NAMES.get(m, m) for m in missions})
    )


def write_plots(found: Selected, folder: str | Path, *, max_fields: int = 4) -> list[Path]:
    """Sky maps (all missions, and one per mission), timeline, exposure per year and, for a
    few positions, field maps of a selection, as PNGs."""
    try:
        from daxa import plots
    except ImportError as exc:
        raise InputError(f"--plots: {exc}") from None

    folder = Path(folder)
    obs = found.observations()
    written = [
        plots.save(plots.sky_map(obs, found.positions), folder / "sky_map.png"),
        plots.save(plots.mission_sky_maps(obs, found.positions), folder / "sky_missions.png"),
        plots.save(plots.timeline(obs), folder / "timeline.png"),
        plots.save(plots.exposure_per_year(obs), folder / "exposure_per_year.png"),
    ]
    if found.positions is not None and found.positions.height <= max_fields and obs.height:
        for i, row in enumerate(found.positions.iter_rows(named=True)):
            label = found.labels[i] if i < len(found.labels) else f"position {i}"
            slug = "".join(c if c.isalnum() else "_" for c in label).strip("_") or f"pos{i}"
            fig = plots.field_map(obs, (row["ra"], row["dec"]), label=label)
            written.append(plots.save(fig, folder / f"field_{slug}.png"))
    return written
