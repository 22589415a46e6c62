"""SQL views over the Parquet cache: one per cached mission, and ``observations`` across them.

The views read the cache files in place (DuckDB scans Parquet directly; nothing is copied into
the database), so a query always sees the tables as they are on disk. In SQL, ``start``,
``end`` and ``proprietary_end`` are TIMESTAMPs in UTC and ``duration`` is an INTERVAL; results
come back to Python with the cache's types (UTC datetimes, durations). Missions that are not
cached are simply absent; the ``cached_missions`` view says which are there and when they were
fetched, and :attr:`CacheViews.note` says the same in words.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

from daxa import cache
from daxa.errors import CacheError
from daxa.missions import mission_names
from daxa.schema import SCHEMA_VERSION, STANDARD_COLUMNS
from daxa.urls import redact

#: Marker in the comment of every view daxa creates (so stale ones can be dropped).
VIEW_COMMENT_PREFIX = "daxa view:"

_DUCKDB_TYPES = {
    "mission": "VARCHAR",
    "obs_id": "VARCHAR",
    "ra": "DOUBLE",
    "dec": "DOUBLE",
    "start": "TIMESTAMP",
    "end": "TIMESTAMP",
    "duration": "INTERVAL",
    "exposure": "DOUBLE",
    "science_usable": "BOOLEAN",
    "proprietary_end": "TIMESTAMP",
    "public": "BOOLEAN",
    "target_category": "VARCHAR",
    "target_name": "VARCHAR",
    "instrument": "VARCHAR",
    "_healpix_29": "BIGINT",
}


def quote_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier.

    >>> quote_ident('end')
    '"end"'
    """
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """``text`` as an SQL string literal.

    >>> quote_literal("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class CachedMission:
    """One usable cache file: what the views read."""

    mission: str
    path: Path
    rows: int
    fetched_at: str
    source_url: str


@dataclass(frozen=True)
class CacheViews:
    """What the cache holds, and the SQL that exposes it."""

    cache_dir: Path
    cached: tuple[CachedMission, ...]
    skipped: tuple[tuple[str, str], ...]  # (mission, reason) for unreadable or outdated files

    @property
    def missions(self) -> tuple[str, ...]:
        return tuple(c.mission for c in self.cached)

    @property
    def note(self) -> str:
        """One paragraph saying which missions are cached and how to add the others."""
        missing = [m for m in mission_names() if m not in self.missions]
        where = str(self.cache_dir)
        if not self.cached:
            text = (
                f"no mission is cached in {where}; `observations` is empty. Run `daxa fetch "
                "<mission>` (or daxa.cache.load(mission)) first."
            )
        else:
            text = f"cached in {where}: " + ", ".join(
                f"{c.mission} ({c.rows:,} rows)" for c in self.cached
            )
            if missing:
                text += (
                    f". Not cached (absent from `observations`): {', '.join(missing)}; "
                    "run `daxa fetch <mission>` to add one."
                )
        for mission, reason in self.skipped:
            text += f" Skipped {mission}: {reason}."
        return text


def scan_cache(cache_dir: cache.CacheDir = None) -> CacheViews:
    """Find the usable cache files; outdated or corrupt ones are skipped with a warning."""
    folder = cache.cache_path("xmm_pointed", cache_dir).parent
    cached: list[CachedMission] = []
    skipped: list[tuple[str, str]] = []
    for mission in cache.cached_missions(cache_dir):
        try:
            meta = cache.info(mission, cache_dir)
        except CacheError as exc:
            skipped.append((mission, str(exc)))
            continue
        if meta.schema_version != SCHEMA_VERSION:
            skipped.append(
                (
                    mission,
                    f"{meta.path} holds schema version {meta.schema_version} (this daxa reads "
                    f"{SCHEMA_VERSION}); run `daxa fetch {mission} --refresh`",
                )
            )
            continue
        cached.append(
            CachedMission(
                mission=mission,
                path=meta.path.resolve(),
                rows=meta.rows,
                fetched_at=meta.fetched_at.isoformat(),
                source_url=redact(meta.source_url),
            )
        )
    for mission, reason in skipped:
        warnings.warn(f"daxa.sql: {mission} is left out: {reason}", stacklevel=3)
    return CacheViews(folder.resolve(), tuple(cached), tuple(skipped))


#: Columns that hold UTC datetimes in the cache.
TIME_COLUMNS = ("start", "end", "proprietary_end")


def _select_parquet(source: str) -> str:
    # Durations are stored as int64 microseconds: SQL users get an INTERVAL. Datetimes are
    # exposed as TIMESTAMP (wall-clock UTC) rather than TIMESTAMPTZ: year(), month() ... on a
    # TIMESTAMPTZ go through ICU time-zone arithmetic and take twice as long; every daxa time is
    # UTC, and results come back to Python as UTC-aware datetimes (see daxa.sql.db).
    times = ", ".join(
        f"make_timestamp(epoch_us({quote_ident(c)})) AS {quote_ident(c)}" for c in TIME_COLUMNS
    )
    return (
        f"SELECT * REPLACE (to_microseconds(duration) AS duration, {times}) "
        f"FROM read_parquet({source})"
    )


def mission_view_sql(entry: CachedMission) -> str:
    """``CREATE VIEW <mission>`` reading its cache file in place."""
    return f"CREATE OR REPLACE VIEW {quote_ident(entry.mission)} AS " + _select_parquet(
        quote_literal(str(entry.path))
    )


def observations_sql(views: CacheViews) -> str:
    """``CREATE VIEW observations``: every cached mission, columns united by name.

    One multi-file Parquet scan (not a UNION of views) so a group-by reads each file once, in
    parallel. Columns a mission does not have are NULL in its rows. With nothing cached it is an
    empty view with the standard columns.
    """
    if views.cached:
        files = "[" + ", ".join(quote_literal(str(c.path)) for c in views.cached) + "]"
        body = _select_parquet(f"{files}, union_by_name = true")
    else:
        cols = ", ".join(
            f"CAST(NULL AS {_DUCKDB_TYPES[name]}) AS {quote_ident(name)}"
            for name in STANDARD_COLUMNS
        )
        body = f"SELECT {cols} WHERE false"
    return f"CREATE OR REPLACE VIEW observations AS {body}"


def cached_missions_sql(views: CacheViews) -> str:
    """``CREATE VIEW cached_missions``: mission, rows, fetched_at, source_url, path."""
    if views.cached:
        values = ", ".join(
            f"({quote_literal(c.mission)}, {c.rows}, CAST({quote_literal(c.fetched_at)} AS "
            f"TIMESTAMPTZ)::TIMESTAMP, {quote_literal(c.source_url)}, {quote_literal(str(c.path))})"
            for c in views.cached
        )
        body = (
            "SELECT mission, CAST(rows AS BIGINT) AS rows, fetched_at, source_url, path "
            f"FROM (VALUES {values}) AS t(mission, rows, fetched_at, source_url, path)"
        )
    else:
        body = (
            "SELECT CAST(NULL AS VARCHAR) AS mission, CAST(NULL AS BIGINT) AS rows, "
            "CAST(NULL AS TIMESTAMP) AS fetched_at, CAST(NULL AS VARCHAR) AS source_url, "
            "CAST(NULL AS VARCHAR) AS path WHERE false"
        )
    return f"CREATE OR REPLACE VIEW cached_missions AS {body}"


def statements(views: CacheViews) -> list[str]:
    """Every statement that (re)creates the views and their comments, in order."""
    out = [mission_view_sql(c) for c in views.cached]
    out += [observations_sql(views), cached_missions_sql(views)]
    for name, what in [
        *((c.mission, f"the cached {c.mission} table ({c.path})") for c in views.cached),
        ("observations", "every cached mission, united by column name. " + views.note),
        ("cached_missions", "which missions are cached, with row counts and fetch times"),
    ]:
        out.append(
            f"COMMENT ON VIEW {quote_ident(name)} IS {quote_literal(VIEW_COMMENT_PREFIX + ' ' + what)}"
        )
    return out
