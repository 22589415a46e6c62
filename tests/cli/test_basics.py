"""The ``daxa`` command's framework and its table subcommands, driven as a subprocess:
help texts, missions, fetch, info, serve, and the one-line errors for bad input."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
import requests

from daxa.cli import build_parser
from daxa.missions import mission_names

from .helpers import REPO, daxa


def _closed_port() -> int:
    """A local port nothing listens on (bound once, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    first: dict[int, str] = {}
    for name, sub in action.choices.items():  # type: ignore[union-attr]
        first.setdefault(id(sub), name)  # aliases share their parser
    return sorted(first.values())


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_help_shows_an_example(command: str, capsys) -> None:
    from daxa.cli import main

    assert main([command, "--help"]) == 0  # in-process: the same parser, without a start-up
    out = capsys.readouterr().out
    assert f"usage: daxa {command}" in out
    example = re.split(r"^examples?:$", out, maxsplit=1, flags=re.M)[1]
    assert "daxa " in example
    assert "--cache-dir" in out  # the common options are there too


def test_top_level_help_lists_the_subcommands() -> None:
    result = daxa("--help")
    assert result.code == 0
    for command in (
        "missions",
        "fetch",
        "info",
        "select",
        "sql",
        "match",
        "download",
        "serve",
        "demo",
    ):
        assert re.search(rf"^\s+{command}\b", result.out, re.M), command


def test_no_command_prints_help_and_succeeds() -> None:
    result = daxa()
    assert result.code == 0
    assert "usage: daxa" in result.out


def test_missions_lists_all_twelve_uncached(cache_dir: Path) -> None:
    result = daxa("missions", cache_dir=cache_dir)
    assert result.code == 0, result.err
    for name in mission_names():
        assert re.search(rf"^{name}\s", result.out, re.M), name
    assert f"0 of {len(mission_names())} missions cached in {cache_dir}" in result.out
    # FoVs from DESIGN §3, shown in their natural unit
    assert re.search(r"^xmm_pointed\s.*\s15′", result.out, re.M)
    assert re.search(r"^swift\s.*XRT 11\.8′, BAT 50°", result.out, re.M)


def test_fetch_then_missions_and_info_agree_with_the_cache_files(emulator, cache_dir) -> None:
    fetched = daxa("fetch", "chandra", "nustar_pointed", cache_dir=cache_dir, mirror=emulator.url)
    assert fetched.code == 0, fetched.err
    tables = {m: pl.read_parquet(cache_dir / f"{m}.parquet") for m in ("chandra", "nustar_pointed")}
    for name, table in tables.items():
        assert table.height > 0
        assert re.search(rf"^{name}\s+fetched\s+{table.height:,}\s", fetched.out, re.M)
    assert f"{sum(t.height for t in tables.values()):,} observations cached" in fetched.out

    listed = daxa("missions", "--cached", cache_dir=cache_dir)
    assert listed.code == 0
    rows = [line for line in listed.out.splitlines() if re.match(r"^[a-z_]+\s", line)]
    assert [r.split()[0] for r in rows[1:]] == ["chandra", "nustar_pointed"]
    assert f"{tables['chandra'].height:,}" in rows[1]

    # a second fetch uses the cache: no request reaches the emulator
    before = emulator.requests("/heasarc_tap")
    again = daxa("fetch", "chandra", cache_dir=cache_dir, mirror=emulator.url)
    assert again.code == 0
    assert re.search(r"^chandra\s+cached\s", again.out, re.M)
    assert emulator.requests("/heasarc_tap") == before

    info = daxa("info", "chandra", "--head", "3", cache_dir=cache_dir)
    assert info.code == 0, info.err
    chandra = tables["chandra"]
    usable = int(chandra["science_usable"].sum())
    assert f"rows          {chandra.height:,}" in info.out
    assert f"usable        {usable:,} ({usable / chandra.height:.0%})" in info.out
    first, last = chandra["start"].min(), chandra["end"].max()
    assert f"time span     {first:%Y-%m-%d} to {last:%Y-%m-%d}" in info.out
    acis = int((chandra["instrument"] == "ACIS").sum())
    assert f"ACIS {acis:,}" in info.out
    assert chandra["obs_id"][0] in info.out  # --head prints rows


def test_fetch_refresh_goes_back_to_the_archive(emulator, cache_dir) -> None:
    assert daxa("fetch", "asca", cache_dir=cache_dir, mirror=emulator.url).code == 0
    stamp = (cache_dir / "asca.parquet").stat().st_mtime_ns
    before = emulator.requests("/heasarc_tap")
    result = daxa("fetch", "asca", "--refresh", cache_dir=cache_dir, mirror=emulator.url)
    assert result.code == 0, result.err
    assert re.search(r"^asca\s+fetched\s", result.out, re.M)
    assert emulator.requests("/heasarc_tap") > before
    assert (cache_dir / "asca.parquet").stat().st_mtime_ns != stamp


def test_unknown_mission_is_one_line_and_exit_1(cache_dir: Path) -> None:
    for args in (("info", "xmmm"), ("fetch", "chandra", "hubble")):
        result = daxa(*args, cache_dir=cache_dir)
        assert result.code == 1
        assert result.err.strip().count("\n") == 0, result.err
        assert result.error_lines[0].startswith("error: unknown mission")
        assert "choose one of: xmm_pointed" in result.err
        assert "Traceback" not in result.err


def test_unreachable_service_is_a_clear_error(cache_dir: Path) -> None:
    mirror = f"http://127.0.0.1:{_closed_port()}"
    result = daxa("fetch", "chandra", "--retries", "0", cache_dir=cache_dir, mirror=mirror)
    assert result.code == 1
    assert "Traceback" not in result.err
    (line,) = result.error_lines
    assert "could not be reached" in line or "connection failed" in line
    assert mirror in line
    assert not (cache_dir / "chandra.parquet").exists()


def test_info_on_uncached_mission_with_archive_down_fails_cleanly(cache_dir: Path) -> None:
    mirror = f"http://127.0.0.1:{_closed_port()}"
    start = time.perf_counter()
    result = daxa("info", "suzaku", cache_dir=cache_dir, mirror=mirror, timeout=60)
    assert result.code == 1
    assert "Traceback" not in result.err
    assert result.error_lines and "suzamaster" in result.error_lines[-1]
    assert time.perf_counter() - start < 60


def test_traceback_flag_shows_where(cache_dir: Path) -> None:
    result = daxa("info", "nope", "--traceback", cache_dir=cache_dir)
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.err
    assert result.err.rstrip().splitlines()[-1].startswith("error: unknown mission")


def test_usage_errors_are_one_line(cache_dir: Path) -> None:
    for args in (("frobnicate",), ("fetch",), ("fetch", "chandra", "--retries", "many")):
        result = daxa(*args, cache_dir=cache_dir)
        assert result.code == 1, args
        assert len(result.err.strip().splitlines()) == 1, result.err
        assert result.err.startswith("error: ")
        assert "--help" in result.err


def test_common_options_work_before_and_after_the_subcommand(tmp_path: Path) -> None:
    a = daxa("--cache-dir", str(tmp_path / "a"), "missions")
    b = daxa("missions", "--cache-dir", str(tmp_path / "b"))
    assert f"cached in {tmp_path / 'a'}" in a.out
    assert f"cached in {tmp_path / 'b'}" in b.out


def test_serve_runs_an_emulator_daxa_can_fetch_from(tmp_path: Path) -> None:
    url_file = tmp_path / "url"
    proc = subprocess.Popen(
        [sys.executable, "-m", "daxa", "serve", "--port", "0", "--url-file", str(url_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 30
        while not url_file.exists() or not url_file.read_text().strip():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.1)
        url = url_file.read_text().strip()
        assert requests.get(f"{url}/_emulator/health", timeout=10).json()["ok"] is True
        result = daxa("fetch", "xrism_pointed", cache_dir=tmp_path / "c", mirror=url)
        assert result.code == 0, result.err
        assert (tmp_path / "c" / "xrism_pointed.parquet").exists()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert f"export DAXA_MIRROR={url}" in out


def test_serve_on_a_busy_port_says_so(emulator) -> None:
    result = daxa("serve", "--port", str(emulator.port))
    assert result.code == 1
    assert result.error_lines == [
        f"error: port {emulator.port} on 127.0.0.1 is in use; choose another with --port "
        "(--port 0 takes any free one)"
    ]
