"""A footprint search's ``s_region`` survives FITS, VOTable and CSV: the same STC-S strings
read back by astropy (and polars), with the ObsCore UCD and a description."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from astropy.table import Table

from daxa.filters._examples import observation_table
from daxa.outputs import to_astropy, write_table
from daxa.search import search

UCD = "pos.outline;obs.field"


@pytest.fixture(scope="module")
def found() -> pl.DataFrame:
    tables = {
        "xmm_pointed": observation_table("xmm_pointed", [0.0], [0.0]),
        "swift": observation_table(
            "swift", [0.0], [0.0], exposure_xrt=[1.0], exposure_bat=[0.0], roll_angle=[0.0]
        ),
    }
    result = search([[5 / 60, 0.0], [11 / 60, 11 / 60]], tables=tables, coverage="footprint")
    kinds = {s.split()[0] for s in result["s_region"].to_list()}
    assert kinds == {"CIRCLE", "POLYGON"}  # XMM's EPIC circle and XRT's square at roll 0
    return result


@pytest.mark.parametrize("suffix", [".fits", ".vot"])
def test_s_region_read_back_with_its_ucd(found: pl.DataFrame, tmp_path: Path, suffix: str):
    path = write_table(found, tmp_path / f"found{suffix}")
    table = Table.read(path)
    column = table["s_region"]
    assert column.dtype.kind in "US"
    got = [v.decode() if isinstance(v, bytes) else str(v) for v in column]
    assert got == found["s_region"].to_list()
    assert column.meta["ucd"] == UCD
    assert "STC-S" in " ".join(str(column.description).split())


def test_s_region_in_csv_and_astropy(found: pl.DataFrame, tmp_path: Path):
    path = write_table(found, tmp_path / "found.csv")
    assert pl.read_csv(path)["s_region"].to_list() == found["s_region"].to_list()
    table = to_astropy(found)
    assert list(table["s_region"]) == found["s_region"].to_list()
    assert table["s_region"].meta["ucd"] == UCD
