"""``daxa doctor`` against the emulator: a clean bill of health, then injected drift."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest

import daxa
from daxa.cli import main
from daxa.services import ArchiveSession
from daxa.testing import ArchiveEmulator, emulated_archives


@pytest.fixture(scope="module")
def emu() -> Iterator[ArchiveEmulator]:
    with emulated_archives(seed=11) as emulator:
        yield emulator


@pytest.fixture()
def session() -> Iterator[ArchiveSession]:
    with ArchiveSession(retries=0, backoff=0.01) as s:
        yield s


def test_healthy_emulator_gives_a_clean_report(emu, session) -> None:
    report = daxa.doctor(session=session)
    table = report.table
    assert report.ok and report.problems.height == 0
    # every table source of every mission, the XMM fallback included
    assert table.height == len(daxa.mission_names()) + 1
    assert table["reachable"].all()
    assert (table["url"].str.starts_with(emu.url)).all()
    assert (table["missing"] == "").all() and (table["retyped"] == "").all()
    # rows are the COUNT(*) of what the emulator serves
    chandra = table.filter(pl.col("table") == "chanmaster").row(0, named=True)
    assert chandra["rows"] == emu.table("chanmaster").height
    assert chandra["columns"] == emu.table("chanmaster").width
    intscw = table.filter(pl.col("table") == "intscwpub").row(0, named=True)
    assert intscw["optional"] == "scw_type" and intscw["action"].startswith("ok")


def test_drift_and_outage_are_named(emu, session) -> None:
    emu.faults.drop_column("chanmaster", "exposure")
    emu.faults.rename_column("numaster", "obsid", "OBSID")
    emu.faults.retype_column("numaster", "exposure_a")
    emu.faults.unreachable("/xsa_tap")
    try:
        report = daxa.doctor(["chandra", "nustar_pointed", "xmm_pointed"], session=session)
    finally:
        emu.faults.reset()
    rows = {r["table"]: r for r in report.table.iter_rows(named=True)}
    assert not report.ok
    assert rows["chanmaster"]["missing"] == "exposure"
    assert "fetching will fail" in rows["chanmaster"]["action"]
    assert rows["numaster"]["renamed"] == "obsid→OBSID" and rows["numaster"]["missing"] == ""
    assert rows["numaster"]["retyped"] == "exposure_a (number→text)"
    assert rows["v_all_observations"]["reachable"] is False
    assert "unreachable" in rows["v_all_observations"]["action"]
    assert rows["xmmmaster"]["reachable"] is True  # the fallback still answers
    assert set(report.problems["table"]) == {"chanmaster", "v_all_observations"}


def test_doctor_command_prints_the_table_and_exits_non_zero_on_drift(emu, capsys) -> None:
    # in process (the subprocess form of every command is covered in tests/cli)
    code = main(["doctor", "--missions", "suzaku,asca", "--mirror", emu.url])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "suzamaster" in out and "ascamaster" in out
    assert "every service answered" in out
    emu.faults.drop_column("suzamaster", "xis0_expo")
    try:
        code = main(["doctor", "--missions", "suzaku", "--mirror", emu.url])
    finally:
        emu.faults.reset()
    out = capsys.readouterr().out
    assert code == 1
    assert "xis0_expo" in out and "need attention" in out


def test_urls_are_printed_without_credentials() -> None:
    from daxa.doctor import public_url

    assert public_url("https://me:pw@mirror.example:8443/tap") == "https://mirror.example:8443/tap"
    assert (
        public_url("https://heasarc.gsfc.nasa.gov/xamin") == "https://heasarc.gsfc.nasa.gov/xamin"
    )
