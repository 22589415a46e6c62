"""DAXA's exception names at DAXA's module path, so DAXA scripts and tests catch what they expect.

Each DAXA exception here subclasses the daxa error that plays its part (:mod:`daxa.errors`), so
``except DaxaError`` (or ``except InputError``) still catches it in daxa code, while
``except IllegalSourceType`` works as in DAXA. The facade (:mod:`daxa.mission`) raises these;
daxa's own API raises the plain daxa errors.

>>> issubclass(IllegalSourceType, InputError), issubclass(DAXANameResolveError, NameResolveError)
(True, True)
"""

from astropy.coordinates.name_resolve import NameResolveError

from daxa.errors import (
    DaxaError,
    DownloadError,
    InputError,
    InstrumentError,
    NameResolutionError,
    NoObsAfterFilterError,
    NoTargetTypeInfoError,
    ObsIDError,
    SelectionError,
    UnknownTargetTypeError,
)


class IllegalSourceType(UnknownTargetTypeError):
    """DAXA's name for a target type that is not in the taxonomy."""


class NoTargetSourceTypeInfo(NoTargetTypeInfoError):
    """DAXA's name for a target-type filter on a mission without target types."""


class DAXANameResolveError(NameResolutionError, NameResolveError):
    """Names Sesame could not resolve: daxa's error that is also astropy's ``NameResolveError``
    (what DAXA lets through from ``SkyCoord.from_name``)."""


class DAXAConfigError(DaxaError):
    """DAXA's configuration error."""


class DAXADownloadError(DownloadError):
    """DAXA's name for a download that failed."""


class DAXANotDownloadedError(DownloadError):
    """Data asked for before they were downloaded."""


class MissionLockedError(SelectionError):
    """A change asked of a locked mission."""


__all__ = [
    "DAXAConfigError",
    "DAXADownloadError",
    "DAXANameResolveError",
    "DAXANotDownloadedError",
    "DaxaError",
    "IllegalSourceType",
    "InputError",
    "InstrumentError",
    "MissionLockedError",
    "NoObsAfterFilterError",
    "NoTargetSourceTypeInfo",
    "ObsIDError",
    "SelectionError",
]
