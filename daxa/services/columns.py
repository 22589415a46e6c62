"""Learn a TAP table's columns before fetching it, and map them onto the names daxa uses.

Archives change their tables under their users: a column is dropped, renamed, changes case or
type, or a new geometry column appears that breaks a careless ``SELECT *``. So daxa never asks
for ``*``: it reads the table's columns from the service's ``TAP_SCHEMA.columns`` (standard
TAP; HEASARC and ESAC spell table names with or without a schema and in either case), falls
back to ``SELECT TOP 0`` of the named columns when that fails, and then plans the query:

- a column found under its own name in any case, or under a known alternate name, is asked
  for by the service's name and renamed back (``renamed``);
- a missing optional column becomes a null column, with a logged note;
- a missing required column is one :class:`~daxa.errors.SchemaDriftError` naming the service,
  table and column and what to do.

:func:`plan_columns` and :func:`apply_plan` are pure, so they are tested without a service.

>>> available = [ServiceColumn("RA", "double"), ServiceColumn("target_name", "char")]
>>> plan = plan_columns(available, ["ra", "target"], alternates={"target": ("target_name",)})
>>> plan.select, plan.renamed
({'ra': 'RA', 'target': 'target_name'}, {'ra': 'RA', 'target': 'target_name'})
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from daxa.errors import SchemaDriftError, ServiceError, ServiceUnavailableError
from daxa.services.adql import run_query
from daxa.services.http import ArchiveSession

log = logging.getLogger("daxa.services")

Kind = Literal["number", "text", "boolean", "other"]

_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_NUMBER_TYPES = frozenset(
    {"short", "int", "long", "float", "double", "unsignedbyte", "smallint", "integer", "bigint",
     "real", "numeric", "decimal"}
)  # fmt: skip
_TEXT_TYPES = frozenset({"char", "unicodechar", "varchar", "string", "text", "timestamp", "clob"})


@dataclass(frozen=True)
class ServiceColumn:
    """One column as the service describes it (``datatype`` as TAP_SCHEMA or the FIELD says)."""

    name: str
    datatype: str = ""

    @property
    def kind(self) -> Kind:
        """``number``, ``text``, ``boolean`` or ``other``, from the datatype.

        >>> ServiceColumn("ra", "DOUBLE").kind, ServiceColumn("id", "adql:VARCHAR").kind
        ('number', 'text')
        """
        return datatype_kind(self.datatype)


def datatype_kind(datatype: str) -> Kind:
    """The kind of a VOTable/TAP datatype (``adql:`` prefixes and case ignored); a kind name
    (what a ``TOP 0`` probe records) is its own kind."""
    base = datatype.strip().lower().rsplit(":", 1)[-1]
    if base in ("number", "text", "boolean"):
        return base  # type: ignore[return-value]
    if base in _NUMBER_TYPES:
        return "number"
    if base in _TEXT_TYPES:
        return "text"
    if base == "boolean":
        return "boolean"
    return "other"


def polars_kind(dtype: pl.DataType) -> Kind:
    """The kind of a polars dtype, comparable with :func:`datatype_kind`."""
    if dtype.is_numeric():
        return "number"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype in (pl.String, pl.Categorical) or dtype.is_temporal():
        return "text"
    return "other"


@dataclass(frozen=True)
class ColumnPlan:
    """What to ask the service for, and how the answer maps onto daxa's column names.

    ``select`` maps each wanted column that the service has to the service's name for it;
    ``renamed`` is the subset whose service name differs (case or an alternate);
    ``missing_optional`` become null columns; ``missing_required`` make the fetch fail.
    """

    select: dict[str, str]
    renamed: dict[str, str] = field(default_factory=dict)
    missing_optional: tuple[str, ...] = ()
    missing_required: tuple[str, ...] = ()
    available: tuple[ServiceColumn, ...] = ()
    method: str = "tap_schema"

    def select_list(self) -> str:
        """The ADQL select list (service names, quoted when they are not plain identifiers)."""
        return ", ".join(quote(name) for name in self.select.values())


def quote(name: str) -> str:
    """An ADQL identifier: as is when plain, else double-quoted.

    >>> quote("ra"), quote("Search Offset")
    ('ra', '"Search Offset"')
    """
    return name if _PLAIN.match(name) else '"' + name.replace('"', '""') + '"'


def plan_columns(
    available: Sequence[ServiceColumn],
    columns: Sequence[str],
    optional: Sequence[str] = (),
    alternates: Mapping[str, Sequence[str]] | None = None,
    *,
    method: str = "tap_schema",
) -> ColumnPlan:
    """Match the wanted ``columns`` against the ones the service has.

    A column matches its own name in any case first, then each of its ``alternates`` in
    order (any case). Columns in ``optional`` may be missing.
    """
    by_lower: dict[str, ServiceColumn] = {}
    for col in available:
        by_lower.setdefault(col.name.lower(), col)
    optional_lower = {c.lower() for c in optional}
    alternates = {k.lower(): tuple(v) for k, v in (alternates or {}).items()}
    select: dict[str, str] = {}
    renamed: dict[str, str] = {}
    missing_opt: list[str] = []
    missing_req: list[str] = []
    for wanted in columns:
        names = [wanted, *alternates.get(wanted.lower(), ())]
        hit = next((by_lower[n.lower()] for n in names if n.lower() in by_lower), None)
        if hit is None:
            (missing_opt if wanted.lower() in optional_lower else missing_req).append(wanted)
            continue
        select[wanted] = hit.name
        if hit.name != wanted:
            renamed[wanted] = hit.name
    return ColumnPlan(
        select, renamed, tuple(missing_opt), tuple(missing_req), tuple(available), method
    )


def apply_plan(frame: pl.DataFrame, plan: ColumnPlan) -> pl.DataFrame:
    """The answer with daxa's column names, in the order asked, plus null optional columns.

    Answer columns are matched case-insensitively (services may echo names in another case).

    >>> plan = plan_columns([ServiceColumn("RA", "double")], ["ra", "name"], optional=["name"])
    >>> apply_plan(pl.DataFrame({"RA": [1.0]}), plan).columns
    ['ra', 'name']
    """
    got = {c.lower(): c for c in frame.columns}
    out: list[pl.Expr] = []
    for wanted, service_name in plan.select.items():
        source = got.get(service_name.lower(), got.get(wanted.lower()))
        if source is None:
            raise SchemaDriftError(
                f"the answer lacks column {service_name!r} although it was asked for; "
                "run `daxa doctor` and report this",
                columns=(wanted,),
            )
        out.append(pl.col(source).alias(wanted))
    out.extend(pl.lit(None).alias(name) for name in plan.missing_optional)
    return frame.select(out)


# ---------------------------------------------------------------------------------------------
# asking the service


def schema_query(table: str) -> str:
    """The ``TAP_SCHEMA.columns`` query for ``table`` (bare, schema-qualified, either case).

    >>> print(schema_query("chanmaster"))  # doctest: +NORMALIZE_WHITESPACE
    SELECT table_name, column_name, datatype FROM TAP_SCHEMA.columns WHERE table_name =
    'chanmaster' OR table_name = 'CHANMASTER' OR table_name LIKE '%.chanmaster' OR table_name
    LIKE '%.CHANMASTER'
    """
    bare = table.rsplit(".", 1)[-1]
    names = dict.fromkeys([table, table.lower(), table.upper()])
    tests = [f"table_name = '{n}'" for n in names]
    tests += [f"table_name LIKE '%.{n}'" for n in dict.fromkeys([bare.lower(), bare.upper()])]
    return "SELECT table_name, column_name, datatype FROM TAP_SCHEMA.columns WHERE " + " OR ".join(
        tests
    )


def columns_from_schema(rows: pl.DataFrame, table: str) -> list[ServiceColumn]:
    """The columns of ``table`` in a ``TAP_SCHEMA.columns`` answer (pure; any case/schema).

    When several schemas hold a table of that name, the one named exactly wins, then the
    first schema in the answer.
    """
    if rows.height == 0:
        return []
    lower = {c.lower(): c for c in rows.columns}
    if not {"table_name", "column_name"} <= set(lower):
        return []
    names = rows[lower["table_name"]].cast(pl.String).fill_null("")
    bare = table.rsplit(".", 1)[-1].lower()
    key = names.str.to_lowercase()
    fits = (key == table.lower()) | (key == bare) | key.str.ends_with("." + bare)
    rows, names = rows.filter(fits), names.filter(fits)
    if rows.height == 0:
        return []
    exact = [n for n in names.unique(maintain_order=True).to_list() if n.lower() == table.lower()]
    chosen = exact[0] if exact else names[0]
    rows = rows.filter(names == chosen)
    types = (
        rows[lower["datatype"]].cast(pl.String).fill_null("")
        if "datatype" in lower
        else pl.Series([""] * rows.height)
    )
    return [
        ServiceColumn(str(n), str(t))
        for n, t in zip(rows[lower["column_name"]].to_list(), types.to_list(), strict=True)
    ]


def discover_columns(
    service: str,
    table: str,
    candidates: Sequence[str] = (),
    *,
    session: ArchiveSession | None = None,
) -> tuple[list[ServiceColumn], str]:
    """The columns ``table`` has on ``service`` and how that was learnt.

    First ``TAP_SCHEMA.columns`` (``"tap_schema"``); when the service has no TAP_SCHEMA or
    does not list the table, ``SELECT TOP 0`` of the ``candidates`` (``"probe"``), one
    column at a time when the service refuses them together. An unreachable service raises
    :class:`~daxa.errors.ServiceUnavailableError` at once.
    """
    try:
        rows = run_query(service, schema_query(table), table=table, session=session)
        found = columns_from_schema(rows, table)
        if found:
            return found, "tap_schema"
        log.info("%s: TAP_SCHEMA.columns does not list %s; probing its columns", service, table)
    except ServiceUnavailableError:
        raise
    except ServiceError as exc:
        log.info("%s: TAP_SCHEMA.columns failed (%s); probing %s", service, exc, table)
    names = list(dict.fromkeys(candidates))
    if not names:
        return [], "probe"
    try:
        probe = _top0(service, table, names, session)
        return _from_frame(probe), "probe"
    except ServiceUnavailableError:
        raise
    except ServiceError as exc:
        first = exc  # one of them may be missing: ask for each on its own
    found = []
    for name in names:
        try:
            found += _from_frame(_top0(service, table, [name], session))
        except ServiceUnavailableError:
            raise
        except ServiceError:
            continue
    if not found:  # not one column answered: the service (or table) is the problem
        raise first
    return found, "probe"


def _top0(
    service: str, table: str, names: Sequence[str], session: ArchiveSession | None
) -> pl.DataFrame:
    cols = ", ".join(quote(n) for n in names)
    return run_query(service, f"SELECT TOP 0 {cols} FROM {table}", table=table, session=session)


def _from_frame(frame: pl.DataFrame) -> list[ServiceColumn]:
    return [ServiceColumn(name, polars_kind(dtype)) for name, dtype in frame.schema.items()]


def plan_for_table(
    service: str,
    table: str,
    columns: Sequence[str],
    optional: Sequence[str] = (),
    alternates: Mapping[str, Sequence[str]] | None = None,
    *,
    session: ArchiveSession | None = None,
) -> ColumnPlan:
    """Discover ``table``'s columns on ``service`` and plan the fetch of ``columns``."""
    alternates = alternates or {}
    candidates = [c for col in columns for c in (col, *alternates.get(col, ()))]
    available, method = discover_columns(service, table, candidates, session=session)
    return plan_columns(available, columns, optional, alternates, method=method)


def check_plan(plan: ColumnPlan, *, service: str, table: str, url: str | None = None) -> None:
    """Raise for missing required columns; log a note for each missing optional one."""
    if plan.missing_required:
        missing = ", ".join(plan.missing_required)
        plural = "s" if len(plan.missing_required) > 1 else ""
        raise SchemaDriftError(
            f"the table no longer has the column{plural} daxa needs: {missing} (it has "
            f"{len(plan.available)} columns). The archive changed its table: run `daxa doctor` "
            "to see every difference, and report it so daxa can be updated",
            columns=plan.missing_required,
            service=service,
            table=table,
            url=url,
        )
    for name in plan.missing_optional:
        log.info("%s %s has no column %s; it is left empty (null)", service, table, name)
    for wanted, got in plan.renamed.items():
        if got.lower() != wanted.lower():
            log.warning(
                "%s %s: column %s is now called %s; mapped (`daxa doctor` shows every change)",
                service,
                table,
                wanted,
                got,
            )
