"""daxa's own exception types.

Every error a user can cause or meet carries a message that names the offending value and says
what to do. All of them derive from :class:`DaxaError`, so ``except daxa.DaxaError`` catches
everything daxa raises on purpose.
"""

from __future__ import annotations

from typing import Any

from daxa.urls import redact, redact_text


class DaxaError(Exception):
    """Base class of every error daxa raises on purpose.

    A ``user:password@`` inside any URL in the message is removed, so no error shows a secret.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*(redact_text(a) if isinstance(a, str) else a for a in args))


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
        self.url = redact(url) if url else url
        url = self.url
        parts = [message]
        where = ", ".join(
            f"{k} {v}" for k, v in (("service", service), ("table", table), ("url", url)) if v
        )
        if where:
            parts.append(f"({where})")
        super().__init__(" ".join(parts))


class ServiceUnavailableError(ServiceError):
    """The service could not be reached, or kept failing after every retry."""


class SchemaDriftError(ServiceError):
    """An archive table lost (or renamed beyond recognition) a column daxa needs.

    ``columns`` names the missing columns; the message says to run ``daxa doctor`` and report.
    """

    def __init__(
        self,
        message: str,
        *,
        columns: tuple[str, ...] = (),
        service: str | None = None,
        table: str | None = None,
        url: str | None = None,
    ) -> None:
        self.columns = columns
        super().__init__(message, service=service, table=table, url=url)


class NameResolutionError(ServiceError):
    """Object names that neither Sesame nor offline parsing could resolve."""


class UnknownTargetTypeError(InputError):
    """A target-type code that is not in daxa's taxonomy (``daxa.filters.show_target_types``)."""


class NoTargetTypeInfoError(InputError):
    """A target-type filter on a mission whose archive gives no target types."""


class SchemaError(DaxaError):
    """A table that does not match daxa's standard observation schema."""


class CacheError(DaxaError):
    """A cached table that is missing, corrupt, locked, or written by an older schema."""


class RefreshRefused(CacheError):
    """A refresh that would shrink a cached table sharply (or to nothing); the old one is kept.

    ``old_rows`` and ``new_rows`` are the two counts; ``force=True`` accepts the new table.
    """

    def __init__(self, message: str, *, old_rows: int, new_rows: int) -> None:
        self.old_rows = old_rows
        self.new_rows = new_rows
        super().__init__(message)


class ProvenanceWarning(UserWarning):
    """A cached table came from another service than the one daxa is configured to use now."""


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
