"""``daxa match --coverage footprint`` and ``daxa select --coverage footprint`` on a cache
fetched from the archive emulator give the Python API's footprint pairs."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from daxa import cache
from daxa.cli import main
from daxa.config import mirror
from daxa.crossmatch import match_observations
from daxa.filters.positions import Positions
from daxa.testing import emulated_archives


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cache")
    with emulated_archives() as emulator, mirror(emulator.url):
        cache.refresh("chandra", folder)
    return folder


def _catalogue(folder: Path, tmp: Path) -> tuple[pl.DataFrame, Path]:
    chandra = pl.read_parquet(folder / "chandra.parquet")
    cat = chandra.head(40).select(
        ra=(pl.col("ra") + 0.1) % 360, dec=pl.col("dec").clip(-89.9, 89.9)
    )
    path = tmp / "cat.csv"
    cat.write_csv(path)
    return chandra, path


def test_match_coverage_footprint(filled, tmp_path, capsys):
    chandra, path = _catalogue(filled, tmp_path)
    out = tmp_path / "pairs.csv"
    code = main(
        ["match", str(path), "chandra", "--coverage", "footprint", "-o", str(out),
         "--cache-dir", str(filled)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    got = pl.read_csv(out, schema_overrides={"obs_id": pl.String, "owner_tile": pl.String})
    cat = pl.read_csv(path)
    want = match_observations(
        cat, tables={"chandra": chandra}, coverage="footprint", progress=False
    )
    assert want.height > 0
    assert (
        got.select("pos_index", "obs_id", "covered").rows()
        == want.select("pos_index", "obs_id", "covered").rows()
    )


def test_select_coverage_footprint_pairs(filled, tmp_path, capsys):
    chandra, path = _catalogue(filled, tmp_path)
    pairs = tmp_path / "sel_pairs.csv"
    code = main(
        ["select", "chandra", "--positions", str(path), "--coverage", "footprint",
         "--pairs", str(pairs), "--cache-dir", str(filled)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    got = pl.read_csv(pairs, schema_overrides={"obs_id": pl.String})
    want = Positions(pl.read_csv(path), coverage="footprint").associate(chandra, mission="chandra")
    assert set(zip(got["obs_id"], got["covered"], strict=True)) == set(
        zip(want["obs_id"], want["covered"], strict=True)
    )


def test_summary_with_footprints(filled, tmp_path, capsys):
    chandra, path = _catalogue(filled, tmp_path)
    out = tmp_path / "summary.csv"
    code = main(
        ["match", str(path), "chandra", "--summary", "--coverage", "footprint", "-o", str(out),
         "--cache-dir", str(filled)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    got = pl.read_csv(out).filter(pl.col("instrument").is_null())
    pairs = match_observations(
        pl.read_csv(path), tables={"chandra": chandra}, coverage="footprint", progress=False
    )
    want = pairs.group_by("pos_index").agg(n_obs=pl.len()).sort("pos_index")
    assert got.select("pos_index", "n_obs").sort("pos_index").rows() == want.rows()


def test_match_moc_with_footprints(filled, tmp_path, capsys):
    from mocpy import MOC

    from daxa.moc import coverage_moc

    chandra, path = _catalogue(filled, tmp_path)
    moc_path = tmp_path / "fp.fits"
    code = main(
        ["match", str(path), "chandra", "--coverage", "footprint", "-o", str(tmp_path / "p.csv"),
         "--moc", str(moc_path), "--cache-dir", str(filled)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    got = MOC.from_fits(moc_path)
    assert got == coverage_moc("chandra", table=chandra, coverage="footprint")
    assert got.sky_fraction < coverage_moc("chandra", table=chandra).sky_fraction
