"""Pure filters over a mission table: each one turns a table into a Boolean row mask.

A filter is a small frozen object holding its parameters (``params()`` gives them as JSON-able
data, ``from_params`` rebuilds it) with ``mask(table, *, mission, instruments)``; the positional
ones also have ``associate(...)``, the typed table of which position matched which
observation. :class:`daxa.Selection` combines them and keeps the lineage (DESIGN §4–§5).

>>> sorted(REGISTRY)  # doctest: +NORMALIZE_WHITESPACE
['fields', 'instruments', 'name', 'obs_ids', 'positions', 'positions_at_time', 'public',
 'region', 'target_type', 'time', 'usable']
"""

from daxa.filters._base import (
    ASSOCIATION_SCHEMA,
    REGISTRY,
    Filter,
    FilterWarning,
    filter_from_step,
)
from daxa.filters.at_time import PositionsAtTime
from daxa.filters.fields import Fields
from daxa.filters.ids import ObsIDs
from daxa.filters.instruments import Instruments
from daxa.filters.names import Names
from daxa.filters.positions import Positions
from daxa.filters.region import Region
from daxa.filters.target import TargetTypes, show_target_types, target_types_table
from daxa.filters.time import TimeWindow
from daxa.filters.usable import Public, Usable

__all__ = [
    "ASSOCIATION_SCHEMA",
    "REGISTRY",
    "Fields",
    "Filter",
    "FilterWarning",
    "Instruments",
    "Names",
    "ObsIDs",
    "Positions",
    "PositionsAtTime",
    "Public",
    "Region",
    "TargetTypes",
    "TimeWindow",
    "Usable",
    "filter_from_step",
    "show_target_types",
    "target_types_table",
]
