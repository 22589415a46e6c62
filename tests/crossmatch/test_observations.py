"""Positions × observations: against astropy, brute force, the positions filters, and itself
(chunked, streamed, HATS and Dask runs give the in-memory rows)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from daxa.crossmatch import CrossmatchWarning, match_observations, read_hats
from daxa.errors import InputError
from daxa.filters import Positions, PositionsAtTime
from daxa.filters._examples import observation_table
from daxa.missions.coverage import default_row_radius

from ._brute import all_pairs
from .conftest import awkward_positions, check_early_memory_warning, shared_data, wide_swift_sky

KEY = ["pos_index", "mission", "obs_id"]


def test_known_pairs_against_astropy():
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    table = observation_table("xmm_pointed", [10.0, 200.0, 359.95], [20.0, -30.0, 0.0])
    positions = pl.DataFrame(
        {"RA": [10.1, 200.0, 0.05, 100.0], "DE": [20.05, -30.29, 0.01, 0.0], "id": list("abcd")}
    )
    got = match_observations(
        positions, tables={"xmm_pointed": table}, ra="RA", dec="DE", id="id", progress=False
    )
    assert isinstance(got, pl.DataFrame)
    assert got.select("row_id", "obs_id").rows() == [
        ("a", "0000000000"),
        ("b", "0000000001"),
        ("c", "0000000002"),
    ]
    want = SkyCoord([10.1, 200.0, 0.05] * u.deg, [20.05, -30.29, 0.01] * u.deg).separation(
        SkyCoord([10.0, 200.0, 359.95] * u.deg, [20.0, -30.0, 0.0] * u.deg)
    )
    np.testing.assert_allclose(got["separation_deg"].to_numpy(), want.deg, rtol=0, atol=1e-12)
    assert got["instruments"].to_list() == [["M1", "M2", "PN"]] * 3  # 0.3° = 1.2 × 15'
    assert got.schema["instruments"] == pl.List(pl.String)
    assert got["pos_ra"].to_list() == [10.1, 200.0, 0.05]


def _filter_rows(positions: pl.DataFrame, tables, radius) -> pl.DataFrame:
    parts = []
    for mission, table in tables.items():
        r = radius
        if isinstance(radius, dict):
            from daxa.crossmatch.mission_tables import _radius_for_mission
            from daxa.missions import get_mission

            r = _radius_for_mission(radius, get_mission(mission))
        flt = Positions(positions.select("ra", "dec"), r)
        parts.append(flt.associate(table, mission=mission))
    out = pl.concat(parts)
    return out.sort(KEY)


@pytest.mark.parametrize(
    "radius",
    [None, 0.7, {"XRT": 0.3, "BAT": 3.0, "PSPC": 1.0}, "per-row"],
    ids=["default", "scalar", "mapping", "per-row"],
)
def test_same_pairs_as_the_positions_filter(tables, radius):
    chosen = {m: tables[m] for m in ("xmm_pointed", "swift", "rosat_all_sky")}
    positions = awkward_positions(250, seed=3)
    if radius == "per-row":
        radius = np.linspace(0.05, 2.0, positions.height)
    got = match_observations(positions, tables=chosen, radius=radius, progress=False)
    want = _filter_rows(positions, chosen, radius)
    assert got.height == want.height > 50
    assert_frame_equal(got.sort(KEY).select(want.columns), want)


def test_default_radius_matches_brute_force(tables):
    positions = awkward_positions(200, seed=4)
    got = match_observations(positions, tables=tables, progress=False)
    for mission, table in tables.items():
        sep = all_pairs(positions["ra"], positions["dec"], table["ra"], table["dec"])
        radius = default_row_radius(table, mission)
        i, j = np.nonzero(sep <= np.where(np.isnan(radius), -1.0, radius)[None, :])
        mine = got.filter(pl.col("mission") == mission)
        assert sorted(zip(mine["pos_index"], mine["obs_id"], strict=True)) == sorted(
            zip(i.tolist(), table["obs_id"].gather(j).to_list(), strict=True)
        )


def test_chunked_streamed_hats_and_in_memory_agree(tables, tmp_path):
    positions = awkward_positions(1500, seed=5)
    whole = match_observations(positions, tables=tables, id="name", progress=False)
    chunked = match_observations(
        positions, tables=tables, id="name", chunk_rows=120, progress=False
    )
    assert whole.height > 1000
    assert_frame_equal(chunked, whole)
    path = match_observations(
        positions,
        tables=tables,
        id="name",
        chunk_rows=120,
        output=tmp_path / "m.parquet",
        progress=False,
    )
    streamed = pl.read_parquet(path)
    hpx = streamed["_healpix_29"]
    assert hpx.is_sorted()  # HEALPix order, ready for HATS
    from daxa.missions import mission_names

    rank = {m: i for i, m in enumerate(mission_names())}
    resorted = streamed.drop("_healpix_29").sort(
        ["pos_index", pl.col("mission").replace_strict(rank), "separation_deg"],
        maintain_order=True,
    )
    assert_frame_equal(resorted, whole)
    hats = match_observations(
        positions,
        tables=tables,
        id="name",
        chunk_rows=400,
        output=tmp_path / "h",
        output_format="hats",
        progress=False,
    )
    back = read_hats(hats).drop("_healpix_29").sort(KEY)
    assert_frame_equal(back, whole.sort(KEY))


def test_time_windows_flag_and_overlap_only():
    base = datetime(2020, 1, 1, tzinfo=UTC)
    starts = [base + timedelta(days=d) for d in (0, 10, 20, 30)]
    table = observation_table(
        "xmm_pointed",
        [10.0, 10.0, 10.0, 10.0],
        [0.0] * 4,
        start=starts,
        end=[s + timedelta(days=1) for s in starts],
    )
    positions = pl.DataFrame(
        {
            "ra": [10.0, 10.05, 10.0],
            "dec": [0.0, 0.0, 0.0],
            "t0": [base + timedelta(days=11), base + timedelta(days=25), None],
        }
    )
    got = match_observations(
        positions,
        tables={"xmm_pointed": table},
        epoch="t0",
        window=(timedelta(days=2), timedelta(days=0)),
        progress=False,
    )
    flags = {(r["pos_index"], r["obs_id"]): r["time_overlap"] for r in got.iter_rows(named=True)}
    # [t0 - 2 d, t0]: position 0 sees obs 1 (days 10-11); position 1 sees none (days 23-25)
    assert flags[(0, "0000000001")] is True
    assert flags[(0, "0000000000")] is False
    assert not any(v for (p, _), v in flags.items() if p == 1)
    assert all(v is None for (p, _), v in flags.items() if p == 2)  # no epoch: unknown
    only = match_observations(
        positions,
        tables={"xmm_pointed": table},
        start="t0",
        end="t0",
        overlap_only=True,
        progress=False,
    )
    assert only.select("pos_index", "obs_id").rows() == [(0, "0000000001")]
    # bounds are inclusive: a window touching an observation's end overlaps it
    touch = positions.with_columns(t0=pl.lit(base + timedelta(days=11)))
    hit = match_observations(
        touch.head(1),
        tables={"xmm_pointed": table},
        start="t0",
        end="t0",
        overlap_only=True,
        progress=False,
    )
    assert hit["obs_id"].to_list() == ["0000000001"]


def test_time_windows_match_brute_force(tables):
    table = tables["swift"]
    rng = np.random.default_rng(8)
    positions = awkward_positions(300, seed=8)
    t_lo = table["start"].min().timestamp()  # type: ignore[union-attr]
    t_hi = table["end"].max().timestamp()  # type: ignore[union-attr]
    epochs = rng.uniform(t_lo, t_hi, positions.height)
    positions = positions.with_columns(
        t0=pl.Series((epochs * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC"))
    )
    window = timedelta(days=300)
    got = match_observations(
        positions, tables={"swift": table}, epoch="t0", window=window, progress=False
    )
    sep = all_pairs(positions["ra"], positions["dec"], table["ra"], table["dec"])
    radius = default_row_radius(table, "swift")
    near = sep <= np.where(np.isnan(radius), -1.0, radius)[None, :]
    e = positions["t0"].dt.epoch("us").to_numpy()[:, None]
    w = int(window.total_seconds() * 1e6)
    s = table["start"].dt.epoch("us").to_numpy()[None, :]
    t = table["end"].dt.epoch("us").to_numpy()[None, :]
    overlap = near & (s <= e + w) & (t >= e - w)
    assert got.height == int(near.sum())
    assert int(got["time_overlap"].sum()) == int(overlap.sum()) > 0


def test_supernovae_against_the_positions_at_time_filter():
    """1,000 real SNe Ia against the 2,447 real eRASS1 DE tiles, windows from one year before
    to 30 days after discovery: the same observations as the positions-at-time filter."""
    folder = shared_data()
    if folder is None or not (folder / "samples" / "sn1a_samp.csv").is_file():
        pytest.skip("../shared/data is not present")
    from daxa.missions.erosita import normalise_erass1_de

    erass1 = normalise_erass1_de(
        pl.read_csv(folder / "erosita" / "erass_de_dr1_info.csv", infer_schema=False)
    )
    sn = pl.read_csv(folder / "samples" / "sn1a_samp.csv")
    assert sn.height == 1000
    disc = sn["discoverydate"].str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_zone="UTC")
    before, after = timedelta(days=365), timedelta(days=30)
    flt = PositionsAtTime(sn.select("ra", "declination"), disc - before, disc + after)
    want = flt.associate(erass1, mission="erosita_all_sky_de_dr1").sort(KEY)
    got = match_observations(
        sn,
        tables={"erosita_all_sky_de_dr1": erass1},
        dec="declination",
        id="name",
        epoch="discoverydate",
        window=(before, after),
        overlap_only=True,
        progress=False,
    )
    assert want.height > 0
    assert_frame_equal(got.sort(KEY).select(want.columns), want)
    assert got["row_id"].is_in(sn["name"].to_list()).all()


def test_dask_equals_local(tables, dask_client):
    positions = awkward_positions(800, seed=9)
    local = match_observations(positions, tables=tables, chunk_rows=150, progress=False)
    remote = match_observations(
        positions, tables=tables, chunk_rows=150, client=dask_client, progress=False
    )
    assert local.height > 500
    assert_frame_equal(remote, local)


def test_nan_coordinates_are_reported_and_skipped(tables):
    positions = awkward_positions(50, seed=1).with_columns(
        ra=pl.when(pl.int_range(pl.len()).is_in([3, 7])).then(None).otherwise(pl.col("ra")),
        dec=pl.when(pl.int_range(pl.len()) == 9).then(float("nan")).otherwise(pl.col("dec")),
    )
    with pytest.warns(CrossmatchWarning, match=r"3 of 50 catalogue rows .*\(rows 3, 7, 9\)"):
        got = match_observations(positions, tables=tables, progress=False)
    assert not got["pos_index"].is_in([3, 7, 9]).any()
    clean = positions.filter(~pl.int_range(pl.len()).is_in([3, 7, 9]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ref = match_observations(clean, tables=tables, progress=False)
    index = pl.Series(np.flatnonzero(~np.isin(np.arange(50), [3, 7, 9])))
    assert_frame_equal(got, ref.with_columns(pos_index=index.gather(ref["pos_index"])))


def test_bad_inputs_name_the_problem(tables, tmp_path):
    positions = awkward_positions(10)
    with pytest.raises(InputError, match=r"no column 'RAJ2000'.*columns are: ra, dec, name"):
        match_observations(positions, tables=tables, ra="RAJ2000", progress=False)
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="broken.parquet"):
        match_observations(bad, tables=tables, progress=False)
    with pytest.raises(InputError, match="does not exist"):
        match_observations(tmp_path / "missing.csv", tables=tables, progress=False)
    with pytest.raises(InputError, match=r"cannot tell how to read .*\.xlsx"):
        (tmp_path / "t.xlsx").write_text("x")
        match_observations(tmp_path / "t.xlsx", tables=tables, progress=False)
    with pytest.raises(InputError, match="'NOPE' name no mission and no instrument"):
        match_observations(positions, tables=tables, radius={"NOPE": 1.0}, progress=False)
    with pytest.raises(InputError, match="epoch='t' needs window="):
        match_observations(positions, tables=tables, epoch="t", progress=False)
    with pytest.raises(InputError, match="3 radii given for 10 catalogue rows"):
        match_observations(positions, tables=tables, radius=[1.0, 2.0, 3.0], progress=False)
    with pytest.raises(InputError, match="overlap_only=True needs time windows"):
        match_observations(positions, tables=tables, overlap_only=True, progress=False)


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rho=st.floats(0.0, 179.0),
    form=st.sampled_from(["per_row", "scalar", "per_position"]),
    big=st.booleans(),
)
def test_reachable_keeps_every_row_within_reach(seed, rho, form, big):
    """Squared-chord bounds never drop a row that the angular separation says can reach the
    cap, and keep hardly any more (radii up to 180 degrees, caps up to the whole sky)."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    from daxa.crossmatch.mission_tables import MissionTable, reachable
    from daxa.sky.geometry import angular_separation

    rng = np.random.default_rng(seed)
    n, m = 400, 40
    top = 180.0 if big else 2.0
    radius: Any = {"per_row": rng.uniform(0, top, n), "scalar": float(rng.uniform(0, top))}.get(
        form
    )
    c_ra, c_dec = float(rng.uniform(0, 360)), float(rng.uniform(-90, 90))
    r_pos = float(rng.uniform(0, top))
    reach = np.asarray(r_pos if radius is None else radius)
    ra, dec = rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    # the last m rows sit right on the edge of their reach, in random directions
    edge = np.minimum(rho + np.broadcast_to(reach, (n,))[-m:], 180.0)
    on_edge = SkyCoord(c_ra * u.deg, c_dec * u.deg).directional_offset_by(
        rng.uniform(0, 360, m) * u.deg, edge * u.deg
    )
    ra[-m:], dec[-m:] = on_edge.ra.deg, on_edge.dec.deg
    empty = np.zeros(n, dtype=np.int64)
    table = MissionTable(
        "m", 0, (), pl.Series([""] * n), ra, dec, empty, empty, radius, None, pl.DataFrame()
    )
    sep = angular_separation(ra, dec, c_ra, c_dec)
    got = reachable(table, (c_ra, c_dec, rho), r_pos)
    must = np.flatnonzero(sep <= rho + reach + 1e-9)
    assert np.isin(must, got).all()
    assert (sep[got] <= rho + np.broadcast_to(reach, sep.shape)[got] + 1e-6).all()


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(0, 7),
    with_radii=st.booleans(),
    with_nan=st.booleans(),
)
def test_covering_patterns_follow_the_covering_lists_rule(seed, k, with_radii, with_nan):
    """The codes and distinct lists of a chunk give, pair by pair, the lists of
    ``covering_lists`` (observed, and within radius plus slack), ties on the edge included."""
    from types import SimpleNamespace

    from daxa.crossmatch.observation_chunks import _covering_patterns, observed_codes
    from daxa.missions.coverage import EDGE_DEG, covering_lists

    rng = np.random.default_rng(seed)
    names = tuple(f"I{b}" for b in range(k))
    observed = rng.random((50, k)) < 0.7
    radii = rng.choice([0.1, 0.2, 0.5, 1.0], k) if with_radii else None
    if radii is not None and with_nan and k:
        radii[rng.integers(0, k)] = np.nan
    trow = rng.integers(0, 50, 2000)
    sep = rng.uniform(0, 1.2, 2000)
    if radii is not None and k:  # some separations exactly on an instrument's edge
        sep[:300] = radii[rng.integers(0, k, 300)] + EDGE_DEG
    plan = SimpleNamespace(observed=observed, instrument_radii=radii)
    table: Any = SimpleNamespace(plan=plan, instruments=names)
    index, lists = _covering_patterns(table, observed_codes(table), trow, sep)
    got = [lists[i] for i in index.tolist()]
    assert got == covering_lists(observed, trow, sep, radii, names).to_list()
    # both go through missions.coverage; the rule itself, written out, is the independent answer
    covers = observed[trow]
    if radii is not None:
        covers = covers & (sep[:, None] <= radii[None, :] + EDGE_DEG)
    assert got == [[n for n, c in zip(names, row, strict=True) if c] for row in covers.tolist()]


def test_pairs_larger_than_the_budget_in_memory_say_so_before_they_start(tmp_path):
    """Four Swift pointings with BAT's 60-degree fields: 20,000 positions make ~16,000 pairs
    (about 1 MB kept in memory), more than a 0.5 MB budget. The warning comes first, names
    the size and the remedies, and its estimate is near the real count; with ``output=`` or
    within the budget nothing is said."""
    table, cat = wide_swift_sky()

    def run(**kw: Any) -> Any:
        return match_observations(cat, tables={"swift": table}, progress=False, **kw)

    check_early_memory_warning(
        run,
        "pairs",
        "0.5MB",
        r"match_observations: about [\d,]+ pairs \(~1\.\d MB.*memory_budget=0\.5 MB; "
        r"give output=.*instruments=.*coverage_summary",
        tmp_path / "p.parquet",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(memory_budget="1GB")
