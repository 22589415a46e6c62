"""A Selection: one mission's table, the chosen instruments, and the lineage of filters.

Every filter is computed over the whole table and the selection is the AND of their masks
(DESIGN §4–§5), so the order of steps never changes the result and each step can say which rows
it removed. Selections are immutable: ``where`` and the ``filter_on_*`` methods return a new
one, and a locked selection refuses them. A selection saves to JSON (mission, the cache snapshot
it ran on, instruments, steps with every parameter, and what it selected) and replays on a
refreshed table, reporting new, removed and changed observations.

>>> from daxa.filters._examples import observation_table
>>> table = observation_table("xmm_pointed", ra=[10.0, 10.1, 200.0], dec=[0.0, 0.0, -30.0],
...                           science_usable=[True, False, True])
>>> sel = Selection("xmm_pointed", table).filter_on_positions([10.0, 0.0], radius=0.5)
>>> sel = sel.filter_on_usable()
>>> sel.obs_ids
['0000000000']
>>> sel.counts().select("name", "rows_passing", "rows_kept", "rows_removed").rows()
[('all', 3, 3, 0), ('positions', 2, 2, 1), ('usable', 2, 1, 1)]
>>> print(sel.explain("0000000001"))
0000000001 was removed by: step 2 usable (usable for science)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import polars as pl

from daxa import saved_selection
from daxa.errors import DaxaError, InputError, SchemaError, SelectionError
from daxa.filters import (
    Fields,
    Filter,
    Instruments,
    Names,
    ObsIDs,
    Positions,
    PositionsAtTime,
    Public,
    Region,
    TargetTypes,
    TimeWindow,
    Usable,
)
from daxa.filters._params import encode
from daxa.frames import to_polars
from daxa.missions import Mission, get_mission
from daxa.missions.coverage import chosen_instruments
from daxa.schema import validate

#: Version of the saved-selection JSON layout; files from a newer layout are refused.
FORMAT_VERSION = saved_selection.FORMAT_VERSION

#: Columns compared for kept observations when a selection is replayed.
COMPARED_COLUMNS = ("science_usable", "public", "exposure", "start", "end", "proprietary_end")


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


def _strip_credentials(url: str | None) -> str | None:
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class Selection:
    """A mission's observations, filtered by a lineage of steps.

    ``Selection(mission)`` loads the cached table (``daxa.cache.load``); pass ``table`` to use
    your own normalised table. ``instruments`` defaults to the mission's default instruments;
    on one-instrument-per-observation missions (Chandra, ROSAT pointed) choosing them is also a
    row filter recorded in the lineage.
    """

    def __init__(
        self,
        mission: str | Mission,
        table: Any = None,
        *,
        instruments: Iterable[str] | str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        spec = get_mission(mission)
        if table is None:
            from daxa import cache

            frame = cache.load(spec, cache_dir)
            meta = cache.info(spec, cache_dir)
            snapshot = Snapshot(
                meta.rows,
                meta.fetched_at.isoformat(),
                _strip_credentials(meta.source_url),
                meta.service,
                _strip_credentials(meta.service_url),
                meta.synthetic,
            )
        else:
            frame = to_polars(table, what=f"{spec.name} table")
            validate(frame, mission=spec.name)
            snapshot = Snapshot(frame.height)
        others = frame.filter(pl.col("mission") != spec.name)["mission"].unique().to_list()
        if others:
            raise SelectionError(
                f"the table holds rows of {', '.join(map(repr, others))}, not only {spec.name!r}; "
                "give each mission its own Selection"
            )
        self._spec = spec
        self._table = frame
        self._snapshot = snapshot
        self._instruments = chosen_instruments(spec, instruments)
        self._locked = False
        self._steps: tuple[Step, ...] = ()
        self._saved: pl.DataFrame | None = None
        self._saved_snapshot: Snapshot | None = None
        self._cache: dict[str, Any] = {}
        if instruments is not None and spec.one_instrument_per_obs:
            self._steps = self._run([Instruments(self._instruments)])

    # ----------------------------------------------------------------------------------------
    # building new selections

    def _copy(self, **changes: Any) -> Selection:
        new = object.__new__(Selection)
        new.__dict__.update(self.__dict__)
        new._cache = {}
        for key, value in changes.items():
            setattr(new, f"_{key}", value)
        return new

    def _run(self, filters: Iterable[Filter], start: tuple[Step, ...] = ()) -> tuple[Step, ...]:
        """Steps ``start`` plus ``filters``, each masked over the whole table."""
        steps = list(start)
        current = _and_masks([s.mask for s in steps], self._table.height)
        for flt in filters:
            if not isinstance(flt, Filter):
                raise InputError(
                    f"{flt!r:.60} is not a daxa filter; build one from daxa.filters "
                    "(e.g. daxa.filters.Positions(...))"
                )
            own = flt.mask(self._table, mission=self._spec, instruments=self._instruments)
            after = current & own
            kept, before = int(after.sum()), int(current.sum())
            steps.append(Step(flt, own, kept, before - kept))
            current = after
        return tuple(steps)

    def _check_unlocked(self, what: str) -> None:
        if self._locked:
            raise SelectionError(
                f"this {self._spec.name} selection is locked; {what} would change it. Start a new "
                "Selection (or replay the saved one) instead"
            )

    def where(self, *filters: Filter) -> Selection:
        """A new selection with ``filters`` added to the lineage."""
        self._check_unlocked("adding filters")
        return self._copy(steps=self._run(filters, self._steps))

    def with_instruments(self, instruments: Iterable[str] | str) -> Selection:
        """A new selection with other chosen instruments (every step is re-run: the default
        positional radius depends on them)."""
        self._check_unlocked("changing instruments")
        chosen = chosen_instruments(self._spec, instruments)
        filters = [s.filter for s in self._steps if not isinstance(s.filter, Instruments)]
        if self._spec.one_instrument_per_obs:
            filters.insert(0, Instruments(chosen))
        new = self._copy(instruments=chosen, steps=())
        new._steps = new._run(filters)
        return new

    def lock(self) -> Selection:
        """A locked copy: adding filters or changing instruments raises SelectionError."""
        return self._copy(locked=True)

    # convenience constructors, one per filter family ----------------------------------------

    def filter_on_obs_ids(self, obs_ids: Any, *, invert: bool = False) -> Selection:
        """Keep (``invert``: drop) the listed ObsIDs."""
        return self.where(ObsIDs(obs_ids, invert=invert))

    def filter_on_rect_region(
        self, ra_min: float, ra_max: float, dec_min: float, dec_max: float
    ) -> Selection:
        """Keep pointings with RA from ``ra_min`` eastward to ``ra_max`` (crossing 0 when
        ``ra_min > ra_max``) and Dec between the bounds."""
        return self.where(Region(ra_min, ra_max, dec_min, dec_max))

    def filter_on_positions(self, positions: Any, radius: Any = None) -> Selection:
        """Keep observations within ``radius`` of any position (see daxa.filters.Positions)."""
        return self.where(Positions(positions, radius))

    def filter_on_name(
        self,
        names: Any,
        radius: Any = None,
        *,
        parse: bool = True,
        on_unresolved: str = "warn",
        session: Any = None,
    ) -> Selection:
        """Keep observations near named objects (Sesame / J-names; see daxa.filters.Names)."""
        self._check_unlocked("adding filters")
        return self.where(
            Names(names, radius, parse=parse, on_unresolved=on_unresolved, session=session)  # type: ignore[arg-type]
        )

    def filter_on_time(self, start: Any, end: Any, *, over_run: bool = True) -> Selection:
        """Keep observations overlapping (``over_run``) or inside [start, end]."""
        return self.where(TimeWindow(start, end, over_run))

    def filter_on_positions_at_time(
        self, positions: Any, start: Any, end: Any, radius: Any = None, *, over_run: bool = True
    ) -> Selection:
        """Keep observations near a position and within that position's own window."""
        return self.where(PositionsAtTime(positions, start, end, radius, over_run))

    def filter_on_target_type(self, target_types: Any) -> Selection:
        """Keep observations of the given target types (daxa.filters.show_target_types())."""
        return self.where(TargetTypes(target_types))

    def filter_on_fields(self, fields: Any) -> Selection:
        """eROSITA CalPV: keep observations of the given fields or field types."""
        return self.where(Fields(fields))

    def filter_on_usable(self) -> Selection:
        """Keep observations usable for science."""
        return self.where(Usable())

    def filter_on_public(self) -> Selection:
        """Keep observations whose data are public."""
        return self.where(Public())

    # ----------------------------------------------------------------------------------------
    # what the selection holds

    @property
    def mission(self) -> str:
        return self._spec.name

    @property
    def spec(self) -> Mission:
        return self._spec

    @property
    def instruments(self) -> tuple[str, ...]:
        return self._instruments

    @property
    def locked(self) -> bool:
        return self._locked

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def steps(self) -> tuple[Step, ...]:
        return self._steps

    @property
    def filters(self) -> list[Filter]:
        return [s.filter for s in self._steps]

    @property
    def mask(self) -> pl.Series:
        """The selection's Boolean mask over :attr:`all_table` (AND of every step's mask)."""
        if "mask" not in self._cache:
            self._cache["mask"] = _and_masks([s.mask for s in self._steps], self._table.height)
        return self._cache["mask"]  # type: ignore[no-any-return]

    @property
    def all_table(self) -> pl.DataFrame:
        """The whole table the selection runs on."""
        return self._table

    @property
    def table(self) -> pl.DataFrame:
        """The selected rows."""
        if "table" not in self._cache:
            self._cache["table"] = self._table.filter(self.mask)
        return self._cache["table"]  # type: ignore[no-any-return]

    @property
    def obs_ids(self) -> list[str]:
        """ObsIDs of the selected observations."""
        return self.table["obs_id"].to_list()

    @property
    def skycoord(self) -> Any:
        """Pointings of the selected observations as a SkyCoord in the mission's frame."""
        from astropy.coordinates import SkyCoord

        t = self.table
        return SkyCoord(t["ra"].to_numpy(), t["dec"].to_numpy(), unit="deg", frame=self._spec.frame)

    def __len__(self) -> int:
        return int(self.mask.sum())

    def __repr__(self) -> str:
        lock = ", locked" if self._locked else ""
        return (
            f"<Selection {self._spec.name}: {len(self)} of {self._table.height} observations, "
            f"{len(self._steps)} step{'s' if len(self._steps) != 1 else ''}, instruments "
            f"{', '.join(self._instruments)}{lock}>"
        )

    @property
    def lineage(self) -> list[dict[str, Any]]:
        """The steps in order: name, parameters (JSON-able), description, rows kept and
        removed at that point of the funnel."""
        return [s.as_dict() for s in self._steps]

    def counts(self) -> pl.DataFrame:
        """Row counts per step: rows passing the step alone, and kept/removed in the funnel."""
        total = self._table.height
        rows = [(0, "all", f"{self._spec.name} table", total, total, 0)]
        for i, s in enumerate(self._steps, start=1):
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

    def explain(self, obs_id: str) -> Explanation:
        """Which steps removed ``obs_id`` (every step that rejects it, whatever the order)."""
        text = str(obs_id).strip()
        column = self._table["obs_id"]
        if self._spec.obs_id_case_insensitive:
            text, column = text.upper(), column.str.to_uppercase()
        where = np.flatnonzero((column == text).to_numpy())
        if where.size == 0:
            return Explanation(text, found=False, kept=False)
        removed = tuple(
            f"step {i} {s.name} ({s.filter.describe()})"
            for i, s in enumerate(self._steps, start=1)
            if not s.mask.to_numpy()[where].any()
        )
        return Explanation(
            text, found=True, kept=bool(self.mask.to_numpy()[where].any()), removed_by=removed
        )

    @property
    def associations(self) -> pl.DataFrame:
        """Association tables of the positional steps, for the selected observations, with
        the step number in ``step``."""
        if "associations" not in self._cache:
            frames = []
            kept = self.table["obs_id"]
            for i, s in enumerate(self._steps, start=1):
                associate = getattr(s.filter, "associate", None)
                if associate is None:
                    continue
                found = associate(self._table, mission=self._spec, instruments=self._instruments)
                frames.append(
                    found.filter(pl.col("obs_id").is_in(kept.implode())).with_columns(
                        step=pl.lit(i, dtype=pl.Int64)
                    )
                )
            if frames:
                out = pl.concat(frames, how="diagonal_relaxed")
            else:
                from daxa.filters._base import empty_association

                out = empty_association().with_columns(step=pl.lit(0, dtype=pl.Int64)).clear()
            self._cache["associations"] = out
        return self._cache["associations"]  # type: ignore[no-any-return]

    # ----------------------------------------------------------------------------------------
    # saving and replaying

    def _result(self) -> pl.DataFrame:
        columns = ["obs_id", *[c for c in COMPARED_COLUMNS if c in self._table.columns]]
        return self.table.select(columns)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able saved form (see :meth:`save`)."""
        from daxa import __version__

        return {
            "format_version": FORMAT_VERSION,
            "daxa_version": __version__,
            "saved_at": datetime.now(UTC).isoformat(),
            "mission": self._spec.name,
            "snapshot": self._snapshot.as_dict(),
            "instruments": list(self._instruments),
            "locked": self._locked,
            "steps": self.lineage,
            "result": encode(self._result()),
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the selection as JSON: mission, the cache snapshot it ran on (and whether it
        was synthetic emulator data), instruments, steps (every parameter, round-tripping its
        type) and the selected observations. It holds no credentials (user:password in the
        source URL is dropped). The file is replaced atomically: on any error the old one stays
        and nothing else is left behind."""
        return saved_selection.write(path, self.to_dict())

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        table: Any = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> Selection:
        """Rebuild a saved selection on ``table`` (default: the cached table now) by running
        its steps again; :meth:`changes` then compares with what was saved. A damaged or
        edited file raises SelectionError naming the field."""
        data = saved_selection.read(path)
        return cls.from_dict(data, table, cache_dir=cache_dir, source=str(path))

    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        table: Any = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        source: str = "the saved selection",
    ) -> Selection:
        """Rebuild a selection from :meth:`to_dict` output (every field checked)."""
        saved = saved_selection.parse(data, source)
        try:
            spec = get_mission(saved.mission)
        except DaxaError as exc:
            raise SelectionError(f"{source}: field 'mission': {exc}") from None
        try:
            base = cls(spec, table, instruments=None, cache_dir=cache_dir)
        except (SelectionError, SchemaError) as exc:  # the table is not this mission's
            raise SelectionError(f"{source}: field 'mission' ({spec.name}): {exc}") from None
        if saved.instruments is not None:
            try:
                base._instruments = chosen_instruments(base._spec, saved.instruments)
            except DaxaError as exc:
                raise SelectionError(f"{source}: field 'instruments': {exc}") from None
        new = base._copy(steps=())
        try:
            new._steps = new._run(saved.filters)
        except Exception as exc:  # filters rebuilt from an untrusted file
            raise SelectionError(
                f"{source}: field 'steps' cannot run on the {spec.name} table "
                f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"
            ) from None
        new._locked = saved.locked
        if saved.result is not None and saved.snapshot is not None:
            new._saved = saved.result
            new._saved_snapshot = Snapshot(**saved.snapshot)
        return new

    def replay(
        self,
        table: Any = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        refresh: bool = False,
    ) -> tuple[Selection, Report]:
        """Run the same steps on ``table`` (default: the cached table now; ``refresh=True``
        fetches it from the archive first) and report new, removed and changed observations
        relative to this selection."""
        if table is None and refresh:
            from daxa import cache

            cache.refresh(self._spec, cache_dir)
        fresh = Selection(self._spec, table, instruments=None, cache_dir=cache_dir)
        fresh._instruments = self._instruments
        new = fresh._copy(steps=())
        new._steps = new._run(self.filters)
        new._locked = self._locked
        return new, compare(self._result(), new._result(), self._snapshot, new._snapshot)

    def changes(self) -> Report:
        """For a loaded selection: what differs from the result that was saved."""
        if self._saved is None:
            raise SelectionError("this selection was not loaded from a file; use replay()")
        return compare(self._saved, self._result(), self._saved_snapshot, self._snapshot)


def _and_masks(masks: list[pl.Series], height: int) -> pl.Series:
    out = pl.Series("mask", np.ones(height, dtype=bool))
    for m in masks:
        out = out & m
    return out.alias("mask")


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
