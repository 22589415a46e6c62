"""The Parquet cache: atomic writes, metadata, schema checks, clear errors."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from daxa import cache, cache_file
from daxa.errors import CacheError, SchemaError
from daxa.schema import SCHEMA_VERSION
from daxa.sky.healpix import healpix_index


def make_table(n: int = 50, seed: int = 1, mission: str = "swift") -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    start = datetime(2010, 1, 1, tzinfo=UTC) + timedelta(days=1)
    starts = pl.datetime_range(
        start, start + timedelta(days=n - 1), "1d", eager=True, time_zone="UTC"
    )
    return pl.DataFrame(
        {
            "mission": [mission] * n,
            "obs_id": [f"{i:011d}" for i in range(n)],
            "ra": ra,
            "dec": dec,
            "start": starts,
            "end": starts + timedelta(hours=2),
            "duration": [timedelta(hours=2)] * n,
            "exposure": rng.uniform(0, 5000, n),
            "science_usable": [True] * n,
            "proprietary_end": starts,
            "public": [True] * n,
            "target_category": ["MISC"] * n,
            "target_name": [f"T{i}" for i in range(n)],
            "instrument": pl.Series([None] * n, dtype=pl.String),
            "_healpix_29": healpix_index(ra, dec),
            "exposure_xrt": rng.uniform(0, 5000, n),
        }
    ).with_columns(pl.col("start", "end", "proprietary_end").dt.cast_time_unit("us"))


def test_write_read_round_trip_sorted_with_metadata(tmp_path):
    table = make_table()
    when = datetime(2025, 2, 3, 12, 0, tzinfo=UTC)
    path = cache.write(
        table, "swift", source_url="http://x/sync", fetched_at=when, cache_dir=tmp_path
    )
    assert path == tmp_path / "swift.parquet"
    back = cache.read("swift", cache_dir=tmp_path)
    assert back.height == 50
    assert back["_healpix_29"].is_sorted()
    assert sorted(back["obs_id"]) == sorted(table["obs_id"])
    info = cache.info("swift", cache_dir=tmp_path)
    assert (info.rows, info.source_url, info.fetched_at, info.schema_version) == (
        50,
        "http://x/sync",
        when,
        SCHEMA_VERSION,
    )
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
    assert cache.cached_missions(tmp_path) == ["swift"]


def test_write_refuses_invalid_table_and_keeps_old_file(tmp_path):
    cache.write(make_table(), "swift", source_url="first", cache_dir=tmp_path)
    with pytest.raises(SchemaError, match="missing column 'ra'"):
        cache.write(make_table().drop("ra"), "swift", source_url="second", cache_dir=tmp_path)
    assert cache.info("swift", cache_dir=tmp_path).source_url == "first"
    assert [p.name for p in tmp_path.iterdir() if p.suffix != ".lock"] == ["swift.parquet"]


def test_disk_full_mid_write_is_our_error_and_keeps_the_old_table(tmp_path, monkeypatch):
    cache.write(make_table(10), "swift", source_url="first", cache_dir=tmp_path)

    def disk_full(handle, blob):
        handle.write(blob[: len(blob) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(cache, "_store", disk_full)
    with pytest.raises(CacheError, match=rf"cache folder {tmp_path}: the disk is full.*unchanged"):
        cache.write(make_table(20), "swift", source_url="second", cache_dir=tmp_path)
    monkeypatch.undo()
    assert cache.read("swift", cache_dir=tmp_path).height == 10
    assert cache.info("swift", cache_dir=tmp_path).source_url == "first"
    leftovers = [
        p.name for p in tmp_path.iterdir() if p.name not in ("swift.parquet", "swift.parquet.lock")
    ]
    assert leftovers == []


def test_corrupt_file_says_how_to_refresh(tmp_path):
    (tmp_path / "chandra.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(CacheError, match=r"corrupt.*daxa fetch chandra --refresh"):
        cache.read("chandra", cache_dir=tmp_path)


def test_older_schema_version_is_refused(tmp_path):
    path = cache.write(make_table(5), "swift", source_url="s", cache_dir=tmp_path)
    meta = json.loads(pq.ParquetFile(path).metadata.metadata[b"daxa"])
    meta["schema_version"] = SCHEMA_VERSION - 1
    path.write_bytes(cache_file.encode(pq.read_table(path), meta))
    with pytest.raises(CacheError, match=rf"schema version {SCHEMA_VERSION - 1}.*refresh"):
        cache.read("swift", cache_dir=tmp_path)


def test_missing_mission_names_the_fix(tmp_path):
    with pytest.raises(CacheError, match="not cached.*daxa fetch nustar_pointed"):
        cache.info("nustar_pointed", cache_dir=tmp_path)


def test_cache_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DAXA_CACHE_DIR", str(tmp_path / "elsewhere"))
    path = cache.write(make_table(3), "swift", source_url="s")
    assert path == tmp_path / "elsewhere" / "swift.parquet"


def _write_in_child(folder: str, n: int) -> None:
    cache.write(make_table(n, seed=n), "swift", source_url=f"child{n}", cache_dir=folder)


def test_concurrent_writers_never_interleave(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_in_child, args=(str(tmp_path), n)) for n in (30, 40, 50)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    info = cache.info("swift", cache_dir=tmp_path)
    back = cache.read("swift", cache_dir=tmp_path)
    assert back.height == info.rows == int(info.source_url.removeprefix("child"))
    assert not [p for p in os.listdir(tmp_path) if p.endswith((".tmp", ".part"))]
