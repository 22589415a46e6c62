"""daxa: find, filter, cross-match and download X-ray archive observations as dataframes."""

from typing import Any

from daxa.errors import DaxaError
from daxa.missions import get_mission, mission_names

__version__ = "0.1.0"

__all__ = ["DaxaError", "Selection", "__version__", "get_mission", "mission_names", "search"]


def __getattr__(name: str) -> Any:
    # Imported on first use: they pull in the cache, the sky engine and astropy.
    if name == "Selection":
        from daxa.selection import Selection

        return Selection
    if name == "search":  # the module is callable: daxa.search(positions=...)
        import daxa.search as search_module

        return search_module
    raise AttributeError(f"module 'daxa' has no attribute {name!r}")
