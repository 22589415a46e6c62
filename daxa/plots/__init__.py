"""Plots of observation tables: where (sky map), when (timeline) and how much (exposure).

Every function takes observations as a polars DataFrame in daxa's schema (one mission or many,
told apart by the ``mission`` column), a ``{mission: table}`` mapping, or anything with a
``.table`` attribute (a Selection); it returns a matplotlib :class:`~matplotlib.figure.Figure`
without touching pyplot's global state, so scripts save it and notebooks display it.
Colours follow the mission registry, so a mission has the same colour in every plot.

>>> import polars as pl
>>> from datetime import datetime, UTC
>>> obs = pl.DataFrame({"mission": ["chandra", "xmm_pointed"], "obs_id": ["1", "0201903501"],
...     "ra": [10.0, 200.0], "dec": [-5.0, 40.0],
...     "start": [datetime(2001, 1, 1, tzinfo=UTC), datetime(2004, 6, 1, tzinfo=UTC)],
...     "end": [datetime(2001, 1, 2, tzinfo=UTC), datetime(2004, 6, 2, tzinfo=UTC)],
...     "exposure": [5e4, 3e4]})
>>> fig = sky_map(obs)
>>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
['XMM-Newton Pointed (1)', 'Chandra (1)']
>>> exposure_per_year(obs).axes[0].get_ylabel()
'exposure (Ms)'

The plots live in submodules by subject: :mod:`~daxa.plots.sky` (all-sky maps),
:mod:`~daxa.plots.fields` (fields of view around one position), :mod:`~daxa.plots.timelines`
(time and exposure), :mod:`~daxa.plots.footprints` (real detector footprints, sky density) and
:mod:`~daxa.plots.common` (inputs, colours, saving); the names below are the public API.
"""

from __future__ import annotations

from daxa.errors import InputError as InputError
from daxa.plots.common import mission_colour, observations_frame, positions_arrays, save
from daxa.plots.fields import WIDE_FIELD_DEG, field_map, fov_radius
from daxa.plots.fields import _circle_points as _circle_points  # tests check the geometry
from daxa.plots.footprints import footprint_map, sky_density
from daxa.plots.sky import FOV_CIRCLE_LIMIT, mission_sky_maps, sky_map
from daxa.plots.sky import _circle_paths as _circle_paths
from daxa.plots.timelines import (
    DENSITY_LANE_ROWS,
    days_since_event,
    exposure_by_year,
    exposure_per_year,
    merge_intervals,
    timeline,
)

__all__ = [
    "DENSITY_LANE_ROWS",
    "FOV_CIRCLE_LIMIT",
    "WIDE_FIELD_DEG",
    "days_since_event",
    "exposure_by_year",
    "exposure_per_year",
    "field_map",
    "footprint_map",
    "merge_intervals",
    "mission_sky_maps",
    "fov_radius",
    "mission_colour",
    "observations_frame",
    "positions_arrays",
    "save",
    "sky_density",
    "sky_map",
    "timeline",
]
