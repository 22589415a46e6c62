"""The ``filter_on_*`` shortcuts of a selection, one per filter family of :mod:`daxa.filters`.

Each builds its filter and adds it to the lineage with ``where``; the mixin is part of
:class:`daxa.selection.Selection`, which supplies ``where``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from daxa.filters import (
    Fields,
    Filter,
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


class FilterShortcuts:
    """``filter_on_obs_ids``, ``filter_on_positions``...: ``where`` with one filter."""

    if TYPE_CHECKING:

        def where(self, *filters: Filter) -> Self: ...

        def _check_unlocked(self, what: str) -> None: ...

    def filter_on_obs_ids(self, obs_ids: Any, *, invert: bool = False) -> Self:
        """Keep (``invert``: drop) the listed ObsIDs."""
        return self.where(ObsIDs(obs_ids, invert=invert))

    def filter_on_rect_region(
        self, ra_min: float, ra_max: float, dec_min: float, dec_max: float
    ) -> Self:
        """Keep pointings with RA from ``ra_min`` eastward to ``ra_max`` (crossing 0 when
        ``ra_min > ra_max``) and Dec between the bounds."""
        return self.where(Region(ra_min, ra_max, dec_min, dec_max))

    def filter_on_positions(self, positions: Any, radius: Any = None) -> Self:
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
    ) -> Self:
        """Keep observations near named objects (Sesame / J-names; see daxa.filters.Names)."""
        self._check_unlocked("adding filters")
        return self.where(
            Names(names, radius, parse=parse, on_unresolved=on_unresolved, session=session)  # type: ignore[arg-type]
        )

    def filter_on_time(self, start: Any, end: Any, *, over_run: bool = True) -> Self:
        """Keep observations overlapping (``over_run``) or inside [start, end]."""
        return self.where(TimeWindow(start, end, over_run))

    def filter_on_positions_at_time(
        self, positions: Any, start: Any, end: Any, radius: Any = None, *, over_run: bool = True
    ) -> Self:
        """Keep observations near a position and within that position's own window."""
        return self.where(PositionsAtTime(positions, start, end, radius, over_run))

    def filter_on_target_type(self, target_types: Any) -> Self:
        """Keep observations of the given target types (daxa.filters.show_target_types())."""
        return self.where(TargetTypes(target_types))

    def filter_on_fields(self, fields: Any) -> Self:
        """eROSITA CalPV: keep observations of the given fields or field types."""
        return self.where(Fields(fields))

    def filter_on_usable(self) -> Self:
        """Keep observations usable for science."""
        return self.where(Usable())

    def filter_on_public(self) -> Self:
        """Keep observations whose data are public."""
        return self.where(Public())
