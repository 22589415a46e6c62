"""Coverage summary: hand-computed values, the association table's own totals (both ways of
summing), and identical rows chunked, streamed and on Dask."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from daxa.crossmatch import coverage_summary, match_observations
from daxa.errors import InputError
from daxa.filters._examples import observation_table

from .conftest import awkward_positions, check_early_memory_warning, wide_swift_sky

T0 = datetime(2010, 1, 1, tzinfo=UTC)


def test_hand_computed_swift_summary():
    starts = [T0, T0 + timedelta(days=10), T0 + timedelta(days=20)]
    table = observation_table(
        "swift",
        [10.0, 10.1, 40.0],
        [0.0, 0.0, 0.0],
        start=starts,
        end=[s + timedelta(hours=2) for s in starts],
        exposure=[1000.0, 2000.5, 4000.0],
        exposure_xrt=[900.0, 0.0, 3000.0],
        exposure_bat=[1000.0, 2000.5, 4000.0],
        exposure_uvot=[0.0, 0.0, 0.0],
    )
    # one position next to the first two pointings (XRT only observed in the first); the BAT
    # field (60°) of all three covers it
    got = coverage_summary(
        pl.DataFrame({"ra": [10.05], "dec": [0.0]}), tables={"swift": table}, progress=False
    )
    assert got.select("instrument", "n_obs", "exposure").rows() == [
        (None, 3, 7000.5),
        ("XRT", 1, 900.0),
        ("BAT", 3, 7000.5),
    ]
    assert got["first_start"].to_list() == [T0] * 3
    assert got["last_end"].to_list() == [
        starts[2] + timedelta(hours=2),
        starts[0] + timedelta(hours=2),
        starts[2] + timedelta(hours=2),
    ]
    totals = coverage_summary(
        pl.DataFrame({"ra": [10.05], "dec": [0.0]}),
        tables={"swift": table},
        by_instrument=False,
        progress=False,
    )
    assert totals["instrument"].to_list() == [None]


def test_unknown_exposures_are_null_not_zero():
    """eROSITA's tables give no exposure: its summary says null, a known sum stays a sum."""
    erosita = observation_table(
        "erosita_calpv",
        [10.0, 10.2],
        [0.0, 0.0],
        exposure=pl.Series([None, None], dtype=pl.Float64),
    )
    xmm = observation_table("xmm_pointed", [10.0, 10.01], [0.0, 0.0], exposure=[1000.0, None])
    got = coverage_summary(
        pl.DataFrame({"ra": [10.0], "dec": [0.0]}),
        tables={"erosita_calpv": erosita, "xmm_pointed": xmm},
        by_instrument=False,
        progress=False,
    )
    assert sorted(got.select("mission", "n_obs", "exposure").rows()) == [
        ("erosita_calpv", 2, None),
        ("xmm_pointed", 2, 1000.0),
    ]


def _from_pairs(assoc: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The summary totals computed from the full association table."""
    info = pl.concat(
        [
            t.select(
                pl.lit(m).alias("mission"),
                "obs_id",
                "start",
                "end",
                pl.col("exposure").fill_null(0.0),
            )
            for m, t in tables.items()
        ]
    )
    joined = assoc.join(info, on=["mission", "obs_id"], how="left")
    return joined.group_by("pos_index", "mission").agg(
        n=pl.len(),
        exp=pl.col("exposure").sum(),
        first=pl.col("start").min(),
        last=pl.col("end").max(),
    )


@pytest.mark.parametrize("method", ["pairs", "cells", "tree"])
def test_totals_equal_the_association_table(tables, method):
    positions = awkward_positions(600, seed=21)
    assoc = match_observations(positions, tables=tables, progress=False)
    summary = coverage_summary(positions, tables=tables, method=method, progress=False)
    want = _from_pairs(assoc, tables)
    got = summary.filter(pl.col("instrument").is_null())
    both = got.join(want, on=["pos_index", "mission"], how="full", coalesce=True)
    assert both.height == want.height == got.height > 500
    assert (both["n_obs"] == both["n"]).all()
    np.testing.assert_allclose(both["exposure"], both["exp"], rtol=1e-12)
    assert (both["first_start"] == both["first"]).all()
    assert (both["last_end"] == both["last"]).all()
    # per instrument: the number of pairs whose covering list names the instrument
    per_inst = (
        assoc.explode("instruments")
        .group_by("pos_index", "mission", "instruments")
        .agg(n=pl.len())
        .rename({"instruments": "instrument"})
    )
    inst = summary.filter(pl.col("instrument").is_not_null())
    check = inst.join(per_inst, on=["pos_index", "mission", "instrument"], how="left")
    assert inst.height > 500 and (check["n_obs"] == check["n"]).all()


@pytest.mark.parametrize("method", ["cells", "tree"])
def test_cells_and_pairs_agree_exactly(tables, method):
    positions = awkward_positions(800, seed=22)
    pairs = coverage_summary(positions, tables=tables, method="pairs", progress=False)
    cells = coverage_summary(positions, tables=tables, method=method, progress=False)
    assert_frame_equal(cells, pairs)  # exposures are summed in whole ms: order-independent


def test_chunked_streamed_and_dask_agree(tables, tmp_path, dask_client):
    positions = awkward_positions(900, seed=23)
    whole = coverage_summary(positions, tables=tables, id="name", progress=False)
    chunked = coverage_summary(positions, tables=tables, id="name", chunk_rows=100, progress=False)
    assert_frame_equal(chunked, whole)
    remote = coverage_summary(
        positions, tables=tables, id="name", chunk_rows=100, client=dask_client, progress=False
    )
    assert_frame_equal(remote, whole)
    path = coverage_summary(
        positions,
        tables=tables,
        id="name",
        chunk_rows=100,
        output=tmp_path / "s.parquet",
        progress=False,
    )
    streamed = pl.read_parquet(path)
    assert streamed["_healpix_29"].is_sorted()
    ranked = streamed.select("_healpix_29", "pos_index").unique(maintain_order=True)
    assert ranked.equals(ranked.sort("_healpix_29", "pos_index"))
    # the labels are written as dictionary codes, but every reader sees strings (and units)
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pq.read_schema(path)
    assert arrow.field("mission").type == arrow.field("instrument").type == pa.large_string()
    assert arrow.field("exposure").metadata[b"unit"] == b"s"
    assert pq.read_table(path).schema.field("mission").type == pa.large_string()
    key = ["pos_index", "mission", "instrument"]
    assert_frame_equal(
        streamed.drop("_healpix_29").sort(key, nulls_last=False),
        whole.sort(key, nulls_last=False),
    )


def test_radius_forms_and_errors(tables):
    positions = awkward_positions(100, seed=24)
    scalar = coverage_summary(
        positions, tables={"xmm_pointed": tables["xmm_pointed"]}, radius=5.0, progress=False
    )
    assoc = match_observations(
        positions, tables={"xmm_pointed": tables["xmm_pointed"]}, radius=5.0, progress=False
    )
    counts = assoc.group_by("pos_index").len().sort("pos_index")
    assert scalar.filter(pl.col("instrument").is_null()).select("pos_index", "n_obs").rows() == (
        counts.rows()
    )
    per_row = coverage_summary(
        positions,
        tables={"xmm_pointed": tables["xmm_pointed"]},
        radius=np.full(positions.height, 5.0),
        progress=False,
    )
    assert_frame_equal(per_row, scalar)
    with pytest.raises(InputError, match="method='fast'"):
        coverage_summary(positions, tables=tables, method="fast", progress=False)  # type: ignore[arg-type]


def test_chunks_in_flight_do_not_change_the_rows(tables, tmp_path, monkeypatch):
    positions = awkward_positions(700, seed=24)
    monkeypatch.setenv("DAXA_LOCAL_WORKERS", "1")
    one = coverage_summary(positions, tables=tables, chunk_rows=90, progress=False)
    monkeypatch.setenv("DAXA_LOCAL_WORKERS", "3")
    three = coverage_summary(positions, tables=tables, chunk_rows=90, progress=False)
    assert_frame_equal(three, one)


def test_bad_worker_count_is_named(tables, monkeypatch):
    monkeypatch.setenv("DAXA_LOCAL_WORKERS", "two")
    with pytest.raises(InputError, match="DAXA_LOCAL_WORKERS='two'"):
        coverage_summary(awkward_positions(50), tables=tables, chunk_rows=20, progress=False)


def test_a_failing_chunk_leaves_no_output(tables, tmp_path, monkeypatch):
    import importlib

    cs = importlib.import_module("daxa.crossmatch.coverage_summary")

    calls = {"n": 0}
    real = cs.summarise_chunk

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(cs, "summarise_chunk", flaky)
    out = tmp_path / "s.parquet"
    with pytest.raises(RuntimeError, match="disk on fire"):
        coverage_summary(
            awkward_positions(400), tables=tables, chunk_rows=50, output=out, progress=False
        )
    assert list(tmp_path.iterdir()) == []  # neither the file nor a temporary one


def test_rows_placed_by_counting_equal_a_stable_sort():
    """Summary rows are ordered by counting slots per position; a stable sort of the
    (position rank, line rank) keys is the independent answer."""
    from daxa.crossmatch.coverage_rows import _slots

    def _placement(hits, lines, rank):
        """The order of the concatenated parts' rows that the slots place them in."""
        slots, by_rank = _slots(hits, lines, rank)
        order = np.empty(int(by_rank.sum()), dtype=np.int64)
        start = 0
        for where in slots:
            order[where] = start + np.arange(where.size)
            start += where.size
        return order

    rng = np.random.default_rng(1)
    for trial in range(100):
        n = int(rng.integers(1, 200))
        keys = {(int(rng.integers(0, 5)), int(rng.integers(0, 3))) for _ in range(8)}
        lines = [(rank, line, "m", None) for rank, line in keys]
        rng.shuffle(lines)  # parts come in table order, not line order
        hits = [
            np.sort(rng.choice(n, size=int(rng.integers(0, n + 1)), replace=False)) for _ in lines
        ]
        rank = rng.permutation(n) if trial % 2 else np.arange(n)
        row = np.concatenate(hits)
        line = np.concatenate([np.full(h.size, k) for k, h in enumerate(hits)])
        line_rank = np.empty(len(lines), dtype=np.int64)
        line_rank[sorted(range(len(lines)), key=lambda i: lines[i][:2])] = np.arange(len(lines))
        expected = np.argsort(rank[row] * len(lines) + line_rank[line], kind="stable")
        np.testing.assert_array_equal(_placement(hits, lines, rank), expected)


def test_position_rank_equals_a_lexsort():
    """Chunks sorted by (HEALPix index, row) skip the sort; any other order is ranked as
    ``np.lexsort`` ranks it, ties in the first key included."""
    from daxa.crossmatch.coverage_rows import _position_rank

    rng = np.random.default_rng(2)
    for trial in range(200):
        n = int(rng.integers(0, 60))
        hpx = np.sort(rng.integers(0, 8, n)) if trial % 3 else rng.integers(0, 8, n)
        pos = rng.permutation(n) if trial % 2 else np.arange(n)
        frame = pl.DataFrame({"_healpix_29": hpx, "pos_index": pos})
        order = np.lexsort([pos, hpx])
        expected = np.empty(n, dtype=np.int64)
        expected[order] = np.arange(n)
        got = _position_rank(frame, ["_healpix_29", "pos_index"])
        np.testing.assert_array_equal(got, expected)


def test_wide_fields_built_beside_the_input_are_the_fields_a_chunk_would_build(tables):
    """The walk's fields of the wide tables, started on two threads while the input is
    prepared, are the fields a chunk builds itself (and are left out where the walk would
    not run: a small catalogue under method='auto')."""
    import importlib
    from concurrent.futures import Future

    from daxa.crossmatch.coverage_cells import tree_fields
    from daxa.crossmatch.coverage_totals import cover_classes
    from daxa.crossmatch.mission_tables import load_missions

    summary_module = importlib.import_module("daxa.crossmatch.coverage_summary")
    prepared = load_missions(
        None, tables=tables, cache_dir=None, instruments=None, radius=None, extra_columns=[]
    )
    memo = summary_module._fields_in_background(prepared, True, "tree", 10)
    futures = {k: v for k, v in memo.items() if isinstance(v, Future)}
    assert futures  # the fixture's tables have fields with radii to walk
    for (name, by_instrument, _), future in futures.items():
        table = next(t for t in prepared if t.name == name)
        want = tree_fields(table, cover_classes(table, by_instrument))
        got = future.result()
        for field in ("radius", "job_obs", "job_mask", "job_geom", "job_values", "cell_geom"):
            np.testing.assert_array_equal(getattr(got, field), getattr(want, field))
    assert summary_module._fields_in_background(prepared, True, "auto", 10) == {}


def test_chunks_use_the_fields_built_beside_the_input(tables, monkeypatch):
    """With the walk, each wide table's fields are built once, on the background threads,
    and every chunk walks those (no chunk builds them again); the totals are the pairs'."""
    import importlib
    import threading

    summary_module = importlib.import_module("daxa.crossmatch.coverage_summary")
    real = summary_module.tree_fields
    builders: list[str] = []

    def counting(table, classes):
        builders.append(threading.current_thread().name)
        return real(table, classes)

    monkeypatch.setattr(summary_module, "tree_fields", counting)
    positions = awkward_positions(600, seed=24)
    tree = coverage_summary(positions, tables=tables, method="tree", chunk_rows=100, progress=False)
    assert builders and all(name.startswith("daxa-chunk-fields") for name in builders)
    pairs = coverage_summary(positions, tables=tables, method="pairs", progress=False)
    assert_frame_equal(tree, pairs)


def test_a_summary_larger_than_the_budget_in_memory_says_so_before_it_starts(tmp_path):
    """Four Swift pointings (BAT's 60-degree fields cover most of the sky): 20,000 positions
    make ~16,000 summary rows (~1.7 MB kept in memory), more than a 1 MB budget. The warning
    comes first, names the size and the remedy, and its estimate is near the real count;
    with ``output=`` nothing is said."""
    table, cat = wide_swift_sky()
    check_early_memory_warning(
        lambda **kw: coverage_summary(cat, tables={"swift": table}, progress=False, **kw),
        "summary rows",
        "1MB",
        r"summary rows \(~1\.\d MB.*memory_budget=1\.0 MB; give output=",
        tmp_path / "s.parquet",
    )
