"""``daxa demo`` as a user runs it: offline, every step, readable output, files on disk."""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

import polars as pl
import pytest

from daxa.missions import mission_names

from .helpers import daxa

PNG = b"\x89PNG\r\n\x1a\n"


def _closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    """One small-sized demo run, with every archive setting pointing at a dead address: the
    demo must not need any of them (it talks only to its own emulator)."""
    out = tmp_path_factory.mktemp("demo") / "demo_output"
    dead = _closed_url()
    result = daxa(
        "demo",
        "--sizes",
        "small",
        "--output-dir",
        str(out),
        mirror=dead,
        env={"DAXA_URL_SESAME": dead, "DAXA_URL_HEASARC_TAP": dead},
        timeout=300,
    )
    return result, out


def test_demo_runs_every_step_and_says_it_is_the_emulator(demo) -> None:
    result, out = demo
    assert result.code == 0, result.err
    text = result.out
    url = re.search(r"local emulator at (http://127\.0\.0\.1:\d+)", text)
    assert url and "GENERATED" in text
    for n in range(1, 8):
        assert re.search(rf"^== {n}\. ", text, re.M), f"step {n} missing"
    assert "same thing yourself:" in text
    assert "against the real archives" in text
    assert "daxa fetch all" in text.split("Done in", 1)[1]
    assert "Traceback" not in result.err


def test_demo_fetch_table_matches_the_cache_it_wrote(demo) -> None:
    result, out = demo
    cache = out / "cache"
    for name in mission_names():
        rows = pl.read_parquet(cache / f"{name}.parquet").height
        assert re.search(rf"^{name}\s+{rows:,}\s", result.out, re.M), name
    total = sum(pl.read_parquet(cache / f"{m}.parquet").height for m in mission_names())
    assert f"{total:,} observations of 12 missions cached" in result.out


def test_demo_results_and_plots_are_on_disk(demo) -> None:
    _, out = demo
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == [
        "exposure_per_year.png",
        "field_crab.png",
        "field_sn1987a.png",
        "sky_missions.png",
        "sky_sn_ia.png",
        "sn_ia_days_since_discovery.png",
        "timeline_missions.png",
    ]
    for name in pngs:
        data = (out / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000, name
    named = pl.read_csv(out / "named_objects.csv", schema_overrides={"obs_id": pl.String})
    assert set(named["name"]) <= {"Crab", "M87", "Cas A", "Coma Cluster", "Eta Car", "SN 1987A"}
    # the SQL answer is what the query gives over the demo's cache, read independently
    import duckdb

    sql = (out / "galactic_centre.sql").read_text()
    assert "in_cone" in sql
    answer = pl.read_csv(out / "sql_galactic_centre.csv")
    (direct,) = duckdb.sql(
        f"""SELECT count(*) FROM read_parquet('{out / "cache"}/*.parquet', union_by_name=true)
        WHERE degrees(acos(least(1, sin(radians(dec)) * sin(radians(-29.00781))
              + cos(radians(dec)) * cos(radians(-29.00781)) * cos(radians(ra - 266.41684)))))
              <= 0.5"""
    ).fetchall()
    assert direct[0] > 0
    assert int(answer["observations"].sum()) == direct[0]
    # downloads: two Chandra ObsIDs, complete
    chandra = [p for p in (out / "downloads" / "chandra").iterdir() if p.is_dir()]
    assert len(chandra) == 2
    assert all(any(f.is_file() for f in d.rglob("*")) for d in chandra)


def test_demo_twice_starts_from_a_fresh_cache(tmp_path: Path) -> None:
    out = tmp_path / "o"
    (out / "cache").mkdir(parents=True)
    (out / "cache" / "swift.parquet").write_bytes(b"not a parquet file")
    result = daxa("demo", "--sizes", "small", "--no-plots", "--output-dir", str(out), timeout=300)
    assert result.code == 0, result.err
    assert pl.read_parquet(out / "cache" / "swift.parquet").height > 0
    assert not list(out.glob("*.png"))


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("DAXA_DEMO_REAL") != "1",
    reason="the real-size demo takes ~20-60 s; set DAXA_DEMO_REAL=1 to run it",
)
def test_real_size_demo_finishes_in_under_two_minutes(tmp_path: Path) -> None:
    start = time.perf_counter()
    result = daxa("demo", "--output-dir", str(tmp_path / "out"), timeout=300)
    elapsed = time.perf_counter() - start
    assert result.code == 0, result.err
    assert "373,182" in result.out  # Swift at its real size
    assert elapsed < 120, f"daxa demo took {elapsed:.0f} s"
