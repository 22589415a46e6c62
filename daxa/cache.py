"""The Parquet cache: one file per mission, HEALPix-sorted, written atomically.

Each file carries key-value metadata (source URL, fetch time, schema version, row count, daxa
version). Writes go to a temporary file in the same folder and are renamed into place under a
lock, so a crash or a second process never leaves a half-written table where a reader looks.

>>> import tempfile, polars as pl
>>> from daxa.schema import empty_table
>>> folder = tempfile.mkdtemp()
>>> _ = write(empty_table(), "swift", source_url="test", cache_dir=folder)
>>> read("swift", cache_dir=folder).height
0
>>> info("swift", cache_dir=folder).rows
0
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from daxa.config import cache_dir as _cache_dir
from daxa.errors import CacheError, SchemaError
from daxa.missions import Mission, get_mission, mission_names, resolve_missions
from daxa.schema import SCHEMA_VERSION, STANDARD_COLUMNS, validate
from daxa.services.http import ArchiveSession

CacheDir = str | os.PathLike[str] | None

_META_KEY = b"daxa"
#: Rows per Parquet row group: small enough for HEALPix-range pruning in DuckDB.
ROW_GROUP_ROWS = 32_768
LOCK_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class CacheInfo:
    """What a cache file says about itself."""

    mission: str
    path: Path
    source_url: str
    fetched_at: datetime
    schema_version: int
    rows: int
    daxa_version: str

    def as_dict(self) -> dict[str, object]:
        return {
            "mission": self.mission,
            "path": str(self.path),
            "source_url": self.source_url,
            "fetched_at": self.fetched_at.isoformat(),
            "schema_version": self.schema_version,
            "rows": self.rows,
            "daxa_version": self.daxa_version,
        }


def cache_path(mission: str | Mission, cache_dir: CacheDir = None) -> Path:
    """Where ``mission``'s table lives in the cache."""
    return _cache_dir(cache_dir) / f"{get_mission(mission).name}.parquet"


def _refresh_hint(mission: str) -> str:
    return f"run `daxa fetch {mission} --refresh` or daxa.cache.refresh({mission!r})"


def write(
    table: pl.DataFrame,
    mission: str | Mission,
    *,
    source_url: str,
    fetched_at: datetime | None = None,
    cache_dir: CacheDir = None,
) -> Path:
    """Validate ``table``, sort it by ``_healpix_29`` and write it atomically to the cache."""
    spec = get_mission(mission)
    validate(table, mission=spec.name)
    fetched_at = fetched_at or datetime.now(UTC)
    path = cache_path(spec, cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    from daxa import __version__

    ordered = table.select(
        [*STANDARD_COLUMNS, *sorted(c for c in table.columns if c not in STANDARD_COLUMNS)]
    ).sort("_healpix_29", "obs_id")
    meta = {
        "mission": spec.name,
        "source_url": source_url,
        "fetched_at": fetched_at.astimezone(UTC).isoformat(),
        "schema_version": SCHEMA_VERSION,
        "rows": ordered.height,
        "daxa_version": __version__,
    }
    arrow = ordered.to_arrow()
    arrow = arrow.replace_schema_metadata(
        {**(arrow.schema.metadata or {}), _META_KEY: json.dumps(meta).encode()}
    )
    with _lock(path):
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            pq.write_table(arrow, tmp_name, compression="zstd", row_group_size=ROW_GROUP_ROWS)
            os.replace(tmp_name, path)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
    return path


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    """Hold the writer lock of ``path``: one writer per cache file across processes."""
    lock = FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_S)
    try:
        lock.acquire()
    except Timeout:
        raise CacheError(
            f"another process has been writing {path} for over {LOCK_TIMEOUT_S:g} s; if none "
            f"is, delete {path}.lock"
        ) from None
    try:
        yield
    finally:
        lock.release()


def info(mission: str | Mission, cache_dir: CacheDir = None) -> CacheInfo:
    """The metadata of ``mission``'s cache file (raises CacheError when absent or unreadable)."""
    spec = get_mission(mission)
    path = cache_path(spec, cache_dir)
    if not path.exists():
        raise CacheError(
            f"{spec.name} is not cached in {path.parent}; run `daxa fetch {spec.name}` or "
            f"daxa.cache.load({spec.name!r})"
        )
    try:
        raw_meta = (pq.read_schema(path).metadata or {}).get(_META_KEY)
    except (pa.ArrowInvalid, OSError) as exc:
        raise CacheError(
            f"the cache file {path} is corrupt ({exc}); {_refresh_hint(spec.name)}"
        ) from None
    if raw_meta is None:
        raise CacheError(f"{path} was not written by daxa; {_refresh_hint(spec.name)}")
    meta = json.loads(raw_meta)
    return CacheInfo(
        mission=meta["mission"],
        path=path,
        source_url=meta["source_url"],
        fetched_at=datetime.fromisoformat(meta["fetched_at"]),
        schema_version=int(meta["schema_version"]),
        rows=int(meta["rows"]),
        daxa_version=meta["daxa_version"],
    )


def read(mission: str | Mission, cache_dir: CacheDir = None) -> pl.DataFrame:
    """Read ``mission``'s cached table, checking its schema version and schema."""
    meta = info(mission, cache_dir)
    if meta.schema_version != SCHEMA_VERSION:
        raise CacheError(
            f"{meta.path} holds schema version {meta.schema_version}, this daxa reads "
            f"{SCHEMA_VERSION}; {_refresh_hint(meta.mission)}"
        )
    try:
        table = pl.read_parquet(meta.path)
    except Exception as exc:
        raise CacheError(
            f"the cache file {meta.path} is corrupt ({exc}); {_refresh_hint(meta.mission)}"
        ) from None
    try:
        validate(table, mission=meta.mission)
    except SchemaError as exc:
        raise CacheError(f"{exc}; {_refresh_hint(meta.mission)}") from None
    if table.height != meta.rows:
        raise CacheError(
            f"{meta.path} has {table.height} rows but its metadata says {meta.rows}; "
            f"{_refresh_hint(meta.mission)}"
        )
    return table


def refresh(
    mission: str | Mission,
    cache_dir: CacheDir = None,
    *,
    session: ArchiveSession | None = None,
) -> pl.DataFrame:
    """Fetch ``mission`` from its archive now and replace the cached table."""
    from daxa.fetch import fetch_mission

    fetched = fetch_mission(mission, session=session)
    write(
        fetched.table,
        fetched.mission,
        source_url=fetched.source_url,
        fetched_at=fetched.fetched_at,
        cache_dir=cache_dir,
    )
    return read(fetched.mission, cache_dir)


def load(
    mission: str | Mission,
    cache_dir: CacheDir = None,
    *,
    session: ArchiveSession | None = None,
) -> pl.DataFrame:
    """``mission``'s table from the cache, fetching it first only when it is not cached."""
    if not cache_path(mission, cache_dir).exists():
        return refresh(mission, cache_dir, session=session)
    return read(mission, cache_dir)


def load_many(
    missions: str | Iterable[str] | None = None,
    cache_dir: CacheDir = None,
    *,
    session: ArchiveSession | None = None,
) -> dict[str, pl.DataFrame]:
    """Several missions' tables (``None`` or ``'all'`` means every mission)."""
    return {m.name: load(m, cache_dir, session=session) for m in resolve_missions(missions)}


def cached_missions(cache_dir: CacheDir = None) -> list[str]:
    """Names of the missions that have a cache file, in registry order."""
    return [m for m in mission_names() if cache_path(m, cache_dir).exists()]


__all__ = [
    "CacheInfo",
    "cache_path",
    "cached_missions",
    "info",
    "load",
    "load_many",
    "read",
    "refresh",
    "write",
]
