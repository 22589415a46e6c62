"""The Parquet cache: one file per mission, HEALPix-sorted, written atomically, verified on read.

Each file carries key-value metadata (source URL, the service it came from and whether that was
the synthetic emulator, fetch time, schema version, row count, daxa version, a hash of the whole
file; see :mod:`daxa.cache_file`). Writes go through :mod:`daxa.atomic` under a lock, so a crash,
a full disk or a second process never leaves a half-written table where a reader looks; a read
takes the file through one handle and checks its hash, page checksums, schema and row count.

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

import errno
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
from filelock import FileLock, Timeout

from daxa import cache_file
from daxa.atomic import TEMP_PREFIX, atomic_open, stale_temporaries
from daxa.config import cache_dir as _cache_dir
from daxa.errors import CacheError, RefreshRefused, SchemaError
from daxa.missions import Mission, get_mission, mission_names, resolve_missions
from daxa.provenance import check_source, redact_url
from daxa.schema import SCHEMA_VERSION, STANDARD_COLUMNS, validate
from daxa.services.http import ArchiveSession

CacheDir = str | os.PathLike[str] | None

#: Rows per Parquet row group: small enough for HEALPix-range pruning in DuckDB.
ROW_GROUP_ROWS = cache_file.ROW_GROUP_ROWS
LOCK_TIMEOUT_S = 600.0
#: A refresh that leaves fewer than this share of the cached rows is refused without ``force``.
SHRINK_LIMIT = 0.5


@dataclass(frozen=True)
class CacheInfo:
    """What a cache file says about itself.

    ``service`` and ``service_url`` name the service the table came from (None in files
    written before daxa recorded it); ``synthetic`` is True for tables from daxa's emulator.
    """

    mission: str
    path: Path
    source_url: str
    fetched_at: datetime
    schema_version: int
    rows: int
    daxa_version: str
    service: str | None = None
    service_url: str | None = None
    synthetic: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "mission": self.mission,
            "path": str(self.path),
            "source_url": self.source_url,
            "fetched_at": self.fetched_at.isoformat(),
            "schema_version": self.schema_version,
            "rows": self.rows,
            "daxa_version": self.daxa_version,
            "service": self.service,
            "service_url": self.service_url,
            "synthetic": self.synthetic,
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
    service: str | None = None,
    service_url: str | None = None,
    synthetic: bool = False,
) -> Path:
    """Validate ``table``, sort it by ``_healpix_29`` and write it atomically to the cache.

    ``service``/``service_url``/``synthetic`` record where the table came from (credentials in
    URLs are dropped). A failed write (disk full...) raises CacheError and keeps the old table.
    """
    spec = get_mission(mission)
    validate(table, mission=spec.name, exposure_columns=spec.exposure_columns)
    fetched_at = fetched_at or datetime.now(UTC)
    path = cache_path(spec, cache_dir)
    from daxa._version import __version__

    ordered = table.select(
        [*STANDARD_COLUMNS, *sorted(c for c in table.columns if c not in STANDARD_COLUMNS)]
    ).sort("_healpix_29", "obs_id")
    meta = {
        "mission": spec.name,
        "source_url": redact_url(source_url),
        "fetched_at": fetched_at.astimezone(UTC).isoformat(),
        "schema_version": SCHEMA_VERSION,
        "rows": ordered.height,
        "daxa_version": __version__,
        "service": service,
        "service_url": redact_url(service_url),
        "synthetic": bool(synthetic),
    }
    blob = cache_file.encode(ordered.to_arrow(), meta)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock(path):
            _remove_stale_temporaries(path)
            with atomic_open(path, "wb") as handle:
                _store(handle, blob)
    except OSError as exc:
        reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise CacheError(
            f"could not write the {spec.name} table to the cache folder {path.parent}: "
            f"{reason}; the previous table (if any) is unchanged. Free space or choose another "
            "folder (DAXA_CACHE_DIR)"
        ) from None
    return path


def _store(handle: Any, blob: bytes) -> None:
    """Write the file's bytes (the one place a cache write touches the disk)."""
    handle.write(blob)


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files of earlier writes of ``path`` that were killed (lock held)."""
    stale = [
        p for p in stale_temporaries(path.parent) if p.name.startswith(TEMP_PREFIX + path.name)
    ]
    stale += list(path.parent.glob(f".{path.stem}.*.tmp"))  # the name earlier daxa used
    for leftover in stale:
        with suppress(OSError):
            leftover.unlink()


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


def _not_cached(spec: Mission, path: Path) -> CacheError:
    return CacheError(
        f"{spec.name} is not cached in {path.parent}; run `daxa fetch {spec.name}` or "
        f"daxa.cache.load({spec.name!r})"
    )


def info(mission: str | Mission, cache_dir: CacheDir = None) -> CacheInfo:
    """The metadata of ``mission``'s cache file (raises CacheError when absent or unreadable).

    Reads only the footer; :func:`read` checks the whole file.
    """
    spec = get_mission(mission)
    path = cache_path(spec, cache_dir)
    try:
        with open(path, "rb") as handle:
            meta = cache_file.read_meta(handle, str(path))
    except FileNotFoundError:
        raise _not_cached(spec, path) from None
    except OSError as exc:
        raise CacheError(f"cannot read the cache file {path}: {exc.strerror}") from None
    except CacheError as exc:
        raise CacheError(f"{exc}; {_refresh_hint(spec.name)}") from None
    return _info_from_meta(meta, path, spec)


def _field(meta: dict[str, Any], name: str, kind: type | tuple[type, ...], path: Path) -> Any:
    value = meta.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise CacheError(
            f"the metadata of {path} has a bad {name!r} field ({value!r:.60}); the file is "
            f"damaged or not daxa's"
        )
    return value


def _info_from_meta(meta: dict[str, Any], path: Path, spec: Mission) -> CacheInfo:
    """Check every metadata field's type and value; CacheError names the first bad one."""
    hint = _refresh_hint(spec.name)
    try:
        mission = _field(meta, "mission", str, path)
        if mission != spec.name:
            raise CacheError(f"the metadata of {path} has 'mission' {mission!r}, not {spec.name!r}")
        stamp = _field(meta, "fetched_at", str, path)
        try:
            fetched_at = datetime.fromisoformat(stamp)
        except ValueError:
            raise CacheError(
                f"the metadata of {path} has a bad 'fetched_at' ({stamp!r:.40})"
            ) from None
        rows = _field(meta, "rows", int, path)
        if rows < 0:
            raise CacheError(f"the metadata of {path} has a negative 'rows' ({rows})")
        service = meta.get("service")
        return CacheInfo(
            mission=mission,
            path=path,
            source_url=_field(meta, "source_url", str, path),
            fetched_at=fetched_at,
            schema_version=_field(meta, "schema_version", int, path),
            rows=rows,
            daxa_version=_field(meta, "daxa_version", str, path),
            service=None if service is None else _field(meta, "service", str, path),
            service_url=_field(meta, "service_url", (str, type(None)), path),
            synthetic=_field(meta, "synthetic", bool, path) if "synthetic" in meta else False,
        )
    except CacheError as exc:
        raise CacheError(f"{exc}; {hint}") from None


def read(
    mission: str | Mission, cache_dir: CacheDir = None, *, verify_pages: bool = False
) -> pl.DataFrame:
    """Read ``mission``'s cached table: one handle, whole-file hash, schema, row count.

    ``verify_pages=True`` also checks every Parquet page checksum (slower; the hash already
    catches any changed byte).

    Warns (:class:`~daxa.errors.ProvenanceWarning`) when the table came from another service
    than the one configured now.
    """
    spec = get_mission(mission)
    path = cache_path(spec, cache_dir)
    try:
        with open(path, "rb") as handle:
            blob = handle.read()
    except FileNotFoundError:
        raise _not_cached(spec, path) from None
    except OSError as exc:
        raise CacheError(f"cannot read the cache file {path}: {exc.strerror}") from None
    hint = _refresh_hint(spec.name)
    label = str(path)
    try:
        parquet, meta_dict = cache_file.open_footer(blob, label, verify_pages=verify_pages)
        meta = _info_from_meta(meta_dict, path, spec)  # a bad field is named before the hash
        if meta.schema_version != SCHEMA_VERSION:
            raise CacheError(
                f"{path} holds schema version {meta.schema_version}, this daxa reads "
                f"{SCHEMA_VERSION}"
            )
        cache_file.check_hash(blob, meta_dict, label)
        table = cache_file.to_frame(parquet, blob, label, verify_pages=verify_pages)
    except CacheError as exc:
        raise CacheError(f"{exc}" if hint in str(exc) else f"{exc}; {hint}") from None
    try:
        validate(table, mission=spec.name, exposure_columns=spec.exposure_columns)
    except SchemaError as exc:
        raise CacheError(f"{exc}; {hint}") from None
    if table.height != meta.rows:
        raise CacheError(
            f"{path} has {table.height} rows but its metadata says {meta.rows}; {hint}"
        )
    check_source(meta.path, meta.mission, meta.service, meta.service_url, meta.synthetic)
    return table


def refresh(
    mission: str | Mission,
    cache_dir: CacheDir = None,
    *,
    session: ArchiveSession | None = None,
    force: bool = False,
) -> pl.DataFrame:
    """Fetch ``mission`` from its archive now and replace the cached table.

    A fetched table with no rows, or with fewer than :data:`SHRINK_LIMIT` of the cached rows,
    is refused (:class:`~daxa.errors.RefreshRefused`, both counts in the message) and the
    cached table kept: archives lose rows only by accident. ``force=True`` accepts it.
    """
    from daxa.fetch import fetch_mission

    fetched = fetch_mission(mission, session=session)
    if not force:
        check_shrink(fetched.mission, fetched.table.height, cache_dir)
    write(
        fetched.table,
        fetched.mission,
        source_url=fetched.source_url,
        fetched_at=fetched.fetched_at,
        cache_dir=cache_dir,
        service=fetched.service,
        service_url=fetched.service_url,
        synthetic=fetched.synthetic,
    )
    return read(fetched.mission, cache_dir)


def check_shrink(mission: str | Mission, new_rows: int, cache_dir: CacheDir = None) -> None:
    """Raise RefreshRefused when ``new_rows`` would replace a much larger cached table."""
    spec = get_mission(mission)
    try:
        old_rows = info(spec, cache_dir).rows
    except CacheError:
        return  # nothing (readable) cached: nothing to protect
    if old_rows == 0 or (new_rows > 0 and new_rows >= SHRINK_LIMIT * old_rows):
        return
    why = "no rows" if new_rows == 0 else f"fewer than {SHRINK_LIMIT:.0%} of the cached rows"
    raise RefreshRefused(
        f"kept the cached {spec.name} table ({old_rows:,} rows): the archive answered with "
        f"{new_rows:,} rows ({why}), which looks like a cut-short or failing answer. Try again "
        f"later; to accept it, run `daxa fetch {spec.name} --refresh --force` or "
        f"daxa.cache.refresh({spec.name!r}, force=True)",
        old_rows=old_rows,
        new_rows=new_rows,
    )


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
    "SHRINK_LIMIT",
    "CacheInfo",
    "cache_path",
    "cached_missions",
    "check_shrink",
    "check_source",
    "info",
    "load",
    "load_many",
    "read",
    "redact_url",
    "refresh",
    "write",
]
