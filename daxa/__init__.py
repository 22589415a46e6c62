"""daxa: find, filter, cross-match and download X-ray archive observations as dataframes.

The top level keeps imports light; the heavier parts load on first use:

- ``daxa.Selection`` — a mission table plus the lineage of filters applied to it;
- ``daxa.search(...)`` — one positional / time / name search over several missions;
- ``daxa.sql(...)`` — SQL over the cached tables (DuckDB);
- ``daxa.to_astropy(result)``, ``daxa.write_table(result, path)``, ``daxa.send_samp(result)``
  — results for astropy, TOPCAT and Aladin (:mod:`daxa.outputs`);
- ``daxa.coverage_moc(...)`` — where missions observed, as a MOC (:mod:`daxa.moc`);
- ``daxa.cache``, ``daxa.crossmatch``, ``daxa.download``, ``daxa.sky``, ``daxa.filters``,
  ``daxa.config`` — the modules themselves.
"""

import importlib
from typing import TYPE_CHECKING, Any

from daxa._version import __version__
from daxa.errors import DaxaError

if TYPE_CHECKING:
    from daxa.missions import get_mission, mission_names

__all__ = [
    "DaxaError",
    "Selection",
    "__version__",
    "doctor",
    "coverage_moc",
    "get_mission",
    "mission_names",
    "search",
    "send_samp",
    "sql",
    "to_astropy",
    "write_table",
]

#: Functions reachable as ``daxa.<name>``, imported on first use from their module.
_LAZY_FUNCTIONS = {
    "to_astropy": "daxa.outputs",
    "write_table": "daxa.outputs",
    "send_samp": "daxa.outputs.samp",
    "coverage_moc": "daxa.moc",
}

#: Submodules reachable as attributes without importing them first.
_LAZY_MODULES = {
    "cache",
    "config",
    "crossmatch",
    "doctor",  # callable module: daxa.doctor() checks every archive daxa uses
    "download",
    "filters",
    "moc",
    "outputs",
    "plots",
    "search",  # callable module: daxa.search(positions=...)
    "sky",
    "sql",  # callable module: daxa.sql("SELECT ...")
}


def __getattr__(name: str) -> Any:
    # Imported on first use: they pull in the cache, the sky engine, DuckDB and astropy.
    if name in ("get_mission", "mission_names"):
        from daxa import missions

        return getattr(missions, name)
    if name == "Selection":
        from daxa.selection import Selection

        return Selection
    if name == "OUTPUT":  # DAXA's name for the folder raw data go under
        from daxa.mission._compat import output_folder

        return output_folder()
    if name in _LAZY_FUNCTIONS:
        return getattr(importlib.import_module(_LAZY_FUNCTIONS[name]), name)
    if name in _LAZY_MODULES:
        return importlib.import_module(f"daxa.{name}")
    raise AttributeError(f"module 'daxa' has no attribute {name!r}")
