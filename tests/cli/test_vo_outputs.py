"""The CLI's VO outputs: VOTable/FITS files, a coverage MOC and SAMP, as TOPCAT would get them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import astropy.units as u
import numpy as np
import polars as pl
import pytest
from astropy.table import QTable
from mocpy import MOC

from daxa import cache
from daxa.config import mirror
from daxa.missions.coverage import default_row_radius
from daxa.testing.samp import TableReceiver, local_hub

from .helpers import daxa


@pytest.fixture(scope="module")
def filled(emulator, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cache")
    with mirror(emulator.url):
        for m in ("chandra", "erosita_calpv"):
            cache.refresh(m, folder)
    return folder


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[TableReceiver]:
    with local_hub(tmp_path), TableReceiver() as r:
        yield r


def test_select_writes_votable_moc_and_sends_over_samp(
    filled: Path, tmp_path: Path, receiver: TableReceiver
) -> None:
    import os

    vot, moc_path = tmp_path / "obs.vot", tmp_path / "cov.fits"
    result = daxa(
        "select", "chandra", "erosita_calpv", "--start", "1990-01-01", "-o", str(vot), "--moc", str(moc_path), "--samp",
        cache_dir=filled, env={"SAMP_HUB": os.environ["SAMP_HUB"]},
    )  # fmt: skip
    assert result.code == 0, result.err
    table = QTable.read(vot)
    assert len(table) > 0 and str(table["exposure"].unit) == "s"
    # eROSITA gives no exposures: null in the file and in the printed summary, never 0
    erosita = table["mission"] == "erosita_calpv"
    assert erosita.sum() == cache.read("erosita_calpv", filled).height
    assert np.ma.getmaskarray(table["exposure"][erosita]).all()
    line = next(x for x in result.out.splitlines() if x.startswith("erosita_calpv"))
    assert line.split()[-1] == "-"
    # every selected pointing lies in the MOC, and the MOC is no bigger than their circles
    moc = MOC.from_fits(moc_path)
    assert moc.contains_lonlat(table["ra"], table["dec"]).all()
    area = 0.0
    for mission in ("chandra", "erosita_calpv"):
        radii = default_row_radius(cache.read(mission, filled), mission)
        area += np.nansum(2 * np.pi * (1 - np.cos(np.radians(radii)))) / (4 * np.pi)
    assert moc.sky_fraction <= area * 1.5 + 0.01
    # SAMP: the receiver loaded the same rows
    assert receiver.got.wait(30)
    assert sorted(receiver.table["obs_id"]) == sorted(table["obs_id"])
    assert str(receiver.table["ra"].unit) == "deg"


def test_sql_fits_output_has_units_and_times(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "q.fits"
    query = 'SELECT obs_id, ra, dec, start, "end", exposure FROM chandra ORDER BY obs_id LIMIT 5'
    result = daxa("sql", query, "-o", str(out), cache_dir=filled)
    assert result.code == 0, result.err
    table = QTable.read(out, astropy_native=True)
    expected = pl.read_parquet(filled / "chandra.parquet").sort("obs_id").head(5)
    assert list(table["obs_id"]) == expected["obs_id"].to_list()
    assert table["ra"].unit == u.deg and table["start"].scale == "utc"
    got = [t.datetime.replace(microsecond=0) for t in table["start"]]
    want = [t.replace(tzinfo=None, microsecond=0) for t in expected["start"]]
    assert got == want


def test_match_writes_the_searched_coverage_moc(filled: Path, tmp_path: Path) -> None:
    chandra = cache.read("chandra", filled)
    rng = np.random.default_rng(5)
    near = chandra.head(20).select(
        ra=pl.col("ra") + pl.Series(rng.uniform(-0.3, 0.3, 20)), dec=pl.col("dec")
    )
    cat = tmp_path / "cat.csv"
    near.write_csv(cat)
    out, moc_path = tmp_path / "pairs.vot", tmp_path / "m.fits"
    result = daxa(
        "match", str(cat), "chandra", "-o", str(out), "--moc", str(moc_path), cache_dir=filled
    )
    assert result.code == 0, result.err
    pairs = QTable.read(out)
    assert len(pairs) > 0 and str(pairs["separation_deg"].unit) == "deg"
    moc = MOC.from_fits(moc_path)
    # every matched position lies in the coverage searched
    assert moc.contains_lonlat(pairs["pos_ra"], pairs["pos_dec"]).all()
