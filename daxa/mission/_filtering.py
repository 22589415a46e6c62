"""The ``filter_on_*`` methods of the mission classes (DAXA's signatures), translated to
:mod:`daxa.filters` steps on the mission's :class:`~daxa.selection.Selection`.

Each call adds one filter to the lineage and records the call, with the values actually passed,
in ``filtering_operations``; a filter that leaves nothing raises
:class:`~daxa.errors.NoObsAfterFilterError` and stays in the history. Mixed into
:class:`daxa.mission.base.BaseMission`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from daxa.errors import NoObsAfterFilterError
from daxa.filters import (
    Fields,
    Filter,
    Names,
    ObsIDs,
    Positions,
    PositionsAtTime,
    Region,
    TargetTypes,
    TimeWindow,
    show_target_types,
)
from daxa.mission._compat import check_time_windows, daxa_exceptions
from daxa.missions import Mission
from daxa.selection import Selection


class FiltersMixin:
    """DAXA's ``filter_on_*`` methods and the position frames they return."""

    _sel: Selection
    _spec: Mission
    _ops: list[dict[str, Any]]

    if TYPE_CHECKING:

        @property
        def pretty_name(self) -> str: ...

    def _apply(self, operation: str, arguments: dict[str, Any], flt: Filter) -> Selection:
        """Add ``flt`` to the lineage, record the DAXA call, and raise when nothing is left."""
        self._sel = self._sel.where(flt)
        self._ops.append({"name": operation, "arguments": arguments})
        if len(self._sel) == 0:
            raise NoObsAfterFilterError(
                f"{operation} left no {self.pretty_name} observations "
                f"({flt.describe()}); the step stays in filtering_operations, reset_filter() "
                "starts again"
            )
        return self._sel

    def _position_frame(self) -> Any:
        """DAXA's ``pos_ind, pos_ra, pos_dec, ObsIDs`` frame of the last (positional) step."""
        import pandas as pd

        sel = self._sel
        found = (
            sel.steps[-1]
            .filter.associate(  # type: ignore[attr-defined]
                sel.all_table, mission=self._spec, instruments=sel.instruments
            )
            .filter(pl.col("obs_id").is_in(sel.table["obs_id"].implode()))
        )
        grouped = (
            found.group_by("pos_index", maintain_order=True)
            .agg(pl.col("pos_ra").first(), pl.col("pos_dec").first(), pl.col("obs_id"))
            .sort("pos_index")
        )
        return pd.DataFrame(
            {
                "pos_ind": grouped["pos_index"].to_numpy(),
                "pos_ra": grouped["pos_ra"].to_numpy(),
                "pos_dec": grouped["pos_dec"].to_numpy(),
                "ObsIDs": grouped["obs_id"].list.join(",").to_list(),
            }
        )

    def filter_on_obs_ids(self, allowed_obs_ids: list[str] | str, invert: bool = False) -> None:
        """Keep the listed ObsIDs (``invert``: drop them)."""
        self._apply(
            "filter_on_obs_ids",
            {"allowed_obs_ids": allowed_obs_ids, "invert": invert},
            ObsIDs(allowed_obs_ids, invert=invert),
        )

    def filter_on_rect_region(self, lower_left: Any, upper_right: Any) -> None:
        """Keep pointings inside the box with these corners ((ra, dec) degrees or SkyCoords).

        A box whose corners straddle RA 0 is the strip across 0 (DAXA selects the complement);
        when the corners are ambiguous the shorter RA span is taken, with a warning
        (:meth:`daxa.filters.Region.from_corners`).
        """
        self._apply(
            "filter_on_rect_region",
            {"lower_left": lower_left, "upper_right": upper_right},
            Region.from_corners(lower_left, upper_right),
        )

    def filter_on_positions(
        self, positions: Any, search_distance: Any = None, return_pos_obs_info: bool = False
    ) -> Any:
        """Keep observations within ``search_distance`` of any position.

        ``search_distance``: None (1.2 × FoV per observation, from its observing chosen
        instruments; DAXA uses the largest chosen FoV for every observation), degrees or a
        Quantity, ``{instrument: distance}``, or one per position. With
        ``return_pos_obs_info``, returns the ``pos_ind, pos_ra, pos_dec, ObsIDs`` frame of the
        positions that found observations: integers, floats and comma-joined ObsIDs nearest
        first (DAXA gives the numbers as strings).
        """
        self._apply(
            "filter_on_positions",
            {
                "positions": positions,
                "search_distance": search_distance,
                "return_pos_obs_info": return_pos_obs_info,
            },
            Positions(positions, search_distance),
        )
        return self._position_frame() if return_pos_obs_info else None

    def filter_on_name(
        self, object_name: list[str] | str, search_distance: Any = None, parse_name: bool = False
    ) -> None:
        """Keep observations near named objects (Sesame; with ``parse_name``, names holding
        J-coordinates are read offline first). Unresolved names are left out with a warning;
        none resolving raises :class:`~daxa.exceptions.DAXANameResolveError` (astropy's
        ``NameResolveError``, as in DAXA)."""
        with daxa_exceptions():
            self._filter_on_name(object_name, search_distance, parse_name)

    def _filter_on_name(self, object_name: Any, search_distance: Any, parse_name: bool) -> None:
        self._apply(
            "filter_on_name",
            {
                "object_name": object_name,
                "search_distance": search_distance,
                "parse_name": parse_name,
            },
            Names(object_name, search_distance, parse=parse_name),
        )

    def filter_on_time(self, start_datetime: Any, end_datetime: Any, over_run: bool = True) -> None:
        """Keep observations overlapping (``over_run``) or inside [start, end]; naive times
        are UTC."""
        self._apply(
            "filter_on_time",
            {"start_datetime": start_datetime, "end_datetime": end_datetime, "over_run": over_run},
            TimeWindow(start_datetime, end_datetime, over_run),
        )

    def filter_on_target_type(self, target_type: list[str] | str) -> None:
        """Keep observations of these target types (:meth:`show_allowed_target_types`); DAXA's
        ``IllegalSourceType`` / ``NoTargetSourceTypeInfo`` for unknown types / missions
        without types."""
        with daxa_exceptions():
            flt = TargetTypes(target_type)
            self._apply("filter_on_target_type", {"target_type": target_type}, flt)

    def filter_on_positions_at_time(
        self,
        positions: Any,
        start_datetimes: Any,
        end_datetimes: Any,
        search_distance: Any = None,
        return_obs_info: bool = False,
        over_run: bool = True,
    ) -> Any:
        """Keep observations near a position and within that position's own time window
        (one window per position), in one vectorised sky-and-time search (DAXA loops over
        positions). With ``return_obs_info``, returns the typed ``pos_ind, pos_ra, pos_dec,
        ObsIDs`` frame of pairs matching in sky and time. Windows that are not one per
        position raise DAXA's ``TypeError`` / ``ValueError``."""
        check_time_windows(positions, start_datetimes, end_datetimes)
        self._apply(
            "filter_on_positions_at_time",
            {
                "positions": positions,
                "start_datetimes": start_datetimes,
                "end_datetimes": end_datetimes,
                "search_distance": search_distance,
                "return_obs_info": return_obs_info,
                "over_run": over_run,
            },
            PositionsAtTime(positions, start_datetimes, end_datetimes, search_distance, over_run),
        )
        return self._position_frame() if return_obs_info else None

    def filter_on_fields(self, fields: list[str] | str) -> None:
        """eROSITA CalPV: keep observations of these fields or field types (DAXA's aliases
        accepted); other missions raise :class:`~daxa.errors.InputError`."""
        self._apply("filter_on_fields", {"fields": fields}, Fields(fields))

    @staticmethod
    def show_allowed_target_types(table_format: str = "fancy_grid") -> None:
        """Print the target-type codes and what they mean (``table_format`` is accepted for
        DAXA's signature)."""
        show_target_types()
