"""HATS output: layout, partition rules, round trips, streaming from sorted Parquet, and (when
the benchmark's LSDB environment exists) that LSDB and the hats validator accept it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from daxa.crossmatch import read_hats, write_hats
from daxa.crossmatch.hats import open_hats, plan_partitions, read_properties
from daxa.errors import InputError
from daxa.sky.healpix import healpix_index

from .conftest import awkward_positions

LSDB_PYTHON = Path(__file__).resolve().parents[2] / "benchmarks" / ".venv-lsdb" / "bin" / "python"


@pytest.fixture(scope="module")
def catalogue() -> pl.DataFrame:
    return awkward_positions(5000, seed=31).with_columns(flux=pl.int_range(pl.len()) * 1.5)


def test_layout_and_partition_rules(catalogue, tmp_path):
    root = write_hats(catalogue, tmp_path / "cat", max_rows=700)
    props = read_properties(root)
    assert props["dataproduct_type"] == "object"
    assert props["hats_nrows"] == "5000"
    assert (props["hats_col_ra"], props["hats_col_dec"]) == ("ra", "dec")
    assert props["obs_collection"] == "cat"
    info = pl.read_csv(root / "partition_info.csv")
    assert info.columns == ["Norder", "Npix"]
    assert (root / "dataset" / "_common_metadata").is_file()
    assert (root / "dataset" / "_metadata").is_file()
    seen = 0
    for order, pix in info.iter_rows():
        f = (
            root
            / "dataset"
            / f"Norder={order}"
            / f"Dir={pix // 10000 * 10000}"
            / f"Npix={pix}.parquet"
        )
        part = pl.read_parquet(f)
        hpx = part["_healpix_29"].to_numpy()
        assert (np.diff(hpx) >= 0).all()
        assert ((hpx >> (2 * (29 - order))) == pix).all()  # every row inside its pixel
        assert part.height <= 700
        seen += part.height
    assert seen == 5000
    # the index is the one daxa computes for (ra, dec)
    back = read_hats(root)
    want = healpix_index(back["ra"].to_numpy(), back["dec"].to_numpy())
    assert (back["_healpix_29"].to_numpy() == want).all()
    assert_frame_equal(back.drop("_healpix_29").sort("name"), catalogue.sort("name"))
    with pytest.raises(InputError, match="already exists"):
        write_hats(catalogue, root)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=192, max_size=192),
    st.integers(1, 200),
)
def test_partitions_cover_every_row_once(counts, max_rows):
    counts_arr = np.array(counts, dtype=np.int64)  # order 2: 192 pixels
    nz = np.flatnonzero(counts_arr)
    parts = plan_partitions(nz, counts_arr[nz], 2, max_rows)
    covered = np.zeros(192, dtype=int)
    for order, pix in parts:
        width = 4 ** (2 - order)
        covered[pix * width : (pix + 1) * width] += 1
        total = counts_arr[pix * width : (pix + 1) * width].sum()
        assert total > 0
        assert total <= max_rows or order == 2  # only unsplittable pixels may exceed
    assert (covered[counts_arr > 0] == 1).all()
    assert (covered <= 1).all()


def test_streams_sorted_parquet_and_reads_as_input(catalogue, tmp_path):
    sorted_file = tmp_path / "sorted.parquet"
    with_index = catalogue.with_columns(
        _healpix_29=pl.Series(healpix_index(catalogue["ra"], catalogue["dec"]))
    ).sort("_healpix_29")
    with_index.write_parquet(sorted_file, row_group_size=500)
    root = write_hats(sorted_file, tmp_path / "streamed", max_rows=900)
    assert_frame_equal(read_hats(root), with_index)
    source = open_hats(root)
    assert source.healpix_sorted and source.n_rows == 5000
    assert read_hats(root, columns=["name"]).columns == ["name"]


@pytest.mark.skipif(not LSDB_PYTHON.exists(), reason="benchmarks/.venv-lsdb not created")
def test_lsdb_opens_the_catalogue(catalogue, tmp_path):
    root = write_hats(catalogue, tmp_path / "for_lsdb", max_rows=800)
    script = (
        "import lsdb, sys\n"
        "from hats.io.validation import is_valid_catalog\n"
        f"assert is_valid_catalog({str(root)!r}, strict=True)\n"
        f"cat = lsdb.open_catalog({str(root)!r})\n"
        "df = cat.compute()\n"
        "print(len(df), round(float(df['flux'].sum()), 1))\n"
    )
    out = subprocess.run(
        [str(LSDB_PYTHON), "-c", script], capture_output=True, text=True, timeout=240
    )
    assert out.returncode == 0, out.stderr[-2000:]
    n, total = out.stdout.split()
    assert int(n) == 5000 and float(total) == pytest.approx(float(catalogue["flux"].sum()))


def test_hats_input_declares_its_coordinates(catalogue, tables, tmp_path):
    from daxa.crossmatch import match_observations

    xmm = {"xmm_pointed": tables["xmm_pointed"]}
    pointed = tables["xmm_pointed"].head(50)  # sources at XMM pointings, so there are pairs
    catalogue = pl.concat(
        [
            catalogue,
            pl.DataFrame(
                {
                    "ra": pointed["ra"],
                    "dec": pointed["dec"],
                    "name": [f"xmm{i:02d}" for i in range(pointed.height)],
                    "flux": [1.0] * pointed.height,
                }
            ),
        ],
        how="vertical_relaxed",
    )
    renamed = catalogue.rename({"ra": "RAJ2000", "dec": "DEJ2000"})
    root = write_hats(renamed, tmp_path / "renamed", ra="RAJ2000", dec="DEJ2000", max_rows=900)
    got = match_observations(root, tables=xmm, id="name", progress=False)  # no ra=/dec= needed
    want = match_observations(catalogue, tables=xmm, id="name", progress=False)
    key = ["row_id", "obs_id"]
    assert got.height == want.height > 0
    assert_frame_equal(got.drop("pos_index").sort(key), want.drop("pos_index").sort(key))
