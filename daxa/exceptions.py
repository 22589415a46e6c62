"""DAXA's exception module path, kept so DAXA scripts need no change beyond their mission import.

daxa's own errors live in :mod:`daxa.errors`; the names DAXA scripts catch are re-exported here.
"""

from daxa.errors import (
    DaxaError,
    InstrumentError,
    NoObsAfterFilterError,
    ObsIDError,
    SelectionError,
)

__all__ = [
    "DaxaError",
    "InstrumentError",
    "NoObsAfterFilterError",
    "ObsIDError",
    "SelectionError",
]
