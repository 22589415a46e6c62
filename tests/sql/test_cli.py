"""``daxa sql`` on the command line: printed tables, CSV/Parquet/JSON output, errors."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from daxa import cache
from daxa.sql import cli_main, register_cli

from ._tables import SMALL_MISSIONS

COUNTS = "SELECT mission, count(*) AS n FROM observations GROUP BY mission ORDER BY mission"


def test_prints_a_readable_table(small_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main([COUNTS, "--cache-dir", str(small_cache)]) == 0
    out = capsys.readouterr().out
    for mission, n in SMALL_MISSIONS.items():
        assert mission in out and str(n) in out
    assert out.rstrip().endswith(f"{len(SMALL_MISSIONS)} rows")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_writes_files_by_suffix(small_cache: Path, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"out{suffix}"
    assert cli_main([COUNTS, "--cache-dir", str(small_cache), "-o", str(target)]) == 0
    read = {".csv": pl.read_csv, ".parquet": pl.read_parquet, ".json": pl.read_json}[suffix]
    got = read(target)
    assert dict(got.iter_rows()) == SMALL_MISSIONS


@pytest.mark.parametrize("fmt", ["votable", "fits"])
def test_vo_formats_carry_units_and_times(small_cache: Path, tmp_path: Path, fmt: str) -> None:
    from astropy.table import QTable

    query = "SELECT obs_id, ra, start, exposure FROM chandra ORDER BY obs_id LIMIT 3"
    target = tmp_path / ("out.vot" if fmt == "votable" else "out.fits")
    assert cli_main([query, "--cache-dir", str(small_cache), "-o", str(target)]) == 0
    table = QTable.read(target, **({"astropy_native": True} if fmt == "fits" else {}))
    expected = cache.read("chandra", small_cache).sort("obs_id").head(3)
    assert list(table["obs_id"]) == expected["obs_id"].to_list()
    assert str(table["ra"].unit) == "deg" and str(table["exposure"].unit) == "s"
    from astropy.time import Time

    start = table["start"]
    if fmt == "votable":  # MJD (UTC) doubles referring to the file's TIMESYS
        start = Time(start.to_value("d"), format="mjd", scale="utc")
    want = Time(expected["start"].dt.replace_time_zone(None).to_list(), scale="utc")
    assert abs((start - want).to_value("s")).max() < 1e-3


def test_csv_to_stdout_flattens_lists(
    small_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "SELECT obs_id, ['a', 'b'] AS l FROM chandra ORDER BY obs_id LIMIT 2"
    assert cli_main([query, "--cache-dir", str(small_cache), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["obs_id,l", '00001,"a,b"', '00002,"a,b"']  # as every CSV daxa writes


def test_table_option_and_query_file(
    small_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chandra = cache.read("chandra", small_cache).sort("obs_id").head(2)
    chandra.select("obs_id", "ra", "dec").write_csv(tmp_path / "targets.csv")
    query = tmp_path / "q.sql"
    query.write_text(
        "SELECT t.obs_id AS target, count(*) AS n FROM targets t JOIN chandra o "
        "ON in_cone(o.ra, o.dec, t.ra, t.dec, 0.0) GROUP BY 1 ORDER BY 1"
    )
    args = ["--cache-dir", str(small_cache), "--table", f"targets={tmp_path / 'targets.csv'}"]
    assert cli_main([*args, "-f", str(query), "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    # obs_id is read back from CSV as an integer: each target matches its own observation
    assert out == ["target,n", "1,1", "2,1"]


def test_views_listing(small_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--views", "--cache-dir", str(small_cache)]) == 0
    out = capsys.readouterr().out
    assert "cached in" in out and "Not cached" in out
    for name in (*SMALL_MISSIONS, "observations", "cached_missions"):
        assert name in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["SELEC 1"], "Parser Error"),
        (["SELECT 1", "-o", "x.xlsx"], "cannot tell the format"),
        (["SELECT 1", "--format", "parquet"], "Parquet output needs a file"),
        ([], "no query given"),
        (["SELECT 1", "--table", "bad"], "NAME=FILE"),
        (["SELECT 1", "--table", "t=/nonexistent.csv"], "no such file"),
    ],
)
def test_errors_exit_1(
    small_cache: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert cli_main([*argv, "--cache-dir", str(small_cache)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_register_cli_adds_the_subcommand(
    small_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="daxa")
    register_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sql", "SELECT 42 AS answer", "--cache-dir", str(small_cache)])
    assert args.func(args) == 0
    assert "42" in capsys.readouterr().out


def test_daxa_command(small_cache: Path, tmp_path: Path) -> None:
    """The installed ``daxa`` command, as a user runs it."""
    target = tmp_path / "counts.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "daxa",
            "sql",
            COUNTS,
            "--cache-dir",
            str(small_cache),
            "-o",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert dict(pl.read_csv(target).iter_rows()) == SMALL_MISSIONS
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "daxa",
            "sql",
            "SELECT nope FROM chandra",
            "--cache-dir",
            str(small_cache),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert "Binder Error" in bad.stderr and "Traceback" not in bad.stderr
