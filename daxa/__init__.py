"""daxa: find, filter, cross-match and download X-ray archive observations as dataframes."""

from daxa.errors import DaxaError
from daxa.missions import get_mission, mission_names

__version__ = "0.1.0"

__all__ = ["DaxaError", "__version__", "get_mission", "mission_names"]
