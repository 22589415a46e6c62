"""Catalogue × catalogue: all pairs, nearest and symmetric best against brute force and astropy;
chunks (with pairs across chunk edges, at the poles and RA = 0), files, HATS and Dask agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from daxa.crossmatch import match_catalogues, write_hats
from daxa.errors import InputError
from daxa.sky.healpix import healpix_index

from ._brute import all_pairs, pairs_within
from .conftest import awkward_positions


@pytest.fixture(scope="module")
def sides() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Left: random plus clumps at the poles and RA 0; right: jittered copies of half the
    left rows (0.05° scatter) plus unrelated rows, so matches, near-ties and misses all occur."""
    left = awkward_positions(2000, seed=11).with_columns(mag=pl.int_range(pl.len()) * 0.01)
    rng = np.random.default_rng(12)
    pick = rng.choice(left.height, 1000, replace=False)
    dra = rng.normal(0, 0.05, pick.size) / np.cos(np.radians(left["dec"].to_numpy()[pick]))
    ddec = rng.normal(0, 0.05, pick.size)
    extra = awkward_positions(500, seed=13)
    right = pl.DataFrame(
        {
            "ra": np.concatenate([(left["ra"].to_numpy()[pick] + dra) % 360, extra["ra"]]),
            "dec": np.concatenate(
                [np.clip(left["dec"].to_numpy()[pick] + ddec, -90, 90), extra["dec"]]
            ),
            "name": [f"R{i}" for i in range(1500)],
        }
    )
    return left, right


def test_all_pairs_equal_brute_force(sides):
    left, right = sides
    got = match_catalogues(left, right, 0.2, progress=False)
    sep = all_pairs(left["ra"], left["dec"], right["ra"], right["dec"])
    want = pairs_within(sep, 0.2)
    assert set(zip(got["left_index"], got["right_index"], strict=True)) == want
    assert len(want) > 1000
    i, j = got["left_index"].to_numpy(), got["right_index"].to_numpy()
    np.testing.assert_array_equal(got["separation_deg"].to_numpy(), sep[i, j])
    assert got.columns == [
        "left_index",
        "right_index",
        "separation_deg",
        "ra",
        "dec",
        "name",
        "mag",
        "ra_right",
        "dec_right",
        "name_right",
    ]


def test_nearest_equals_astropy(sides):
    from astropy import units as u
    from astropy.coordinates import SkyCoord, match_coordinates_sky

    left, right = sides
    got = match_catalogues(left, right, 0.2, how="nearest", join="left", progress=False)
    idx, d2d, _ = match_coordinates_sky(
        SkyCoord(left["ra"].to_numpy() * u.deg, left["dec"].to_numpy() * u.deg),
        SkyCoord(right["ra"].to_numpy() * u.deg, right["dec"].to_numpy() * u.deg),
    )
    within = d2d.deg <= 0.2
    assert got.height == left.height  # left join: one row per left row
    assert got["right_index"].is_null().to_numpy().tolist() == (~within).tolist()
    matched = got.filter(pl.col("right_index").is_not_null())
    np.testing.assert_array_equal(matched["right_index"].to_numpy(), idx[within])
    np.testing.assert_allclose(matched["separation_deg"].to_numpy(), d2d.deg[within], atol=1e-10)


def test_best_is_symmetric_and_unique(sides):
    left, right = sides
    best = match_catalogues(left, right, 0.2, how="best", progress=False)
    assert best["left_index"].is_unique().all() and best["right_index"].is_unique().all()
    sep = all_pairs(left["ra"], left["dec"], right["ra"], right["dec"])
    sep[sep > 0.2] = np.inf
    nearest_right = np.argmin(sep, axis=1)
    nearest_left = np.argmin(sep, axis=0)
    want = {
        (i, int(j))
        for i, j in enumerate(nearest_right)
        if np.isfinite(sep[i, j]) and nearest_left[j] == i
    }
    assert set(zip(best["left_index"], best["right_index"], strict=True)) == want


@pytest.mark.parametrize("how", ["all", "nearest", "best"])
@pytest.mark.parametrize("join", ["inner", "left"])
def test_chunks_give_the_in_memory_rows(sides, how, join):
    left, right = sides
    whole = match_catalogues(left, right, 0.3, how=how, join=join, progress=False)
    chunked = match_catalogues(left, right, 0.3, how=how, join=join, chunk_rows=60, progress=False)
    assert_frame_equal(chunked, whole)
    # the clumps at the poles and at RA = 0 span several chunks: their pairs cross chunk edges
    polar = whole.filter(pl.col("dec").abs() > 89.5, pl.col("right_index").is_not_null())
    wrapped = whole.filter(
        (pl.col("ra") - pl.col("ra_right")).abs() > 300, pl.col("right_index").is_not_null()
    )
    assert polar.height > 10 and wrapped.height > 10


def test_per_row_radii_and_chosen_columns(sides):
    left, right = sides
    radii = np.where(left["mag"].to_numpy() < 10, 0.05, 0.25)
    got = match_catalogues(
        left, right, radii, left_columns=["name"], right_columns=["name"], progress=False
    )
    assert got.columns == ["left_index", "right_index", "separation_deg", "name", "name_right"]
    sep = all_pairs(left["ra"], left["dec"], right["ra"], right["dec"])
    assert set(zip(got["left_index"], got["right_index"], strict=True)) == pairs_within(
        sep, radii[:, None]
    )
    by_col = match_catalogues(
        left.with_columns(r=pl.Series(radii)),
        right,
        "r",
        left_columns=["name"],
        right_columns=["name"],
        chunk_rows=100,
        progress=False,
    )
    assert_frame_equal(by_col, got)
    right_r = np.full(right.height, 0.1)
    on_right = match_catalogues(left, right, right_r, radius_of="right", progress=False)
    assert set(zip(on_right["left_index"], on_right["right_index"], strict=True)) == (
        pairs_within(sep, 0.1)
    )


def test_files_out_of_core_and_hats(sides, tmp_path):
    left, right = sides
    whole = match_catalogues(left, right, 0.3, how="best", progress=False)
    # unsorted Parquet, CSV and FITS bigger than the budget: spilled into HEALPix order
    left.write_parquet(tmp_path / "left.parquet")
    right.write_csv(tmp_path / "right.csv")
    from astropy.table import Table

    Table(right.to_dict(as_series=False)).write(tmp_path / "right.fits")
    for r_path in ("right.csv", "right.fits"):
        got = match_catalogues(
            tmp_path / "left.parquet",
            tmp_path / r_path,
            0.3,
            how="best",
            memory_budget=100_000,
            progress=False,
        )
        assert_frame_equal(got, whole, check_dtypes=False)
    # HATS inputs are read partition by partition
    lh = write_hats(left, tmp_path / "left_hats", max_rows=300)
    rh = write_hats(right, tmp_path / "right_hats", max_rows=300)
    got = match_catalogues(
        lh,
        rh,
        0.3,
        how="best",
        left_columns=list(left.columns),
        right_columns=list(right.columns),
        memory_budget=100_000,
        progress=False,
    )
    # HATS row numbers follow the partition order: compare by names instead
    key = ["name", "name_right"]
    assert_frame_equal(
        got.drop("left_index", "right_index").sort(key),
        whole.drop("left_index", "right_index").sort(key),
    )
    out = match_catalogues(
        left, right, 0.3, chunk_rows=200, output=tmp_path / "pairs.parquet", progress=False
    )
    streamed = pl.read_parquet(out)
    assert streamed["_healpix_29"].is_sorted()
    assert_frame_equal(
        streamed.drop("_healpix_29").sort("left_index", "separation_deg", "right_index"),
        match_catalogues(left, right, 0.3, progress=False),
    )


def test_dask_equals_local(sides, dask_client, monkeypatch):
    """Dask gives the local rows; workers on this machine get a task's frames as shared files
    (no frame travels in the task graph), removed once the task is done."""
    from daxa.crossmatch import dask_backend, shared_files

    assert shared_files.workers_share_disk(dask_client)
    monkeypatch.setattr(dask_backend, "SCATTER_BYTES", 0)  # every frame goes the shared way
    shipped: list[tuple] = []
    real = dask_backend._ship_frames

    def watch(client, args, local):
        out, folders = real(client, args, local)
        shipped.append((out, [f.name for f in folders]))
        return out, folders

    monkeypatch.setattr(dask_backend, "_ship_frames", watch)
    left, right = sides
    for how in ("all", "best"):
        local = match_catalogues(left, right, 0.3, how=how, chunk_rows=150, progress=False)
        remote = match_catalogues(
            left, right, 0.3, how=how, chunk_rows=150, client=dask_client, progress=False
        )
        assert_frame_equal(remote, local)
    assert shipped
    for args, folders in shipped:
        assert not any(isinstance(a, pl.DataFrame) for a in args)
        assert any(isinstance(a, shared_files.SharedFrame) for a in args)
        assert folders and not any(Path(f).exists() for f in folders)


def test_dask_runs_consecutive_chunks_per_task_and_equals_local(
    sides, dask_client, monkeypatch, tmp_path
):
    """Many small chunks go to Dask in runs of consecutive ones per Dask task (fewer messages;
    a worker finds the groups its last chunk decoded): the rows are the local ones, in order,
    from memory and from sorted Parquet files with a memory budget."""
    from daxa.crossmatch import dask_backend

    monkeypatch.setattr(dask_backend, "TASKS_PER_THREAD", 1)
    from daxa.crossmatch.chunked import PreparedSource

    submitted: list[int] = []
    from_files: list[bool] = []
    real = dask_client.submit

    def counting(func, calls, *args, **kwargs):
        submitted.append(len(calls))
        from_files.extend(
            isinstance(a, PreparedSource) and a.frame is None for _, call in calls for a in call
        )
        return real(func, calls, *args, **kwargs)

    monkeypatch.setattr(dask_client, "submit", counting)
    left, right = sides
    paths = []
    for name, frame in (("left", left), ("right", right)):
        sorted_frame = frame.with_columns(
            pl.Series("_healpix_29", healpix_index(frame["ra"].to_numpy(), frame["dec"].to_numpy()))
        ).sort("_healpix_29")
        sorted_frame.write_parquet(tmp_path / f"{name}.parquet", row_group_size=100)
        paths.append(tmp_path / f"{name}.parquet")
    for how in ("all", "best", "nearest"):
        for inputs, kw in (
            ((left, right), {"chunk_rows": 100}),
            (paths, {"chunk_rows": 100, "memory_budget": 60_000}),
        ):
            submitted.clear()
            from_files.clear()
            local = match_catalogues(*inputs, 0.3, how=how, progress=False, **kw)
            remote = match_catalogues(
                *inputs, 0.3, how=how, client=dask_client, progress=False, **kw
            )
            assert_frame_equal(remote, local)
            assert max(submitted) > 1  # runs of chunks, not one chunk per Dask task
            assert any(from_files) == (inputs is paths)  # the workers read the files
    # chunks that carry their rows (frames large enough to ship) go one per task
    monkeypatch.setattr(dask_backend, "SCATTER_BYTES", 0)
    submitted.clear()
    remote = match_catalogues(left, right, 0.3, chunk_rows=100, client=dask_client, progress=False)
    assert_frame_equal(remote, match_catalogues(left, right, 0.3, chunk_rows=100, progress=False))
    assert set(submitted) == {1}
    # streamed, the chunks' rows are written as they come: in HEALPix order, as locally
    kw = {"chunk_rows": 100, "memory_budget": 60_000}
    written = []
    for where, client in (("local", None), ("dask", dask_client)):
        out = tmp_path / f"{where}.parquet"
        match_catalogues(*paths, 0.3, how="all", output=out, client=client, progress=False, **kw)
        written.append(pl.read_parquet(out))
    assert written[0]["_healpix_29"].is_sorted()
    assert_frame_equal(written[1], written[0])


@pytest.mark.filterwarnings("ignore::astropy.io.fits.verify.VerifyWarning")
def test_bad_inputs(sides, tmp_path):
    left, right = sides
    with pytest.raises(InputError, match=r"radius \(0.5 deg\) is bigger than margin=0.1 deg"):
        match_catalogues(left, right, 0.5, margin=0.1, progress=False)
    with pytest.raises(InputError, match="the right catalogue has no column 'flux'"):
        match_catalogues(left, right, 0.5, right_columns=["flux"], progress=False)
    with pytest.raises(InputError, match="no column 'DECJ'"):  # names match case-insensitively
        match_catalogues(left, right, 0.5, right_dec="DECJ", progress=False)
    with pytest.raises(InputError, match="how='closest'"):
        match_catalogues(left, right, 0.5, how="closest", progress=False)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="radius=-1"):
        match_catalogues(left, right, -1, progress=False)
    (tmp_path / "bad.fits").write_bytes(b"SIMPLE  = T" + b" " * 100)
    with pytest.raises(InputError, match="bad.fits"):
        match_catalogues(left, tmp_path / "bad.fits", 0.5, progress=False)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("join", ["inner", "left"])
def test_best_in_chunks_breaks_ties_as_in_one_piece(sides, join, compiled, tmp_path, monkeypatch):
    """Chunked best matches come in two phases (each chunk's candidates, then the right rows'
    choice over all chunks): with exact duplicates on both sides (equal separations, ties to the
    lowest row) they equal the one-piece result, in memory, streamed to a file (candidates
    spilled) and with the right side's choices in a temporary file; with the phases' compiled
    passes and with their numpy path."""
    from daxa.crossmatch import catalogue_best

    if not compiled:
        monkeypatch.setattr(catalogue_best, "compiled_kernels", lambda: None)
    elif catalogue_best.compiled_kernels() is None:
        pytest.skip("numba (the fast extra) is not installed")
    left, right = sides
    left = pl.concat([left, left.slice(0, 300)])  # rows 2000-2299 repeat rows 0-299
    right = pl.concat([right, right.slice(0, 200)])
    whole = match_catalogues(left, right, 0.3, how="best", join=join, progress=False)
    assert whole.filter(pl.col("left_index") >= 2000)["right_index"].null_count() > 0 or (
        join == "inner"
    )
    chunked = match_catalogues(
        left, right, 0.3, how="best", join=join, chunk_rows=60, progress=False
    )
    assert_frame_equal(chunked, whole)
    monkeypatch.setattr(catalogue_best, "IN_MEMORY_RIGHT_ROWS", 10)
    out = match_catalogues(
        left,
        right,
        0.3,
        how="best",
        join=join,
        chunk_rows=60,
        output=tmp_path / f"best-{join}.parquet",
        progress=False,
    )
    streamed = pl.read_parquet(out).drop("_healpix_29")
    assert_frame_equal(
        streamed.sort("left_index"), whole, check_column_order=False, check_dtypes=False
    )
    assert not list(tmp_path.glob(".*"))  # no temporary file left beside the output


@pytest.mark.parametrize("first_dec", [0.1, -0.1])
def test_best_in_chunks_ties_across_chunks_go_to_the_lowest_row(first_dec):
    """A right row exactly between two left rows that fall in different chunks (on either side
    of the equator where base pixels 0 and 8 meet, so their separations are bitwise equal)
    pairs with the lower left row number, as in one piece, whichever chunk comes first."""
    filler = awkward_positions(600, seed=21)
    far = ((filler["ra"] - 45.0).abs() > 5) | (filler["dec"].abs() > 5)
    filler = filler.filter(far).select("ra", "dec")
    twins = pl.DataFrame({"ra": [45.0, 45.0], "dec": [first_dec, -first_dec]})  # either order
    left = pl.concat([twins, filler])
    right = pl.concat([pl.DataFrame({"ra": [45.0], "dec": [0.0]}), filler.slice(0, 100)])
    whole = match_catalogues(left, right, 0.3, how="best", progress=False)
    assert whole.filter(pl.col("right_index") == 0)["left_index"].to_list() == [0]
    for rows in (40, 100):
        chunked = match_catalogues(left, right, 0.3, how="best", chunk_rows=rows, progress=False)
        assert_frame_equal(chunked, whole)


@pytest.mark.filterwarnings("ignore::daxa.crossmatch.inputs.CrossmatchWarning")
@pytest.mark.parametrize("how", ["all", "best"])
def test_a_file_without_one_usable_position_matches_nothing(tmp_path, how):
    """A catalogue file bigger than the budget whose positions are all unusable is spilled to
    nothing and matches nothing, on either side (no crash on the empty spill)."""
    n = 5000
    bad = pl.DataFrame({"ra": np.full(n, np.nan), "dec": np.full(n, np.nan)})
    good = awkward_positions(n, seed=3).select("ra", "dec")
    bad.write_parquet(tmp_path / "bad.parquet")
    good.write_parquet(tmp_path / "good.parquet")
    for a, b in (("bad", "good"), ("good", "bad")):
        got = match_catalogues(
            tmp_path / f"{a}.parquet",
            tmp_path / f"{b}.parquet",
            0.1,
            how=how,
            memory_budget=20_000,
            progress=False,
        )
        assert got.height == 0
        assert got.columns[:3] == ["left_index", "right_index", "separation_deg"]


def _sorted_parquet(frame: pl.DataFrame, path: Path) -> Path:
    hpx = healpix_index(frame["ra"].to_numpy(), frame["dec"].to_numpy())
    frame.with_columns(pl.Series("_healpix_29", hpx)).sort("_healpix_29").write_parquet(
        path, row_group_size=50
    )
    return path


def test_chunks_are_sized_by_what_a_row_costs_kept_columns_included(sides, tmp_path, monkeypatch):
    """Chunks from files hold as many left rows as half the budget pays for at the measured
    cost of a row (its columns as ``estimate_row_bytes`` counts them, plus the engine's 8 B):
    kept left columns make them smaller (they did not count before), and the rows are the
    same either way."""
    from daxa.crossmatch import catalogues

    left, right = sides
    left = left.with_columns(*(pl.lit(float(k)).alias(f"extra{k}") for k in range(6)))
    paths = [_sorted_parquet(f, tmp_path / f"{n}.parquet") for n, f in (("l", left), ("r", right))]
    planned: list[int] = []
    real = catalogues.chunk_tasks

    def counting(left_prep, right_prep, plan, *args, **kwargs):
        planned.append(len(plan))
        return real(left_prep, right_prep, plan, *args, **kwargs)

    monkeypatch.setattr(catalogues, "chunk_tasks", counting)
    monkeypatch.setattr(catalogues, "MIN_CHUNK_ROWS", 1)
    budget = 2 * 42 * 400  # half the budget: 400 rows of 40 B and ~2 B of expected pairs
    plain = match_catalogues(*paths, 0.3, memory_budget=budget, left_columns=[], progress=False)
    kept = [f"extra{k}" for k in range(6)]
    wide = match_catalogues(*paths, 0.3, memory_budget=budget, left_columns=kept, progress=False)
    n = left.height
    # 42 B a row: ~n / 400 chunks; with six kept columns 96 B more: ~n / 122 (group edges round)
    assert planned[0] <= -(-n // 400) + 1 < planned[1]
    assert planned[1] >= n // 130
    assert_frame_equal(wide.select(plain.columns), plain)
