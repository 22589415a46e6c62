"""HEALPix chunks and margins: properties that make chunked matching exact."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daxa.crossmatch.chunked import open_prepared, plan_sorted_array
from daxa.crossmatch.inputs import column_map, open_source
from daxa.crossmatch.margins import (
    ALIGN_ORDER,
    NEIGHBOUR_REACH,
    NPIX29,
    STRIP_DEPTH,
    margin_ranges,
    margin_ranges_of_chunks,
    range_cells,
    shift,
    strip_ranges_of_chunks,
)
from daxa.sky.healpix import healpix_index

from .conftest import awkward_positions

STEP = 1 << shift(ALIGN_ORDER)
N_ALIGNED = NPIX29 // STEP


@settings(max_examples=200, deadline=None)
@given(st.integers(0, N_ALIGNED - 1), st.integers(1, N_ALIGNED))
def test_range_cells_tile_the_range_exactly(a, length):
    lo, hi = a * STEP, min(N_ALIGNED, a + length) * STEP
    cells = range_cells(lo, hi)
    starts = [p << shift(o) for o, p in cells]
    ends = [(p + 1) << shift(o) for o, p in cells]
    assert starts[0] == lo and ends[-1] == hi
    assert all(e == s for e, s in zip(ends[:-1], starts[1:], strict=True))  # contiguous
    assert len(cells) <= 6 * ALIGN_ORDER + 12


def _offset(lon, lat, dist, az):
    """Points ``dist`` degrees from (lon, lat) towards azimuth ``az`` (all degrees)."""
    lon, lat, d, az = map(np.radians, (lon, lat, dist, az))
    lat2 = np.arcsin(np.sin(lat) * np.cos(d) + np.cos(lat) * np.sin(d) * np.cos(az))
    lon2 = lon + np.arctan2(
        np.sin(az) * np.sin(d) * np.cos(lat), np.cos(d) - np.sin(lat) * np.sin(lat2)
    )
    return np.degrees(lon2) % 360.0, np.degrees(lat2)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.integers(0, ALIGN_ORDER),
    where=st.floats(0, 1, exclude_max=True),
    log_margin=st.floats(-4, 1),
    seed=st.integers(0, 2**31),
)
def test_margins_hold_every_point_within_the_margin(order, where, log_margin, seed):
    import astropy.units as u
    from astropy_healpix import core as hp

    pix = int(where * 12 * 4**order)
    margin = 10**log_margin
    lon, lat = hp.boundaries_lonlat(np.array([pix]), 6, 1 << order, order="nested")
    rng = np.random.default_rng(seed)
    lon, lat = lon.to_value(u.deg)[0], lat.to_value(u.deg)[0]
    ra, dec = _offset(
        lon, lat, margin * rng.uniform(0, 0.999, lon.size), rng.uniform(0, 360, lon.size)
    )
    hpx = healpix_index(ra, dec)
    ranges = margin_ranges([(order, pix)], margin)
    lo = np.array([r[0] for r in ranges])
    hi = np.array([r[1] for r in ranges])
    i = np.searchsorted(lo, hpx, side="right") - 1
    assert ((i >= 0) & (hpx < hi[np.maximum(i, 0)])).all()


@pytest.mark.parametrize(("order", "margin"), [(1, 1 / 3600), (4, 0.01), (9, 0.2), (12, 1.0)])
def test_margins_are_a_thin_strip(order, margin):
    """The rows read for a margin are the cell and a strip a few margins wide, not the sky."""
    pix = 7 * 4 ** (order - 1) + 3 if order else 5
    ranges = margin_ranges([(order, pix)], margin)
    area = sum(hi - lo for lo, hi in ranges) / NPIX29 * 41253.0  # square degrees
    cell = 41253.0 / (12 * 4**order)
    side = np.sqrt(cell)
    coarse = int(np.floor(np.log2(NEIGHBOUR_REACH / margin)))
    if order >= coarse:  # a small cell: its ancestor at the margin order and 8 neighbours
        bound = 9 * 1.5 * 41253.0 / (12 * 4**coarse)
    else:  # a big cell: itself and a strip a few margins (or edge pixels) wide
        width = max(16 * margin, 3 * side / 2**STRIP_DEPTH)
        bound = cell + 6 * side * width
    assert cell <= area <= bound


@pytest.mark.parametrize("rows", [1, 7, 100, 10_000])
def test_every_row_in_exactly_one_chunk(rows):
    rng = np.random.default_rng(rows)
    hpx = np.sort(healpix_index(rng.uniform(0, 360, 5000), rng.uniform(-90, 90, 5000)))
    plan = plan_sorted_array(hpx, rows)
    chunk = np.searchsorted(plan.bounds, hpx, side="right") - 1
    assert plan.bounds[0] == 0 and plan.bounds[-1] == NPIX29
    assert (np.bincount(chunk, minlength=len(plan)) == plan.rows).all()
    assert (plan.bounds[1:-1] % STEP == 0).all()  # whole HEALPix pixels
    if rows >= 100:
        assert plan.rows.max() <= rows + 200  # pixels at the align order are small


def test_spilled_file_gives_every_row_once(tmp_path):
    frame = awkward_positions(3000, seed=51).with_columns(
        ra=pl.when(pl.int_range(pl.len()) == 5).then(None).otherwise(pl.col("ra"))
    )
    frame.write_parquet(tmp_path / "cat.parquet", row_group_size=300)
    cols = column_map(id="name")
    prepared = open_prepared(open_source(tmp_path / "cat.parquet"), cols, memory_budget=50_000)
    assert prepared.frame is None and prepared.is_prepared  # spilled to sorted files
    plan = prepared.plan(400)
    assert len(plan) > 3
    pieces = [prepared.load_range(*plan.range(i))[0] for i in range(len(plan))]
    got = pl.concat(pieces)
    assert got["_healpix_29"].is_sorted()
    assert sorted(got["pos_index"].to_list()) == [i for i in range(3000) if i != 5]
    assert np.concatenate(prepared.skipped).tolist() == [5]
    want = frame.with_row_index("pos_index").filter(pl.col("ra").is_not_null())
    joined = got.join(want, on="pos_index")
    assert (joined["row_id"] == joined["name"]).all()
    np.testing.assert_allclose(joined["ra"], joined["ra_right"])


def _sorted_file(tmp_path, n=4000, group=250):
    frame = awkward_positions(n, seed=52)
    frame.write_parquet(tmp_path / "cat.parquet", row_group_size=group)
    prepared = open_prepared(
        open_source(tmp_path / "cat.parquet"), column_map(), memory_budget=50_000
    )
    assert prepared.frame is None and prepared.files is not None
    return prepared


def _count_decodes(monkeypatch, files):
    """Row groups decoded from the files, in the order asked."""
    decoded: list[int] = []
    real = files._decode

    def counting(positions, **kwargs):
        with files._lock:
            fresh = [p for p in positions.tolist() if p not in files._cache]
        decoded.extend(fresh)
        return real(positions, **kwargs)

    monkeypatch.setattr(files, "_decode", counting)
    return decoded


def test_a_chunk_read_builds_no_query_and_decodes_only_the_groups_it_needs(tmp_path, monkeypatch):
    """Reading a chunk, or its margin strip, from HEALPix-sorted files decodes just the row
    groups whose statistics meet the asked ranges (no filter expression at all: thousands of OR'd range
    terms made out-of-core matching hang), and gives exactly the rows of those ranges."""
    prepared = _sorted_file(tmp_path)
    files = prepared.files
    decoded = _count_decodes(monkeypatch, files)

    def no_query(*args, **kwargs):
        raise AssertionError("a chunk read built a query filter")

    monkeypatch.setattr(pl.LazyFrame, "filter", no_query)
    monkeypatch.setattr(pl.DataFrame, "filter", no_query)
    plan = prepared.plan(300)
    assert len(plan) > 5
    for i in range(len(plan)):
        lo, hi = plan.range(i)
        asked = strip_ranges_of_chunks([plan.cells(i)], [(lo, hi)], 0.5)[0]  # its strip
        for ranges in ((np.array([lo]), np.array([hi])), asked):
            decoded.clear()
            files._cache.clear()
            is_core = ranges is not asked
            got = prepared.load_range(lo, hi)[0] if is_core else prepared.harvest([asked])[0]
            needed = set(files.index.overlapping(*ranges).tolist())
            assert set(decoded) == needed and len(decoded) == len(needed)
            hpx = got["_healpix_29"].to_numpy()
            inside = ((hpx[:, None] >= ranges[0]) & (hpx[:, None] < ranges[1])).any(axis=1)
            assert inside.all()  # nothing outside the asked ranges
            pieces = [prepared.load_range(a, b)[0] for a, b in zip(*ranges, strict=True)]
            whole = pl.concat(pieces) if pieces else got.clear()
            assert got["pos_index"].to_list() == whole["pos_index"].to_list()


def test_a_read_without_healpix_gives_the_same_rows_and_decodes_it_only_where_it_cuts(
    tmp_path, monkeypatch
):
    """A chunk read without ``_healpix_29`` (the catalogue matcher's left rows) gives the rows,
    row numbers and coordinates of a full read; only the groups cut at the range's ends (at
    most two) are decoded with that column."""
    prepared = _sorted_file(tmp_path)
    files = prepared.files
    with_hpx: list[int] = []
    real = files._decode

    def spying(positions, hpx=True):
        if hpx:
            with_hpx.extend(positions.tolist())
        return real(positions, hpx=hpx)

    monkeypatch.setattr(files, "_decode", spying)
    plan = prepared.plan(700)
    assert len(plan) > 3
    lean_groups = 0
    for i in range(len(plan)):
        lo, hi = plan.range(i)
        files._cache.clear()
        full = prepared.load_range(lo, hi)[0]
        with_hpx.clear()
        files._cache.clear()
        lean = prepared.load_range(lo, hi, hpx=False)[0]
        assert "_healpix_29" not in lean.columns
        assert len(with_hpx) <= 2
        lean_groups += len(files.index.overlapping(np.array([lo]), np.array([hi]))) - len(with_hpx)
        assert lean.to_dict(as_series=False) == full.drop("_healpix_29").to_dict(as_series=False)
    assert lean_groups > len(plan)  # most groups were decoded without the column


def test_a_harvest_decodes_each_group_once_and_gives_every_chunk_its_rows(tmp_path, monkeypatch):
    """The strips of every chunk, harvested in one pass, are the rows each chunk's own read
    gives, and no row group is decoded twice."""
    prepared = _sorted_file(tmp_path)
    files = prepared.files
    plan = prepared.plan(300)
    strips = strip_ranges_of_chunks(
        [plan.cells(i) for i in range(len(plan))], [plan.range(i) for i in range(len(plan))], 0.5
    )
    want = [
        pl.concat(
            [prepared.empty(), *(prepared.load_range(a, b)[0] for a, b in zip(*s, strict=True))]
        )
        for s in strips
    ]
    files._cache.clear()
    decoded = _count_decodes(monkeypatch, files)
    got = prepared.harvest(strips)
    assert len(decoded) == len(set(decoded))
    for g, w in zip(got, want, strict=True):
        assert g["pos_index"].to_list() == w["pos_index"].to_list()
        assert g["ra"].to_list() == w["ra"].to_list()
    for i, strip in enumerate(got):  # a strip never repeats its own chunk's rows
        lo, hi = plan.range(i)
        assert not ((strip["_healpix_29"] >= lo) & (strip["_healpix_29"] < hi)).any()


def test_margins_of_many_chunks_are_each_chunks_margins():
    """The margins of every chunk, looked up together, are each chunk's own."""
    rng = np.random.default_rng(5)
    hpx = np.sort(healpix_index(rng.uniform(0, 360, 20_000), rng.uniform(-90, 90, 20_000)))
    plan = plan_sorted_array(hpx, 700)
    cells = [plan.cells(i) for i in range(len(plan))]
    for margin in (1 / 3600, 0.3, 20.0):
        together = margin_ranges_of_chunks([*cells, []], margin)
        as_pairs = [list(zip(a.tolist(), b.tolist(), strict=True)) for a, b in together]
        assert as_pairs[-1] == []
        assert as_pairs[:-1] == [margin_ranges(c, margin) for c in cells]


def _minus(ranges: tuple[np.ndarray, np.ndarray], lo: int, hi: int) -> set[tuple[int, int]]:
    """Disjoint ranges minus ``[lo, hi)``, piece by piece in plain Python."""
    out = set()
    for a, b in zip(ranges[0].tolist(), ranges[1].tolist(), strict=True):
        if a < min(b, lo):
            out.add((a, min(b, lo)))
        if max(a, hi) < b:
            out.add((max(a, hi), b))
    return out


def test_a_chunks_strip_is_its_margin_minus_the_chunk():
    """The strips looked up for all chunks at once (the pieces of cells deep inside a chunk
    dropped early) are each chunk's margin ranges minus the chunk's own range, for margins
    from an arcsecond to beyond a HEALPix base pixel, chunks of every size, and an empty
    chunk."""
    rng = np.random.default_rng(11)
    hpx = np.sort(healpix_index(rng.uniform(0, 360, 30_000), rng.uniform(-90, 90, 30_000)))
    for rows in (300, 4_000, 30_000):
        plan = plan_sorted_array(hpx, rows)
        cells = [plan.cells(i) for i in range(len(plan))]
        bounds = [plan.range(i) for i in range(len(plan))]
        for margin in (1 / 3600, 0.05, 0.3, 5.0, 20.0):
            strips = strip_ranges_of_chunks([*cells, []], [*bounds, (0, 0)], margin)
            assert [s.tolist() for s in strips[-1]] == [[], []]
            for i, (lo, hi) in enumerate(strips[:-1]):
                assert (lo[1:] > hi[:-1]).all()  # sorted, disjoint, not touching
                want = _minus(margin_ranges_of_chunks([cells[i]], margin)[0], *bounds[i])
                assert set(zip(lo.tolist(), hi.tolist(), strict=True)) == want


def test_chunks_of_a_sorted_file_start_between_row_groups_where_they_can(tmp_path):
    """A plan from row-group statistics puts each chunk bound on a pixel edge between two
    groups whenever one lies there, so no group is cut in two (each is read by one chunk,
    without its _healpix_29 column when the reader can spare it); the rows are all there."""
    prepared = _sorted_file(tmp_path, n=20_000, group=500)
    index = prepared.files.index
    plan = prepared.plan(1200)
    assert len(plan) > 5
    s = shift(ALIGN_ORDER)
    clean = 0
    for b in plan.bounds[1:-1].tolist():
        assert b % (1 << s) == 0
        g = int(np.searchsorted(index.first, b, side="left"))
        edge = ((int(index.last[g - 1]) >> s) + 1) << s  # the first edge after group g - 1
        if edge <= index.first[g]:
            assert index.last[g - 1] < b <= index.first[g]  # between the two groups
            clean += 1
    assert clean > len(plan) // 2  # most bounds, though these positions crowd in places
    bounds = list(zip(plan.bounds[:-1].tolist(), plan.bounds[1:].tolist(), strict=True))
    rows = [prepared.load_range(lo, hi, hpx=False)[0] for lo, hi in bounds]
    assert sorted(pl.concat(rows)["pos_index"].to_list()) == list(range(20_000))


def test_a_decoded_group_becomes_the_frame_pyarrow_would_give():
    """Row groups become polars frames through numpy views where a column allows it (one
    piece, numeric, no nulls) and through ``pl.from_arrow`` otherwise: the frame is the same
    either way, types, nulls and all."""
    import pyarrow as pa

    from daxa.crossmatch.frame_pieces import frame_of_arrow

    table = pa.table(
        {
            "ra": np.array([1.5, 2.5, 3.5]),
            "hpx": pa.array([7, 8, 9], pa.int64()),
            "gappy": pa.array([1, None, 3], pa.int32()),
            "name": ["a", "b", None],
            "half": pa.array(np.array([1, 2, 3], dtype=np.float16)),
            "small": pa.array([1, 2, 3], pa.uint8()),
            "f32": pa.array([0.5, 1.5, 2.5], pa.float32()),
        }
    )
    two_pieces = pa.concat_tables([table.slice(0, 1), table.slice(1)])
    for t in (table, two_pieces):
        got = frame_of_arrow(t)
        want = pl.from_arrow(t)
        assert got.schema == want.schema
        assert got.equals(want)
    view = frame_of_arrow(table)["ra"].to_numpy()
    assert np.shares_memory(view, table.column("ra").chunk(0).to_numpy())  # not copied


def test_readers_of_the_same_files_share_decoded_groups_until_a_file_changes(tmp_path):
    """A reader unpickled for every task (as a Dask worker does) keeps the decoded groups of
    the readers before it in the process, so the next chunk finds its first group decoded;
    a file written again at the same path is never served from the old one's groups."""
    import pickle

    from daxa.crossmatch.sorted_files import SortedFiles

    rng = np.random.default_rng(3)
    ra, dec = rng.uniform(0, 360, 3000), rng.uniform(-90, 90, 3000)
    frame = pl.DataFrame({"ra": ra, "dec": dec, "_healpix_29": healpix_index(ra, dec)})
    path = tmp_path / "sorted.parquet"
    frame.sort("_healpix_29").write_parquet(path, row_group_size=200)
    files = SortedFiles([path], ["ra", "dec"], row_index=True)
    lo, hi = NPIX29 // 5, NPIX29 // 3
    first = files.read(lo, hi)
    again = pickle.loads(pickle.dumps(files))
    assert again._cache is files._cache and len(again._cache) > 0
    assert again.read(lo, hi).equals(first)

    frame.with_columns(pl.col("ra") + 1.0).sort("_healpix_29").write_parquet(
        path, row_group_size=200
    )
    fresh = SortedFiles([path], ["ra", "dec"], row_index=True)
    assert fresh._cache is not files._cache
    got = fresh.read(lo, hi)
    assert got.height == first.height
    assert np.allclose(got["ra"].to_numpy(), first["ra"].to_numpy() + 1.0)

    # a run lets go of them at its end: no decoded group or open file outlives it here
    from daxa.crossmatch import match_catalogues, sorted_files

    assert sorted_files._STATES
    out = match_catalogues(path, path, 0.01, chunk_rows=500, memory_budget=40_000, progress=False)
    assert out.height >= frame.height  # every row finds itself
    assert not sorted_files._STATES


def test_joined_frames_are_polars_concat_in_one_piece_per_column():
    """Joining a chunk's pieces (numpy for plain numbers, polars for the rest) gives what
    ``pl.concat`` gives, types, nulls and NaN included, each column in one piece, in the
    columns asked for; pieces of different types are left to polars (which refuses them)."""
    from daxa.crossmatch.frame_pieces import join_frames

    a = pl.DataFrame(
        {
            "ra": [1.5, float("nan")],
            "n": pl.Series([1, 2], dtype=pl.Int32),
            "gappy": [1, None],
            "name": ["a", None],
            "u": pl.Series([1, 2], dtype=pl.UInt8),
        }
    )
    b = pl.DataFrame(
        {
            "ra": [3.0],
            "n": pl.Series([3], dtype=pl.Int32),
            "gappy": [3],
            "name": ["c"],
            "u": pl.Series([3], dtype=pl.UInt8),
        }
    )
    parts = [a, b.select(a.columns), a.slice(1)]
    got = join_frames(parts)
    want = pl.concat(parts)
    assert got.schema == want.schema
    assert got.equals(want)
    assert all(s.n_chunks() == 1 for s in got.iter_columns())
    assert join_frames([b, a], ["name", "ra"]).columns == ["name", "ra"]
    with pytest.raises(pl.exceptions.SchemaError):
        join_frames([a.select("n"), a.select(pl.col("n").cast(pl.Int64))])


def test_a_free_worker_takes_the_next_chunk_while_an_earlier_one_runs(monkeypatch):
    """Chunk 0 can only finish once chunk 2 has started: with two workers, the one that
    finished chunk 1 must take chunk 2 at once, not wait for chunk 0. Results still come in
    chunk order, and no more than twice the workers' chunks are ever held."""
    import threading

    from daxa.crossmatch.execution import _run_local
    from daxa.crossmatch.tasks import Task

    monkeypatch.setenv("DAXA_LOCAL_WORKERS", "2")
    started = threading.Event()
    live, most = [0], [0]
    lock = threading.Lock()

    def work(i: int, shared: dict) -> tuple[int, np.ndarray]:
        with lock:
            live[0] += 1
            most[0] = max(most[0], live[0])
        if i == 2:
            started.set()
        if i == 0:
            assert started.wait(30), "chunk 2 never started while chunk 0 ran"
        with lock:
            live[0] -= 1
        return i, np.zeros(0, dtype=np.int64)

    tasks = [Task(work, (i,), 1) for i in range(6)]
    got = [result[0] for _, result in _run_local(tasks, {})]
    assert got == list(range(6))
    assert most[0] <= 2
