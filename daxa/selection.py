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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from daxa import saved_selection
from daxa import selection_lineage as _lineage
from daxa.errors import DaxaError, InputError, SchemaError, SelectionError
from daxa.filters import Filter, Instruments
from daxa.filters._params import encode
from daxa.frames import to_polars
from daxa.missions import Mission, get_mission
from daxa.missions.coverage import chosen_instruments
from daxa.schema import validate
from daxa.selection_changes import COMPARED_COLUMNS, Report, compare
from daxa.selection_filters import FilterShortcuts
from daxa.selection_lineage import Explanation, Snapshot, Step, and_masks, strip_credentials

__all__ = [
    "COMPARED_COLUMNS",
    "FORMAT_VERSION",
    "Explanation",
    "Report",
    "Selection",
    "Snapshot",
    "Step",
    "compare",
]

#: Version of the saved-selection JSON layout; files from a newer layout are refused.
FORMAT_VERSION = saved_selection.FORMAT_VERSION


class Selection(FilterShortcuts):
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
                strip_credentials(meta.source_url),
                meta.service,
                strip_credentials(meta.service_url),
                meta.synthetic,
            )
        else:
            frame = to_polars(table, what=f"{spec.name} table")
            validate(frame, mission=spec.name, exposure_columns=spec.exposure_columns)
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
        current = and_masks([s.mask for s in steps], self._table.height)
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
            self._cache["mask"] = and_masks([s.mask for s in self._steps], self._table.height)
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

    def to_astropy(self, *, skycoord: bool = True) -> Any:
        """The selected rows as an astropy ``QTable`` (``Time``, ``SkyCoord`` in the mission's
        frame, ``Quantity``); see :func:`daxa.outputs.to_astropy`."""
        from daxa.outputs import to_astropy

        return to_astropy(self.table, skycoord=skycoord, frame=self._spec.frame)

    def write(self, path: str | os.PathLike[str], *, format: str | None = None) -> Path:
        """Write the selected rows to ``path`` (FITS, VOTable, CSV, Parquet... by suffix)."""
        from daxa.outputs import write_table

        return write_table(self.table, path, format=format, frame=self._spec.frame)

    def send_samp(self, name: str | None = None, **kwargs: Any) -> str:
        """Send the selected rows to TOPCAT or Aladin over SAMP (:func:`daxa.send_samp`)."""
        from daxa.outputs.samp import send_samp

        return send_samp(self, name=name or f"daxa {self._spec.name}", **kwargs)

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
        return _lineage.counts(self._steps, self._table.height, self._spec.name)

    def explain(self, obs_id: str) -> Explanation:
        """Which steps removed ``obs_id`` (every step that rejects it, whatever the order)."""
        return _lineage.explain(self._table, self._steps, self.mask, self._spec, obs_id)

    @property
    def associations(self) -> pl.DataFrame:
        """Association tables of the positional steps, for the selected observations, with
        the step number in ``step``."""
        if "associations" not in self._cache:
            self._cache["associations"] = _lineage.associations(
                self._table, self._steps, self._spec, self._instruments, self.table["obs_id"]
            )
        return self._cache["associations"]  # type: ignore[no-any-return]

    # ----------------------------------------------------------------------------------------
    # saving and replaying

    def _result(self) -> pl.DataFrame:
        columns = ["obs_id", *[c for c in COMPARED_COLUMNS if c in self._table.columns]]
        return self.table.select(columns)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able saved form (see :meth:`save`)."""
        from daxa._version import __version__

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
