"""daxa's own exception types.

Every error a user can cause or meet carries a message that names the offending value and says
what to do. All of them derive from :class:`DaxaError`, so ``except daxa.DaxaError`` catches
everything daxa raises on purpose.
"""

from __future__ import annotations


class DaxaError(Exception):
    """Base class of every error daxa raises on purpose."""


class UnknownMissionError(DaxaError, KeyError):
    """A mission name that is not in the registry."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class InstrumentError(DaxaError, ValueError):
    """An instrument name a mission does not have."""


class ObsIDError(DaxaError, ValueError):
    """ObsIDs that do not match a mission's ObsID pattern."""


class InputError(DaxaError, ValueError):
    """Bad user input to a function (coordinates, radii, times, columns...)."""


class ServiceError(DaxaError):
    """An archive service failed or answered with something that is not data.

    Carries the service name, the table (when there is one) and the URL that was asked.
    """

    def __init__(
        self,
        message: str,
        *,
        service: str | None = None,
        table: str | None = None,
        url: str | None = None,
    ) -> None:
        self.service = service
        self.table = table
        self.url = url
        parts = [message]
        where = ", ".join(
            f"{k} {v}" for k, v in (("service", service), ("table", table), ("url", url)) if v
        )
        if where:
            parts.append(f"({where})")
        super().__init__(" ".join(parts))


class ServiceUnavailableError(ServiceError):
    """The service could not be reached, or kept failing after every retry."""


class NameResolutionError(ServiceError):
    """Object names that neither Sesame nor offline parsing could resolve."""


class SchemaError(DaxaError):
    """A table that does not match daxa's standard observation schema."""


class CacheError(DaxaError):
    """A cached table that is missing, corrupt, locked, or written by an older schema."""


class SelectionError(DaxaError):
    """A selection that cannot do what was asked (locked, wrong mission, bad saved file)."""


class NoObsAfterFilterError(SelectionError):
    """A filter left no observations (DAXA's name; the mission classes raise it)."""

    @property
    def message(self) -> str:
        """The message (DAXA's exceptions carry it as ``.message``)."""
        return str(self)


class DownloadError(DaxaError):
    """A download that could not complete (the message says which files and why)."""


class ProductNotFoundError(DaxaError, FileNotFoundError):
    """A product (event list, image, ...) that has not been downloaded or is ambiguous."""


class SQLError(DaxaError):
    """A DuckDB error, with the views and columns the query could have used."""


class SampError(DaxaError):
    """A table could not be sent over SAMP: no hub running, or no client listening for tables."""
