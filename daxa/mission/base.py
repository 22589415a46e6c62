"""``BaseMission``: DAXA's mission API as a thin layer over :class:`daxa.selection.Selection`.

A DAXA mission object holds a table of observations and a filter array that each
``filter_on_*`` call narrows. Here the object holds a Selection: each DAXA call becomes a filter
from :mod:`daxa.filters` added to the Selection's lineage, the filter array is the Selection's
mask, and ``all_obs_info`` / ``filtered_obs_info`` are its tables as pandas frames with DAXA's
column names (:mod:`daxa.mission._frames`). Downloads and product paths go to
:mod:`daxa.download`. The table comes from daxa's cache (fetched when missing) instead of being
fetched from the archive on every construction; ``cache_dir`` (default ``$DAXA_CACHE_DIR``, then
``./data_cache``) and ``table`` are daxa's additions to DAXA's constructor.

As in DAXA, filters are cumulative, the starting selection is the science-usable observations
(:meth:`reset_filter` goes back to it), and a filter that leaves nothing raises
:class:`~daxa.errors.NoObsAfterFilterError` with an all-False filter array. Where DAXA is wrong,
this layer differs:

- RA wrap: a rectangular region whose corners straddle RA 0 selects the strip across 0, not
  its complement (the shorter span is taken, with a warning, when the corners are ambiguous).
- filter history: ``filtering_operations`` records every call with the values actually passed
  (DAXA records the default instead of a positional argument given for a parameter that has
  one, e.g. ``filter_on_positions(pos, 0.5)``), a filter that leaves nothing is kept in the
  history (DAXA loses it), and setting ``filter_array`` replaces the history with the ObsID
  filter it amounts to (DAXA keeps the stale history).
- default search radius: per observation, the largest 1.2 × FoV among the chosen instruments
  that observed (DAXA takes the largest chosen FoV for every observation: Swift XRT-only
  observations get BAT's 60°), computed in one vectorised pass (no per-position loops).
- ``return_pos_obs_info`` / ``return_obs_info`` frames are typed: ``pos_ind`` integers,
  ``pos_ra``/``pos_dec`` floats (mission frame); ``ObsIDs`` are comma-joined as in DAXA,
  nearest first (:meth:`daxa.filters.Positions.associate` gives lists).
- "downloaded" means every selected ObsID has a complete manifest with its files intact, not
  that its folder exists; downloads go to ``<top_level_path>/<mission>/<ObsID>/`` (DAXA:
  ``<mission>_raw/``), fetch only the instruments covering a searched position, and retry,
  resume and verify.
- saving writes the Selection's JSON (every filter parameter with its type) plus DAXA's state;
  loading re-runs the saved steps on today's table (DAXA restores the saved ObsIDs and needs
  ``update()`` to re-run them); :attr:`selection` ``.changes()`` says what differs.

The filters live in :mod:`daxa.mission._filtering`, locking/saving/loading in
:mod:`daxa.mission._state` and downloads in :mod:`daxa.mission._downloads` (mixins of
:class:`BaseMission`).
"""

from __future__ import annotations

import os
import warnings
from typing import Any, ClassVar

import numpy as np
import polars as pl

from daxa.download import DEFAULT_DEST
from daxa.errors import InputError, SelectionError
from daxa.filters import Fields, ObsIDs, Usable
from daxa.mission import assess as _assess
from daxa.mission._compat import DAXA_ID_REGEX, archive_ordered, warn_on_aliases
from daxa.mission._downloads import DownloadsMixin
from daxa.mission._filtering import FiltersMixin
from daxa.mission._frames import daxa_frame
from daxa.mission._state import StateMixin
from daxa.missions import Mission, get_mission, normalise_instruments
from daxa.missions.coverage import chosen_instruments as _chosen
from daxa.selection import Selection


def _quantity(degrees: float) -> Any:
    from astropy.units import Quantity

    return Quantity(degrees * 60, "arcmin") if degrees < 1 else Quantity(degrees, "deg")


class BaseMission(FiltersMixin, StateMixin, DownloadsMixin):
    """DAXA's mission interface over a :class:`~daxa.selection.Selection` (module docstring).

    Subclasses set ``_mission`` (the registry name). ``insts`` are the chosen instruments
    (aliases accepted; default: the mission's defaults); ``save_file_path`` restores a state
    written by :meth:`save`; ``cache_dir`` and ``table`` say where the table comes from.
    """

    #: The registry name of the mission (set by every subclass).
    _mission: ClassVar[str] = ""

    def __init__(
        self,
        insts: list[str] | str | None = None,
        save_file_path: str | os.PathLike[str] | None = None,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        table: Any = None,
    ) -> None:
        if not self._mission:
            raise TypeError("BaseMission is abstract; use a mission class such as XMMPointed")
        self._spec: Mission = get_mission(self._mission)
        self._base = Selection(
            self._spec, archive_ordered(self._spec, table, cache_dir), cache_dir=cache_dir
        )
        self._ops: list[dict[str, Any]] = []
        self._top = os.path.abspath(DEFAULT_DEST) + os.sep
        self._processed = False
        self._download_options: dict[str, Any] = {}
        self._frame: tuple[pl.DataFrame, Any] | None = None
        if save_file_path is None:
            warn_on_aliases(self._spec, insts)
            self._sel = self._root(_chosen(self._spec, insts))
        else:
            self._load_state(save_file_path, table, cache_dir)

    # ----------------------------------------------------------------------------------------
    # translating to the core

    def _root(self, instruments: tuple[str, ...], *, usable: bool = True) -> Selection:
        """The starting selection: chosen instruments, and DAXA's science-usable start."""
        start = self._base.with_instruments(instruments)
        return start.where(Usable()) if usable else start

    def _check_unlocked(self, what: str) -> None:
        if self.locked:
            raise SelectionError(
                f"this {self.pretty_name} mission is locked; {what} would change its selection"
            )

    @property
    def selection(self) -> Selection:
        """The current :class:`~daxa.selection.Selection` (lineage, counts, explain, SQL...)."""
        return self._sel

    # ----------------------------------------------------------------------------------------
    # what the mission is

    @property
    def name(self) -> str:
        """The mission's name in daxa (and DAXA), e.g. ``xmm_pointed``."""
        return self._spec.name

    @property
    def pretty_name(self) -> str:
        """The mission's name for people, e.g. ``XMM-Newton Pointed``."""
        return self._spec.pretty_name

    @property
    def coord_frame(self) -> Any:
        """The astropy frame class of the pointing coordinates (FK5 or ICRS)."""
        from astropy.coordinates import frame_transform_graph

        return frame_transform_graph.lookup_name(self._spec.frame)

    @property
    def id_regex(self) -> str:
        """The regular expression every ObsID of the mission matches (as DAXA writes it)."""
        return DAXA_ID_REGEX.get(self.name, self._spec.obs_id_regex)

    @property
    def fov(self) -> Any:
        """Field-of-view radius: one Quantity when the default instruments share it, else a
        dictionary of Quantities by instrument (as DAXA)."""
        fovs = self._spec.fov_deg
        shared = {fovs[i] for i in self._spec.default_instruments}
        if len(shared) == 1:
            return _quantity(shared.pop())
        return {name: _quantity(value) for name, value in fovs.items()}

    @property
    def all_mission_instruments(self) -> list[str]:
        """Every instrument of the mission."""
        return list(self._spec.instrument_names)

    @property
    def chosen_instruments(self) -> list[str]:
        """The instruments chosen for downloads (and, on Chandra/ROSAT pointed, rows)."""
        return list(self._sel.instruments)

    @chosen_instruments.setter
    def chosen_instruments(self, new_insts: list[str] | str) -> None:
        warn_on_aliases(self._spec, new_insts)
        self._sel = self._sel.with_instruments(new_insts)

    @property
    def one_inst_per_obs(self) -> bool:
        """True when each observation uses one instrument (Chandra, ROSAT pointed)."""
        return self._spec.one_instrument_per_obs

    # fields (eROSITA CalPV; other missions have none) ------------------------------------

    def _has_fields(self) -> bool:
        return "field_name" in self._sel.all_table.columns

    @property
    def all_mission_fields(self) -> list[str]:
        """Every field name (eROSITA CalPV; empty for other missions)."""
        if not self._has_fields():
            return []
        return sorted(self._sel.all_table["field_name"].drop_nulls().unique().to_list())

    @property
    def all_mission_field_types(self) -> list[str]:
        """Every field type (eROSITA CalPV; empty for other missions)."""
        if not self._has_fields():
            return []
        return sorted(self._sel.all_table["field_type"].drop_nulls().unique().to_list())

    @property
    def chosen_fields(self) -> list[str] | None:
        """Fields passing every field filter so far (all fields before any; None for missions
        without fields)."""
        if not self._has_fields():
            return None
        keep = pl.Series(np.ones(self._sel.all_table.height, dtype=bool))
        for step in self._sel.steps:
            if step.name == Fields.name:
                keep = keep & step.mask
        names = self._sel.all_table.filter(keep)["field_name"].drop_nulls()
        return list(set(names.to_list()))  # DAXA's order: a set's, of the archive-ordered names

    @chosen_fields.setter
    def chosen_fields(self, new_fields: list[str] | str) -> None:
        self.filter_on_fields(new_fields)

    # ----------------------------------------------------------------------------------------
    # the tables and the filter

    @property
    def all_obs_info(self) -> Any:
        """Every observation of the mission as a pandas frame with DAXA's columns."""
        table = self._sel.all_table
        if self._frame is None or self._frame[0] is not table:
            self._frame = (table, daxa_frame(table, self.name))
        return self._frame[1].copy()

    @property
    def filtered_obs_info(self) -> Any:
        """The selected observations (``all_obs_info`` rows where ``filter_array`` is True)."""
        frame = self.all_obs_info
        return frame[self.filter_array]

    @property
    def filter_array(self) -> np.ndarray:
        """One boolean per row of ``all_obs_info``: True where the observation is selected
        (a copy: assign a new array to change the filter)."""
        return self._sel.mask.to_numpy().copy()

    @filter_array.setter
    def filter_array(self, new_filter_array: np.ndarray) -> None:
        self._check_unlocked("setting filter_array")
        array = np.asarray(new_filter_array)
        height = self._sel.all_table.height
        if array.dtype != bool or array.shape != (height,):
            raise InputError(
                f"filter_array must be {height} booleans (one per row of all_obs_info), got "
                f"{array.dtype} of shape {array.shape}"
            )
        if not array.any():
            warnings.warn(
                "every value of the filter array is False: no observations remain", stacklevel=2
            )
        ids = self._sel.all_table["obs_id"].to_numpy()
        new = self._root(self._sel.instruments, usable=False)
        ops: list[dict[str, Any]] = []
        if not array.all():
            invert = bool(array.sum() > height / 2 or not array.any())
            listed = [str(o) for o in (ids[~array] if invert else ids[array])]
            new = new.where(ObsIDs(listed, invert=invert))
            arguments = {"allowed_obs_ids": listed, "invert": invert}
            ops = [{"name": "filter_on_obs_ids", "arguments": arguments}]
        if not np.array_equal(new.mask.to_numpy(), array):
            raise InputError(
                "this filter array cannot be expressed by ObsID: it splits rows sharing an "
                "ObsID or keeps rows of instruments that are not chosen"
            )
        self._sel, self._ops = new, ops

    @property
    def filtering_operations(self) -> list[dict[str, Any]]:
        """The filtering calls so far, in order: ``{"name": method, "arguments": {...}}``."""
        return [dict(op, arguments=dict(op["arguments"])) for op in self._ops]

    def reset_filter(self) -> None:
        """Back to the science-usable observations, with no filtering operations."""
        self._check_unlocked("resetting the filter")
        self._sel = self._root(self._sel.instruments)
        self._ops = []

    @property
    def science_usable(self) -> np.ndarray:
        """The ``science_usable`` flag of every observation."""
        return self._sel.all_table["science_usable"].to_numpy()

    @property
    def ra_decs(self) -> Any:
        """Pointings of every observation (SkyCoord in the mission's frame)."""
        from astropy.coordinates import SkyCoord

        t = self._sel.all_table
        return SkyCoord(t["ra"].to_numpy(), t["dec"].to_numpy(), unit="deg", frame=self._spec.frame)

    @property
    def filtered_ra_decs(self) -> Any:
        """Pointings of the selected observations."""
        return self._sel.skycoord

    @property
    def obs_ids(self) -> np.ndarray:
        """ObsIDs of every observation."""
        return self._sel.all_table["obs_id"].to_numpy()

    @property
    def filtered_obs_ids(self) -> np.ndarray:
        """ObsIDs of the selected observations."""
        return self._sel.table["obs_id"].to_numpy()

    def __len__(self) -> int:
        return len(self._sel)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.name}: {len(self)} of "
            f"{self._sel.all_table.height} observations selected>"
        )

    # ----------------------------------------------------------------------------------------
    # checks

    def check_obsid_pattern(self, obs_id_to_check: str) -> bool:
        """True when ``obs_id_to_check`` matches the mission's ObsID pattern."""
        return bool(self._spec.obs_id_pattern.match(str(obs_id_to_check)))

    def check_inst_names(
        self, insts: list[str] | str, error_on_bad_inst: bool = True, show_warn: bool = True
    ) -> list[str]:
        """Canonical names of ``insts`` (aliases and any case accepted); unknown names raise
        :class:`~daxa.errors.InstrumentError`, or are dropped when ``error_on_bad_inst`` is
        False. ``show_warn`` is accepted for DAXA's signature (daxa does not warn)."""
        names = [insts] if isinstance(insts, str) else list(insts)
        if not error_on_bad_inst:
            known = {n.upper() for i in self._spec.instruments for n in (i.name, *i.aliases)}
            names = [n for n in names if str(n).strip().upper() in known]
        return list(normalise_instruments(self._spec, names))

    # ----------------------------------------------------------------------------------------
    # processing hooks (DESIGN §7)

    def assess_process_obs(self, obs_info: dict[str, Any]) -> dict[str, Any]:
        """Which instruments / sub-exposures of an observation to process
        (:mod:`daxa.mission.assess`)."""
        return _assess.assess_process_obs(self._spec, obs_info)

    def ident_to_obsid(self, ident: str) -> str:
        """The ObsID inside a processing identifier such as ``0201903501M1S001``."""
        return _assess.ident_to_obsid(self._spec, ident)

    # ----------------------------------------------------------------------------------------
    # summary

    def info(self) -> None:
        """Print how many observations there are and are selected, their total duration and
        the dates they span."""
        naive = [pl.col("start", "end").dt.replace_time_zone(None)]
        every = self._sel.all_table.with_columns(naive)
        chosen = self._sel.table.with_columns(naive)
        figures = [
            ("Number of Observations", every.height),
            ("Number of Filtered Observations", chosen.height),
            ("Total Duration", every["duration"].sum()),
            ("Total Filtered Duration", chosen["duration"].sum()),
            ("Earliest Observation Date", every["start"].min()),
            ("Latest Observation Date", every["end"].max()),
            ("Earliest Filtered Observation Date", chosen["start"].min()),
            ("Latest Filtered Observation Date", chosen["end"].max()),
        ]
        lines = [f"{label} - {value!s}" for label, value in figures]
        rule = "-" * 53
        print("\n".join(["", rule, *lines, rule, ""]))
