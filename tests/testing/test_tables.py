"""The raw-table generators: contract, raw formats, edge rows at every size, realism, speed."""

from __future__ import annotations

import time

import numpy as np
import polars as pl
import pytest

from daxa.errors import InputError
from daxa.testing import shared_data_dir
from daxa.testing.tables import SMALL_SIZES, TABLES, generate_table
from daxa.testing.tables._common import FAMOUS, TABLE_MJD, mjd
from daxa.testing.tables.erosita import CALPV_COLUMNS, ERASS1_COLUMNS, erass1_tiles
from daxa.testing.tables.integral import rev_start

HEASARC = [t for t in TABLES if not t.endswith(".csv") and t != "v_all_observations"]

#: raw table → (ObsID column, its dtype as a VOTable parse gives it)
OBSID = {
    "chanmaster": ("obsid", pl.Int32),
    "ascamaster": ("sequence_number", pl.Int32),
    "numaster": ("obsid", pl.String),
    "xmmmaster": ("obsid", pl.String),
    "v_all_observations": ("observation_id", pl.String),
    "rosmaster": ("seq_id", pl.String),
    "rassmaster": ("seq_id", pl.String),
    "swiftmastr": ("obsid", pl.String),
    "suzamaster": ("obsid", pl.String),
    "intscwpub": ("scw_id", pl.String),
    "xrismmastr": ("obsid", pl.String),
    "erosita_calpv_info.csv": ("ObsID", pl.String),
    "erass_de_dr1_info.csv": ("ObsID", pl.String),
}

#: table → (start column, first MJD, last MJD) of the mission's life
LIFETIMES = {
    "chanmaster": ("time", mjd(1999, 7, 23), TABLE_MJD + 90),
    "numaster": ("time", mjd(2012, 6, 13), TABLE_MJD + 90),
    "xmmmaster": ("time", mjd(1999, 12, 10), TABLE_MJD + 90),
    "rosmaster": ("start_time", mjd(1990, 6, 1), mjd(1999, 2, 12)),
    "rassmaster": ("start_date", mjd(1990, 6, 1), mjd(1991, 8, 14)),
    "swiftmastr": ("start_time", mjd(2004, 11, 20), TABLE_MJD),
    "suzamaster": ("time", mjd(2005, 7, 10), mjd(2015, 6, 1)),
    "ascamaster": ("time", mjd(1993, 2, 20), mjd(2000, 7, 15)),
    "intscwpub": ("start_date", mjd(2002, 10, 17), mjd(2025, 3, 1)),
    "xrismmastr": ("time", mjd(2023, 9, 7), TABLE_MJD + 200),
}


def test_contract_sizes():
    assert TABLES["swiftmastr"] == 373182 and TABLES["chanmaster"] == 24786
    assert TABLES["erass_de_dr1_info.csv"] == 2447 and TABLES["erosita_calpv_info.csv"] == 170
    assert set(SMALL_SIZES) == set(TABLES)
    for table, n in SMALL_SIZES.items():
        assert 100 <= n <= 500 and n <= TABLES[table]
        assert generate_table(table).height == n


def test_unknown_table_and_bad_size_are_input_errors():
    with pytest.raises(InputError, match="no generator for table 'chanmastr'"):
        generate_table("chanmastr")
    with pytest.raises(InputError, match="n_rows must be at least 1"):
        generate_table("numaster", 0)


@pytest.mark.parametrize("table", list(TABLES))
def test_raw_format_names_and_obsid_types(table):
    df = generate_table(table)
    col, dtype = OBSID[table]
    assert df.schema[col] == dtype
    if table in HEASARC or table == "v_all_observations":
        assert all(c == c.lower() for c in df.columns)
        assert df.schema["ra"] == pl.Float64 and df.schema["dec"] == pl.Float64
    if table in LIFETIMES:
        assert df.schema[LIFETIMES[table][0]] == pl.Float64  # MJD floats


def test_erosita_lists_have_the_real_headers_as_strings():
    calpv, tiles = generate_table("erosita_calpv_info.csv"), generate_table("erass_de_dr1_info.csv")
    assert calpv.columns == CALPV_COLUMNS and tiles.columns == ERASS1_COLUMNS
    assert set(calpv.dtypes) == {pl.String} and set(tiles.dtypes) == {pl.String}


@pytest.mark.parametrize("table", list(TABLES))
def test_deterministic_per_seed(table):
    a, b = generate_table(table, seed=7), generate_table(table, seed=7)
    assert a.equals(b)
    if not table.endswith(".csv") or shared_data_dir() is None:
        assert not a.equals(generate_table(table, seed=8))


@pytest.mark.parametrize("table", list(LIFETIMES))
def test_times_within_the_mission_life(table):
    col, first, last = LIFETIMES[table]
    t = generate_table(table, 2000)[col]
    if table == "numaster":  # approved, unobserved targets carry the real placeholder time = 0
        assert (t == 0).sum() >= 1
        t = t.filter(t != 0)
    assert t.min() >= first and t.max() <= last


def _has(df: pl.DataFrame, expr: pl.Expr) -> bool:
    return df.filter(expr).height > 0


@pytest.mark.parametrize("n", ["small", 1000])
def test_edge_rows_present_at_every_size(n):
    def gen(table: str) -> pl.DataFrame:
        return generate_table(table, None if n == "small" else min(int(n), TABLES[table]))

    c = pl.col
    xsa = gen("v_all_observations")
    assert _has(xsa, c("observation_id").str.starts_with("9"))
    assert _has(xsa, c("ra").is_null() | c("ra").is_nan())
    assert _has(xsa, (c("ra") == 0) & (c("dec") == 0))
    assert _has(xsa, ~c("with_science"))
    assert _has(xsa, c("proprietary_end_date").is_null())

    xmm = gen("xmmmaster")
    assert _has(xmm, c("obsid").str.starts_with("9"))
    assert _has(xmm, c("ra").is_nan()) and _has(xmm, c("ra").is_null())
    assert _has(xmm, (c("ra") == 0) & (c("dec") == 0))
    assert set(xmm["status"]) >= {"archived", "processed", "scheduled", "observed", "accepted"}
    assert _has(xmm, c("public_date") == 0) and _has(xmm, c("public_date") == 416422)
    assert _has(xmm, c("data_in_heasarc") == "N")

    ch = gen("chanmaster")
    row = ch.filter(c("obsid") == 6616).row(0, named=True)
    assert row["exposure"] == 49_578_750.0 and row["grating"] == "HETG"
    assert set(ch["status"]) >= {"archived", "processed", "observed", "scheduled", "unobserved"}
    assert set(ch["detector"]) == {"ACIS-I", "ACIS-S", "HRC-I", "HRC-S"}
    assert set(ch["grating"]) == {"NONE", "HETG", "LETG"}
    assert set(ch["type"]) >= {"TOO", "DDT", "CAL", "GO"}
    assert _has(ch, c("class") == "GRAVITATIONAL WAVE COUNTERPARTS")
    assert _has(ch, c("public_date") == 0) and _has(ch, c("data_mode").is_null())

    nu = gen("numaster")
    assert _has(nu, c("observation_mode") != "SCIENCE")
    assert set(nu["spacecraft_mode"]) >= {"INERTIAL", "STELLAR", "SLEW"}
    assert _has(nu, (c("ontime_a") == 0) & (c("ontime_b") == 0) & (c("status") == "archived"))
    assert _has(nu, (c("status") == "accepted") & (c("exposure_a") < 0))
    assert _has(nu, c("public_date").is_null())

    ros = gen("rosmaster")
    assert _has(ros, c("instrument") == "PSPC") and _has(ros, c("exposure") == 0)
    assert set(ros["subj_cat"].drop_nulls()) >= {0, 10, 11}
    assert _has(gen("rassmaster"), c("exposure") == 0)

    sw = gen("swiftmastr")
    assert _has(sw, (c("xrt_exposure") == 0) & (c("uvot_exposure") == 0) & (c("bat_exposure") == 0))
    sz = gen("suzamaster")
    assert _has(sz, pl.all_horizontal(c(f"xis{i}_expo") == 0 for i in range(4)))
    assert set(sz["category_code"]) >= {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12}
    asca = gen("ascamaster")
    assert _has(asca, (c("gis_exposure") == 0) & (c("sis_exposure") == 0))
    assert _has(asca, c("subject_category") == "GAMMA RAY BURSTS")

    ig = gen("intscwpub")
    good = [f"good_{i}" for i in ("jemx1", "jemx2", "isgri", "picsit", "spi")]
    assert _has(ig, pl.all_horizontal(c(g) == 0 for g in good))
    assert _has(ig, c("data_in_heasarc") == "N")
    assert "scw_type" not in ig.columns  # intscwpub lists pointings only

    xr = gen("xrismmastr")
    assert _has(xr, c("exposure") == 0)
    assert _has(xr, c("public_date") == 0) and _has(xr, c("public_date") == 88068)
    assert _has(xr, c("subject_category") == "Dark Matter Searches")

    tiles = gen("erass_de_dr1_info.csv")
    assert _has(tiles, c("START").str.ends_with(":60") | c("END").str.ends_with(":60"))


def _sep_arcmin(ra1, dec1, ra2, dec2):
    r1, d1, r2, d2 = map(np.radians, (ra1, dec1, ra2, dec2))
    cos = np.sin(d1) * np.sin(d2) + np.cos(d1) * np.cos(d2) * np.cos(r1 - r2)
    return np.degrees(np.arccos(np.clip(cos, -1, 1))) * 60


def test_repeated_pointings_cluster_on_famous_targets():
    ch = generate_table("chanmaster", 5000)
    ra0, dec0 = FAMOUS["CRAB"]
    sep = _sep_arcmin(ch["ra"].to_numpy(), ch["dec"].to_numpy(), ra0, dec0)
    assert (sep < 5).sum() >= 50  # the most popular target has many repeat pointings
    sw = generate_table("swiftmastr", 20000)
    target = sw["obsid"].str.slice(0, 8)
    per_target = target.value_counts()["count"]
    assert per_target.max() >= 100 and (per_target == 1).sum() > 100  # heavy tail


def test_integral_science_windows_dither_around_targets():
    ig = generate_table("intscwpub", 4000)
    assert ig["scw_id"].str.contains(r"^\d{12}$").all()
    assert ig["scw_id"].str.ends_with("0010").all()
    ra, dec = ig["ra"].to_numpy(), ig["dec"].to_numpy()
    step = _sep_arcmin(ra[:-1], dec[:-1], ra[1:], dec[1:]) / 60
    # consecutive windows move by the dither steps: 2.17° (5x5) and 2° (hexagonal) dominate
    near = lambda d: np.mean(np.abs(step - d) < 0.1)  # noqa: E731
    assert near(2.17) > 0.2 and near(2.0) > 0.02
    rev = ig["scw_id"].str.slice(0, 4).cast(pl.Int64).to_numpy()
    start = ig["start_date"].to_numpy()
    assert np.all(start >= rev_start(rev)) and np.all(start < rev_start(rev + 1))


def test_rass_fields_tile_the_whole_sky():
    ras = generate_table("rassmaster", 1378)
    dec = ras["dec"].to_numpy()
    assert ras["seq_id"].str.contains(r"^RS\d{6}N00$").all()
    assert dec.max() == 90.0 and dec.min() == -90.0
    # equal-area-ish: fields per Dec band follow cos(dec)
    band = ras.group_by("dec").len().sort("dec")
    eq = band.filter(pl.col("dec") == 0)["len"][0]
    mid = band.filter(pl.col("dec") == 61.875)["len"][0]
    assert abs(mid / eq - np.cos(np.radians(61.875))) < 0.1


def test_erass1_stand_in_tiles_follow_the_rrrddd_scheme():
    tiles = erass1_tiles()
    assert tiles["tile"].n_unique() == tiles.height
    band_equator = tiles.filter(pl.col("dec") == 0.0)
    assert band_equator.height == 120 and (band_equator["band"] == 90).all()
    south_cap = tiles.filter(pl.col("dec") == -90.0)
    assert south_cap["tile"].to_list() == ["001180"]
    row = tiles.filter(pl.col("dec") == 42.0).row(29, named=True)
    assert row["tile"] == "117048"  # the first tile of the real list
    assert row["ra_min"] == pytest.approx(114.72527, abs=1e-4)


def test_real_erosita_lists_are_returned_when_present():
    shared = shared_data_dir()
    if shared is None:
        pytest.skip("../shared/data not present")
    full = generate_table("erass_de_dr1_info.csv", 10_000)
    assert full.height == 2447
    assert full.filter(pl.col("ObsID") == "260177")["START"][0] == "2020-03-25T16:40:60"
    sub = generate_table("erass_de_dr1_info.csv", 100)
    assert sub.height == 100 and "260177" in sub["ObsID"].to_list()
    calpv = generate_table("erosita_calpv_info.csv", 170)
    assert calpv.equals(
        pl.read_csv(shared / "erosita" / "erosita_calpv_info.csv", infer_schema=False)
    )


def test_full_swift_table_is_fast():
    t0 = time.perf_counter()
    sw = generate_table("swiftmastr", TABLES["swiftmastr"])
    elapsed = time.perf_counter() - t0
    assert sw.height == 373182 and sw["obsid"].n_unique() == 373182
    assert elapsed < 5.0, f"373k Swift rows took {elapsed:.2f} s"
