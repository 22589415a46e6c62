"""A DuckDB connection with views over daxa's cache and the sky/time helpers installed."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import numpy.typing as npt
import polars as pl
import pyarrow as pa

from daxa import cache
from daxa.errors import InputError, SQLError
from daxa.inputs.angles import angle_deg
from daxa.missions import get_mission, resolve_missions
from daxa.schema import STANDARD_COLUMNS
from daxa.sql import macros, match, views
from daxa.sql.cone import expand_cones
from daxa.sql.radius import RadiusLike, instrument_radii

Output = Literal["polars", "arrow", "pandas"]
_OUTPUTS = ("polars", "arrow", "pandas")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SkyDB:
    """A DuckDB connection whose views read daxa's Parquet cache in place.

    Views: one per cached mission (named like the mission, e.g. ``chandra``), ``observations``
    (all cached missions, columns united by name, with the ``mission`` column) and
    ``cached_missions``. Helpers: see :mod:`daxa.sql.macros`. Use :func:`connect` to make one;
    it is a context manager and should be closed (:meth:`close`) when done.
    """

    def __init__(
        self, cache_dir: cache.CacheDir = None, database: str | os.PathLike[str] | None = None
    ):
        self._database = str(database) if database is not None else ":memory:"
        try:
            self._con = duckdb.connect(self._database)
        except duckdb.Error as exc:
            raise SQLError(f"cannot open the DuckDB database {self._database}: {exc}") from None
        self._cache_dir = cache_dir
        self.cache_views = views.CacheViews(Path("."), (), ())
        try:
            self._con.execute("SET TimeZone = 'UTC'")
            macros.install(self._con)
            self.refresh()
        except duckdb.Error as exc:
            self._con.close()
            raise SQLError(f"cannot set up the views in {self._database}: {exc}") from None
        except BaseException:
            self._con.close()
            raise

    # -- views ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-scan the cache and re-create the views (after fetching or refreshing a mission)."""
        self.cache_views = views.scan_cache(self._cache_dir)
        current = {*self.cache_views.missions, "observations", "cached_missions"}
        for name in self._daxa_views() - current:
            self._con.execute(f"DROP VIEW IF EXISTS {views.quote_ident(name)}")
        for statement in views.statements(self.cache_views):
            self._con.execute(statement)

    def _daxa_views(self) -> set[str]:
        rows = self._con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND starts_with(comment, ?)",
            [views.VIEW_COMMENT_PREFIX],
        ).fetchall()
        return {r[0] for r in rows}

    @property
    def note(self) -> str:
        """Which missions are cached (and so have views) and which are not."""
        return self.cache_views.note

    @property
    def missions(self) -> tuple[str, ...]:
        """The cached missions, each with a view of its own name."""
        return self.cache_views.missions

    def views(self) -> dict[str, list[str]]:
        """Every view and table the queries can use, with its columns.

        Includes daxa's views and anything the database file holds besides them.
        """
        return {name: [c for c, _ in cols] for name, cols in self._relations().items()}

    def _relations(self) -> dict[str, list[tuple[str, str]]]:
        rows = self._con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE NOT internal AND database_name IN (current_database(), 'temp') "
            "ORDER BY table_name, column_index"
        ).fetchall()
        out: dict[str, list[tuple[str, str]]] = {}
        for table, column, dtype in rows:
            if not table.startswith("__daxa"):
                out.setdefault(table, []).append((column, dtype))
        return out

    def listing(self) -> str:
        """The views and tables with their columns, as readable text (one line per view)."""
        return describe_relations(self._relations(), self.missions)

    def describe(self) -> pl.DataFrame:
        """One row per view or table: name, number of columns, and the columns."""
        rel = self._relations()
        return pl.DataFrame(
            {
                "view": list(rel),
                "n_columns": [len(c) for c in rel.values()],
                "columns": [", ".join(name for name, _ in c) for c in rel.values()],
            },
            schema={"view": pl.String, "n_columns": pl.Int64, "columns": pl.String},
        )

    # -- queries ----------------------------------------------------------------------------
    def query(self, sql: str, *, output: Output = "polars", **frames: Any) -> Any:
        """Run ``sql`` and return its result as a polars DataFrame (or Arrow / pandas).

        Keyword ``frames`` (polars, pandas, Arrow, astropy Table, dict of columns or a SkyCoord)
        become tables of that name for this query, e.g. a user's positions. Literal
        ``in_cone``/``cone`` calls are given ``_healpix_29`` ranges (:mod:`daxa.sql.cone`).
        DuckDB's parser and binder errors come back as :class:`~daxa.errors.SQLError` listing
        the views and their columns.
        """
        if output not in _OUTPUTS:
            raise InputError(f"output must be one of {', '.join(_OUTPUTS)}, got {output!r}")
        with self._frames(frames):
            rewritten = expand_cones(sql)
            try:
                rel = self._con.sql(rewritten)
                if rel is None:  # a statement without a result (older DuckDB: CREATE, SET ...)
                    return _empty(output)
                return _convert(rel, output)
            except duckdb.Error as exc:
                raise self._error(exc, sql, frames) from None

    def execute(self, sql: str, **frames: Any) -> None:
        """Run statements that return nothing (e.g. ``CREATE TABLE ... AS SELECT``)."""
        self.query(sql, **frames)

    @contextmanager
    def _frames(self, frames: Mapping[str, Any]) -> Iterator[None]:
        registered: list[str] = []
        try:
            for name, frame in frames.items():
                if not _NAME.match(name):
                    raise InputError(f"frame name {name!r} is not a valid SQL identifier")
                if name in self.missions or name in ("observations", "cached_missions"):
                    raise InputError(
                        f"frame name {name!r} would hide daxa's view of that name; pick another"
                    )
                self._con.register(name, _as_relation_source(frame, name))
                registered.append(name)
            yield
        finally:
            for name in registered:
                self._con.unregister(name)

    def _error(self, exc: duckdb.Error, sql: str, frames: Mapping[str, Any]) -> SQLError:
        rel = self._relations()
        message = str(exc).strip()
        hint = ""
        if isinstance(exc, duckdb.ParserException) and re.search(
            r'(?<!["\w.])end(?!["\w])', sql, re.I
        ):
            hint = ' (the column "end" is an SQL keyword: write it in double quotes, "end")'
        elif "INTERVAL" in message:
            hint = " (duration is an INTERVAL: epoch(duration) gives seconds as a DOUBLE)"
        err = SQLError(
            f"DuckDB could not run the query: {message}{hint}\n"
            f"{describe_relations(rel, self.missions)}\n"
            f"Helpers: {', '.join(macros.HELPER_NAMES)}\n{self.note}"
        )
        err.duckdb_message = message  # type: ignore[attr-defined]
        err.views = {name: [c for c, _ in cols] for name, cols in rel.items()}  # type: ignore[attr-defined]
        return err

    # -- sky helpers ------------------------------------------------------------------------
    def cone(
        self,
        ra: float,
        dec: float,
        radius_deg: float,
        *,
        view: str = "observations",
        where: str | None = None,
        output: Output = "polars",
    ) -> Any:
        """Rows of ``view`` within ``radius_deg`` of (ra, dec), with ``separation_deg``.

        Pruned on ``_healpix_29`` ranges before the exact test; ``where`` adds an SQL
        condition.
        """
        from daxa.sql.cone import cone_predicate

        condition = cone_predicate(ra, dec, radius_deg)
        if where:
            condition += f" AND ({where})"
        return self.query(
            f"SELECT *, ang_sep(ra, dec, {float(ra)!r}, {float(dec)!r}) AS separation_deg "
            f"FROM {views.quote_ident(view)} WHERE {condition} ORDER BY separation_deg, obs_id",
            output=output,
        )

    def match_positions(
        self,
        positions: Any,
        *,
        radius: RadiusLike | npt.ArrayLike = None,
        missions: str | Iterable[str] | None = None,
        instruments: Mapping[str, Iterable[str]] | None = None,
        id: str | bool | None = None,
    ) -> pl.DataFrame:
        """All (position, observation) pairs within the search radius, as the positions filter.

        ``positions``: any input of :func:`daxa.inputs.read_positions` (a path, a table of any
        kind with RA/Dec columns found by UCD or name, a SkyCoord, a pyvo result, an (n, 2)
        array or list of pairs, or a (ra values, dec values) tuple). ``radius``: None for each
        row's default (1.2 × FoV of the chosen instruments that observed), degrees, an angle or
        ``'10arcmin'``, a mapping {instrument: deg}, or one value per position. Whatever the
        radius, an observation matches only when at least one chosen instrument observed in
        it (as the positions filter). ``missions``: names (default: every cached mission);
        ``instruments``: {mission: instruments} (default: each mission's defaults). ``id``:
        the positions' id column (default: one found by UCD or name; False for none), added
        as ``row_id``.

        Returns pos_index, mission, obs_id, separation_deg, instruments (the chosen instruments
        that observed and reach the position) and row_id when there is an id, sorted by
        pos_index, mission, obs_id.
        """
        wanted = [m.name for m in resolve_missions(missions)] if missions is not None else None
        chosen = match.check_missions(self.missions if wanted is None else wanted, self.missions)
        given = match.read(positions, id=id)
        if radius is not None and not isinstance(radius, Mapping) and np.ndim(radius) == 0:  # type: ignore[arg-type]
            radius = angle_deg(radius, what="radius")
        table, per_position = match.prepare_positions(given, radius)
        choice: dict[str, Iterable[str] | None] = {
            get_mission(name).name: [insts] if isinstance(insts, str) else list(insts)
            for name, insts in (instruments or {}).items()
        }
        if not chosen or table.num_rows == 0:
            return pl.DataFrame(schema=match.PAIR_SCHEMA)
        all_columns = self.views()
        columns = {m: set(all_columns.get(m, [])) for m in chosen}
        ra, dec = table["ra"].to_numpy(), table["dec"].to_numpy()
        # a SkyCoord gives slightly different FK5 coordinates: index both
        also = (table["ra_fk5"].to_numpy(), table["dec_fk5"].to_numpy())
        if per_position is not None:
            position_orders = match.join_orders(per_position)
            orders = set(np.unique(position_orders).tolist())
            cells = match.cells_table(ra, dec, position_orders, also=also)
            scalar_radius: RadiusLike = None
        else:
            scalar_radius = radius  # type: ignore[assignment]
            radii = [
                r
                for m in chosen
                for r in instrument_radii(m, choice.get(m), scalar_radius).values()
            ]
            orders = set(match.join_orders(radii).tolist())
            cells = match.cells_table(ra, dec, orders, also=also)
        query = match.pairs_sql(
            chosen,
            columns,
            instruments=choice,
            radius=scalar_radius,
            per_position=per_position is not None,
            position_orders=orders,
            fk5_columns=not match.positions_share_frames(table),
        )
        out = self.query(query, **{match.CELLS_TABLE: match.candidates_table(table, cells)})
        out = out.cast(match.PAIR_SCHEMA).sort("pos_index", "mission", "obs_id")
        ids = given.ids()
        if ids is not None:
            out = out.with_columns(row_id=ids.gather(out["pos_index"]))
        return out  # type: ignore[no-any-return]

    # -- lifetime ---------------------------------------------------------------------------
    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The underlying DuckDB connection (for anything this class does not wrap)."""
        return self._con

    def close(self) -> None:
        """Close the DuckDB connection."""
        self._con.close()

    def __enter__(self) -> SkyDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SkyDB(database={self._database!r}, missions={list(self.missions)})"


def describe_relations(rel: Mapping[str, list[tuple[str, str]]], missions: Iterable[str]) -> str:
    """The views and tables, one per line; the standard columns are named once."""
    standard = list(STANDARD_COLUMNS)
    missions = list(missions)
    lines = [
        f"Views (each mission view has the standard columns {', '.join(standard)}; "
        "extra columns listed):"
    ]
    for name in missions:
        extra = [c for c, _ in rel.get(name, []) if c not in STANDARD_COLUMNS]
        lines.append(f"  {name}: {', '.join(extra) or '(none)'}")
    lines.append("  observations: the standard columns and every extra column above")
    for name, cols in rel.items():
        if name not in missions and name != "observations":
            lines.append(f"  {name}: {', '.join(c for c, _ in cols)}")
    return "\n".join(lines)


def _as_relation_source(frame: Any, name: str) -> Any:
    """Something DuckDB can register: polars, pandas and Arrow pass; the rest through the
    input layer (:func:`daxa.inputs.to_table`)."""
    if isinstance(frame, pl.DataFrame | pa.Table | pa.RecordBatchReader):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if type(frame).__module__.startswith("pandas"):
        return frame
    from daxa.inputs import to_table  # SkyCoord (as ICRS ra/dec), astropy, pyvo, paths...

    return to_table(frame, what=f"frame {name!r}").frame


def _convert(rel: Any, output: Output) -> Any:
    """The relation's rows as ``output``; INTERVAL columns become durations and zone-less
    TIMESTAMPs UTC datetimes."""
    intervals = [c for c, t in zip(rel.columns, rel.types, strict=True) if str(t) == "INTERVAL"]
    if intervals:
        replace = ", ".join(
            f"epoch_us({views.quote_ident(c)}) AS {views.quote_ident(c)}" for c in intervals
        )
        rel = rel.query("__daxa_result", f"SELECT * REPLACE ({replace}) FROM __daxa_result")
    table = rel.to_arrow_table()
    for name in intervals:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, table.column(i).cast(pa.duration("us")))
    for i, field in enumerate(table.schema):
        # the views' TIMESTAMPs are UTC (as every time in daxa is): give them back their zone
        if pa.types.is_timestamp(field.type) and field.type.tz is None:
            utc = pa.timestamp(field.type.unit, tz="UTC")
            table = table.set_column(i, field.name, table.column(i).cast(utc))
    if output == "arrow":
        return table
    if output == "pandas":
        return table.to_pandas()
    return pl.from_arrow(table)


def _empty(output: Output) -> Any:
    if output == "arrow":
        return pa.table({})
    if output == "pandas":
        import pandas as pd

        return pd.DataFrame()
    return pl.DataFrame()


def connect(
    cache_dir: cache.CacheDir = None, database: str | os.PathLike[str] | None = None
) -> SkyDB:
    """Open a :class:`SkyDB` over the cache in ``cache_dir`` (default: daxa's cache folder).

    ``database``: a DuckDB file to keep your own tables in (views are re-created on each
    connect); in memory by default.
    """
    return SkyDB(cache_dir=cache_dir, database=database)


def sql(
    query: str,
    *,
    cache_dir: cache.CacheDir = None,
    output: Output = "polars",
    database: str | os.PathLike[str] | None = None,
    **frames: Any,
) -> Any:
    """Run one SQL query over the cached tables; a polars DataFrame by default.

    Views: one per cached mission, ``observations`` across all of them, ``cached_missions``.
    Keyword ``frames`` (polars, pandas, Arrow, astropy Table) become tables the query can join.
    """
    with connect(cache_dir, database) as db:
        return db.query(query, output=output, **frames)
