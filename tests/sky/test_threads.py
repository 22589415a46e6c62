"""The sky engine on two threads gives the one-thread answer bit for bit, as does its numpy path.

Thresholds are lowered so that skies of a few dozen rows are split into many parts (the same
code paths as a 1e7-row catalogue), and every result is compared array for array with the
serial run: same pairs, same order, same separations to the last bit.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daxa.errors import InputError
from daxa.sky import (
    Pairs,
    _cell_table,
    _join,
    _parallel,
    _zones,
    best_match_symmetric,
    nearest,
    pair_search,
)
from daxa.sky import pairs as pairs_module
from tests.sky._brute import brute_pairs, radius_values, skies

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEARCHES = {"pairs": pair_search, "nearest": nearest, "best": best_match_symmetric}


@contextlib.contextmanager
def engine(threads: int, compiled: bool = True) -> Iterator[None]:
    """Run the engine on ``threads`` threads with every part tiny (or with numpy only)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAXA_THREADS", str(threads))
        mp.setattr(_cell_table, "MIN_BUILD_ROWS_PER_THREAD", 1)
        mp.setattr(_join, "PROBE_BLOCK", 5)  # many blocks of probe rows and of candidates
        mp.setattr(_join, "CANDIDATE_BLOCK", 7)
        mp.setattr(pairs_module, "MIN_PAIRS_PER_THREAD", 1)
        if not compiled:
            mp.setattr(_cell_table, "compiled_kernels", lambda: None)
            mp.setattr(_join, "_compiled_probe", lambda: None)
            mp.setattr(_zones, "_compiled_cover", lambda: None)
        yield


def assert_identical(a: Pairs, b: Pairs) -> None:
    for name in ("left", "right", "separation"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)  # NaN-free: equal means bit for bit here
        assert x.tobytes() == y.tobytes()


def run(search: str, threads: int, *args, compiled: bool = True, **kw) -> Pairs:
    with engine(threads, compiled):
        return SEARCHES[search](*args, **kw)


def compiled_available() -> bool:
    return _cell_table.compiled_kernels() is not None


@SETTINGS
@given(skies(max_size=60), skies(max_size=60), radius_values, st.sampled_from(list(SEARCHES)))
def test_two_threads_give_the_one_thread_answer(left, right, radius, search):
    one = run(search, 1, *left, *right, radius)
    assert_identical(run(search, 2, *left, *right, radius), one)
    if search == "pairs":  # and both are right
        exp = brute_pairs(*left, *right, radius)
        np.testing.assert_array_equal(one.left, exp[0])
        np.testing.assert_array_equal(one.right, exp[1])


@SETTINGS
@given(skies(max_size=60), skies(max_size=60), st.data())
def test_per_row_radii_on_either_side(left, right, data):
    radius_of = data.draw(st.sampled_from(["left", "right"]))
    n = left[0].size if radius_of == "left" else right[0].size
    radii = np.array(data.draw(st.lists(radius_values, min_size=n, max_size=n)))
    search = data.draw(st.sampled_from(list(SEARCHES)))
    one = run(search, 1, *left, *right, radii, radius_of=radius_of)
    assert_identical(run(search, 2, *left, *right, radii, radius_of=radius_of), one)


@SETTINGS
@given(skies(max_size=60), skies(max_size=60), radius_values, st.sampled_from(list(SEARCHES)))
def test_numpy_path_gives_the_compiled_answer(left, right, radius, search):
    if not compiled_available():
        pytest.skip("numba (the fast extra) is not installed")
    compiled = run(search, 2, *left, *right, radius)
    assert_identical(run(search, 2, *left, *right, radius, compiled=False), compiled)
    assert_identical(run(search, 1, *left, *right, radius, compiled=False), compiled)


def _sky(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))


EMPTY = (np.zeros(0), np.zeros(0))
ONE_CELL = (np.full(300, 10.0) + np.arange(300) * 1e-9, np.full(300, -20.0))  # one cell, ties
POLE = (np.linspace(0, 359, 200), np.full(200, 90.0))  # every RA at the pole: one point


@pytest.mark.parametrize(
    ("left", "right", "radius"),
    [
        (EMPTY, _sky(100, 1), 1.0),
        (_sky(100, 1), EMPTY, 1.0),
        (EMPTY, EMPTY, 1.0),
        (ONE_CELL, ONE_CELL, 1e-6),
        (ONE_CELL, _sky(500, 2), 30.0),
        (POLE, POLE, 0.0),
        (_sky(400, 3), _sky(900, 4), 5.0),
        (_sky(400, 3), _sky(900, 4), 180.0),  # every pair, separations beyond 90 degrees
    ],
)
@pytest.mark.parametrize("search", list(SEARCHES))
def test_edge_cases(left, right, radius, search):
    one = run(search, 1, *left, *right, radius)
    assert_identical(run(search, 2, *left, *right, radius), one)
    if compiled_available():
        assert_identical(run(search, 2, *left, *right, radius, compiled=False), one)


@pytest.mark.parametrize("radius_of", ["left", "right"])
def test_radius_groups_on_two_threads(radius_of):
    """Radii spread over several factors of RADIUS_SPREAD: each group is split too."""
    left, right = _sky(700, 5), _sky(500, 6)
    n = 700 if radius_of == "left" else 500
    radii = np.geomspace(1e-3, 20.0, n)[np.random.default_rng(7).permutation(n)]
    one = run("pairs", 1, *left, *right, radii, radius_of=radius_of)
    assert len(one) > 300
    assert_identical(run("pairs", 2, *left, *right, radii, radius_of=radius_of), one)


def test_the_join_uses_a_helper_thread(monkeypatch):
    names = []
    helper_started = threading.Event()
    real = _join._occupied

    def spy(*args):
        name = threading.current_thread().name
        if name.startswith("daxa-sky"):
            helper_started.set()
        else:  # the caller leaves the parts to the helper until it has started (not timing)
            helper_started.wait(timeout=60)
        names.append(name)
        return real(*args)

    monkeypatch.setattr(_join, "_occupied", spy)
    with engine(2):
        pair_search(*_sky(3000, 8), *_sky(200, 9), 2.0)
    assert len(names) == 600  # one per block of 5 probe rows
    assert helper_started.is_set()
    assert any(n.startswith("daxa-sky") for n in names)


def test_serial_inside_a_chunk_worker_a_dask_worker_and_a_helper():
    with engine(2):
        assert _parallel.threads_for(10**9, 1) == 2
        for prefix in ("daxa-chunk", "worker-1-Dask-Default-Threads"):
            with ThreadPoolExecutor(1, thread_name_prefix=prefix) as pool:
                assert pool.submit(_parallel.threads_for, 10**9, 1).result() == 1
        inner = _parallel.map_parts(
            lambda i: (threading.current_thread().name, _parallel.threads_for(10**9, 1)), 8, 2
        )
    for name, threads in inner:  # a helper's own calls are serial, the caller's are not
        assert threads == (1 if name.startswith("daxa-sky") else 2)


def test_calls_from_two_threads_at_once_are_each_right():
    """The shape of daxa's chunk pool: two searches at once, each wanting a helper."""
    left, right = _sky(5000, 10), _sky(3000, 11)
    with engine(1):
        expected = pair_search(*left, *right, 1.5)
    with engine(2), ThreadPoolExecutor(2) as pool:
        got = [f.result() for f in [pool.submit(pair_search, *left, *right, 1.5) for _ in range(4)]]
    for g in got:
        assert_identical(g, expected)


def test_an_error_in_a_part_is_raised_after_every_thread_stopped():
    def fn(i: int) -> int:
        if i == 5:
            raise ValueError("part 5")
        return i

    with pytest.raises(ValueError, match="part 5"):
        _parallel.map_parts(fn, 40, 2)
    assert _parallel.map_parts(lambda i: i * i, 9, 2) == [i * i for i in range(9)]


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_bad_daxa_threads_is_our_error(monkeypatch, value):
    monkeypatch.setenv("DAXA_THREADS", value)
    with pytest.raises(InputError, match="DAXA_THREADS"):
        _parallel.max_threads()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 300), max_size=300), st.integers(0, 130))
def test_compiled_cell_index_is_numpys(cells, spare):
    """The counting sort gives numpy's occupancy bits, ranks, offsets and stable order."""
    if not compiled_available():
        pytest.skip("numba (the fast extra) is not installed")
    cell = np.array(cells, dtype=np.int64)
    n_cells = int(cell.max(initial=0)) + 1 + spare
    got = _cell_table._index_cells(cell, n_cells)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_cell_table, "compiled_kernels", lambda: None)
        expected = _cell_table._index_cells(cell, n_cells)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)


def _split_search_in_child() -> int:
    with engine(2):
        return len(pair_search(*_sky(2000, 12), *_sky(300, 13), 3.0))


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")
def test_a_forked_child_gets_its_own_helpers():
    """A child forked after the parent made its helpers has none of their threads: it must
    make its own rather than wait for threads that do not exist."""
    import multiprocessing

    expected = _split_search_in_child()  # the parent's helpers now exist
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_split_search_in_child).get(timeout=60) == expected


def test_cap_walk_totals_are_the_same_on_one_thread_two_and_in_a_chunk_worker():
    """The walk of field cells splits over the helpers; inside a chunk worker it is serial."""
    from daxa.sky import cap_cover

    if not cap_cover.available():
        pytest.skip("numba (the fast extra) is not installed")
    ra, dec = _sky(4000, 14)
    f_ra, f_dec = _sky(2500, 15)
    rng = np.random.default_rng(16)
    fields = cap_cover.prepare_fields(
        f_ra, f_dec, rng.uniform(0.5, 40.0, (2, 2500)), rng.integers(0, 100, (2, 2500)),
        np.arange(2500), np.arange(2500) + 3,
    )  # fmt: skip
    tree = cap_cover.build_tree(ra, dec)
    one = cap_cover.cap_totals(tree, fields, threads=1)
    n_leaves = int(np.count_nonzero(fields.tree.child_lo < 0))
    with engine(2):
        assert cap_cover._threads(None, n_leaves) == 2  # the default walk is split here ...
        default = cap_cover.cap_totals(tree, fields)
        with ThreadPoolExecutor(1, thread_name_prefix="daxa-chunk") as pool:
            assert pool.submit(cap_cover._threads, None, n_leaves).result() == 1  # ... not here
            in_chunk = pool.submit(cap_cover.cap_totals, tree, fields).result()
    assert one.count.sum() > 0
    for got in (default, in_chunk):
        for name in ("count", "weight", "first", "last"):
            np.testing.assert_array_equal(getattr(got, name), getattr(one, name))


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    cell_deg=st.floats(0.01, 20.0),
    share=st.floats(1e-6, 0.25),
    per_cone=st.booleans(),
)
def test_compiled_small_cover_holds_the_numpy_cover(seed, cell_deg, share, per_cone):
    """Small cones (a quarter of a zone at most) are covered by a compiled pass whose RA
    half-width bounds asin from above instead of calling numpy's: every cell of the numpy
    cover is in it, in cone order, and on random skies it is the numpy cover itself (an
    extra cell would need a bin edge within 1e-12 of a cone's edge). Poles, RA 0/360 and
    cones whose zone is a single bin included."""
    if _zones._compiled_cover() is None:
        pytest.skip("numba (the fast extra) is not installed")
    rng = np.random.default_rng(seed)
    n = 400
    ra, dec = rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    ra[:6] = [0.0, np.nextafter(360.0, 0.0), 180.0, 0.0, 359.9999999, 90.0]
    dec[:6] = [90.0, -90.0, 0.0, -89.99, 89.9999, np.nextafter(90.0, 0.0)]
    grid = _zones.zone_grid(cell_deg)
    top = 0.25 * grid.height - 2 * _zones.PAD_DEG
    radius = rng.uniform(0.0, share * top, n) if per_cone else np.array([share * top])
    point, cell = grid.cover(ra, dec, radius)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_zones, "_compiled_cover", lambda: None)
        e_point, e_cell = grid.cover(ra, dec, radius)
    assert point.dtype == e_point.dtype == cell.dtype == e_cell.dtype == np.int64
    assert np.all(np.diff(point) >= 0)
    got = set(zip(point.tolist(), cell.tolist(), strict=True))
    expected = set(zip(e_point.tolist(), e_cell.tolist(), strict=True))
    assert expected <= got
    assert len(got) == point.size  # no cell twice for a cone
    np.testing.assert_array_equal(point, e_point)
    np.testing.assert_array_equal(cell, e_cell)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 3 * (1 << 14) + 5), seed=st.integers(0, 2**16), ordered=st.booleans())
def test_unit_vectors_made_in_blocks_are_the_same_bits(n, seed, ordered):
    """The build side's unit vectors, made a block of rows at a time (in the order given, as
    the table's order is), are the bits of one pass of ``xyz`` over all the rows: block
    edges, a last short block, no rows at all."""
    from daxa.sky._cell_table import RECORD_BLOCK, _records, unit_records
    from daxa.sky.geometry import xyz

    assert RECORD_BLOCK == 1 << 14  # the sizes drawn above straddle its edges
    rng = np.random.default_rng(seed)
    ra, dec = rng.uniform(0, 360, n), rng.uniform(-90, 90, n)
    rows = rng.permutation(n) if ordered else np.arange(n)
    got = unit_records(ra, dec, rows)
    want = _records(*xyz(ra, dec)) if not ordered else _records(*xyz(ra[rows], dec[rows]))
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.view(np.float64), want.view(np.float64))
