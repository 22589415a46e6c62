"""select, match, download and sql driven as a user would, checked against answers computed
here independently from the cache files (numpy haversine, plain polars filters)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from daxa import cache
from daxa.config import mirror

from .helpers import daxa

#: M87 as SIMBAD gives it (ICRS, degrees), the position the emulated Sesame answers.
M87 = (187.70593075, 12.39112331)
EDGE = 1e-4  # degrees: rows this close to a radius are left out of set comparisons


def _sep(ra, dec, ra0, dec0):
    r1, d1, r0, d0 = map(np.radians, (np.asarray(ra), np.asarray(dec), ra0, dec0))
    h = np.sin((d1 - d0) / 2) ** 2 + np.cos(d1) * np.cos(d0) * np.sin((r1 - r0) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(h)))


def _ids(path: Path, mission: str | None = None) -> set[str]:
    table = pl.read_csv(path, schema_overrides={"obs_id": pl.String})
    if mission is not None:
        table = table.filter(pl.col("mission") == mission)
    return set(table["obs_id"])


def _near(table: pl.DataFrame, ra0: float, dec0: float, radius) -> tuple[set[str], set[str]]:
    """(ids inside, ids too close to the edge to judge) for a scalar or per-row radius."""
    sep = _sep(table["ra"].to_numpy(), table["dec"].to_numpy(), ra0, dec0)
    edge = np.abs(sep - radius) < EDGE
    inside = (sep <= radius) & ~edge
    ids = table["obs_id"].to_numpy()
    return set(ids[inside]), set(ids[edge])


@pytest.fixture(scope="module")
def filled(emulator, tmp_path_factory) -> Path:
    """A cache with four missions, fetched once for the module."""
    folder = tmp_path_factory.mktemp("cache")
    with mirror(emulator.url):
        for m in ("chandra", "xmm_pointed", "swift", "erosita_calpv"):
            cache.refresh(m, folder)
    return folder


def _table(folder: Path, mission: str) -> pl.DataFrame:
    return pl.read_parquet(folder / f"{mission}.parquet")


def test_select_by_name_matches_an_independent_cone(emulator, filled, tmp_path) -> None:
    out, pairs, saved = tmp_path / "obs.csv", tmp_path / "pairs.csv", tmp_path / "sel"
    result = daxa(
        "select", "chandra", "--missions", "xmm_pointed", "--name", "M87", "--radius", "30arcmin",
        "-o", str(out), "--pairs", str(pairs), "--save", str(saved),
        cache_dir=filled, mirror=emulator.url,
    )  # fmt: skip
    assert result.code == 0, result.err
    assert re.search(r"^position\s+xmm\s+chandra\s+total$", result.out, re.M)
    for mission in ("chandra", "xmm_pointed"):
        inside, edge = _near(_table(filled, mission), *M87, 0.5)
        assert inside, "the emulator should have M87 pointings"
        got = _ids(out, mission)
        assert inside <= got and got <= inside | edge
        assert re.search(rf"^{mission}\s+[\d,]+\s+{len(got):,}\s", result.out, re.M)
    pair_table = pl.read_csv(pairs, schema_overrides={"obs_id": pl.String})
    assert set(pair_table["name"]) == {"M87"}
    assert (pair_table["separation_deg"] <= 0.5 + 1e-9).all()
    from daxa.selection import Selection

    reloaded = Selection.load(saved / "chandra.json", cache_dir=filled)
    assert set(reloaded.obs_ids) == _ids(out, "chandra")
    assert reloaded.changes().unchanged


def test_select_sexagesimal_position_with_chosen_instrument(filled, tmp_path) -> None:
    out = tmp_path / "swift.parquet"
    result = daxa(
        "select", "swift", "--pos", "12:30:49.42 +12:23:28.0", "--instruments", "XRT",
        "-o", str(out), "--plots", str(tmp_path / "plots"), cache_dir=filled,
    )  # fmt: skip
    assert result.code == 0, result.err
    pngs = sorted(p.name for p in (tmp_path / "plots").glob("*.png"))
    assert pngs == [
        "exposure_per_year.png",
        "field_12_30_49_42__12_23_28_0.png",
        "sky_map.png",
        "sky_missions.png",
        "timeline.png",
    ]
    assert all((tmp_path / "plots" / p).read_bytes()[:4] == b"\x89PNG" for p in pngs)
    swift = _table(filled, "swift").filter(pl.col("exposure_xrt") > 0)
    inside, edge = _near(swift, 187.705917, 12.391111, 1.2 * 11.8 / 60)
    got = set(pl.read_parquet(out)["obs_id"])
    assert inside <= got <= inside | edge


def test_select_time_window_inside_and_overlapping(filled, tmp_path) -> None:
    chandra = _table(filled, "chandra")
    lo, hi = datetime(2010, 1, 1, tzinfo=UTC), datetime(2014, 12, 31, tzinfo=UTC)
    for flag, expected in (
        ([], chandra.filter((pl.col("end") >= lo) & (pl.col("start") <= hi))),
        (["--inside"], chandra.filter((pl.col("start") >= lo) & (pl.col("end") <= hi))),
    ):
        out = tmp_path / f"t{len(flag)}.csv"
        result = daxa(
            "select", "chandra", "--start", "2010-01-01", "--end", "2014-12-31", *flag,
            "-o", str(out), cache_dir=filled,
        )  # fmt: skip
        assert result.code == 0, result.err
        assert _ids(out) == set(expected["obs_id"])


def test_select_positions_at_time_from_a_file(filled, tmp_path) -> None:
    swift = _table(filled, "swift").filter(pl.col("exposure_xrt") > 0).head(3)
    # a "transient" at each of three Swift pointings, discovered 10 days after it started
    rows = swift.select(
        name=pl.format("T{}", pl.int_range(pl.len())),
        ra="ra",
        dec="dec",
        discoverydate=(pl.col("start") + timedelta(days=10)).dt.strftime("%Y-%m-%d %H:%M:%S"),
    )
    path = tmp_path / "transients.csv"
    rows.write_csv(path)
    out = tmp_path / "hits.csv"
    result = daxa(
        "select", "swift", "--positions", str(path), "--at-time", "20", "5",
        "--instruments", "XRT", "--pairs", str(out), cache_dir=filled,
    )  # fmt: skip
    assert result.code == 0, result.err
    pairs = pl.read_csv(out, schema_overrides={"obs_id": pl.String})
    assert set(swift["obs_id"]) <= set(pairs["obs_id"])
    table = _table(filled, "swift").filter(pl.col("exposure_xrt") > 0)
    for i, row in enumerate(rows.iter_rows(named=True)):
        t = datetime.fromisoformat(row["discoverydate"]).replace(tzinfo=UTC)
        window = table.filter(
            (pl.col("end") >= t - timedelta(days=20)) & (pl.col("start") <= t + timedelta(days=5))
        )
        inside, edge = _near(window, row["ra"], row["dec"], 1.2 * 11.8 / 60)
        got = set(pairs.filter(pl.col("pos_index") == i)["obs_id"])
        assert inside <= got <= inside | edge, row["name"]
    assert "3 of 3 positions have observations" in result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chandra", "--pos", "12:30 abc"], "cannot read coordinates '12:30 abc'"),
        (["chandra", "--positions", "nope.csv"], "positions file 'nope.csv' does not exist"),
        (["hubble", "--pos", "1 2"], "unknown mission 'hubble'"),
    ],
)
def test_select_bad_input_is_one_line_exit_1(filled, tmp_path, args, message) -> None:
    result = daxa("select", *args, cache_dir=filled, cwd=tmp_path)
    assert result.code == 1, result.out + result.err
    assert "Traceback" not in result.err
    assert len(result.error_lines) == 1, result.err
    assert message in result.error_lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chandra", "--pos", "10 95"], "Dec 95 is outside -90..90"),
        (["xmm_pointed", "--target-type", "AGN"], "xmm"),
        (["chandra"], "no filter given"),
        (["chandra", "--at-time", "1", "2"], "--at-time needs --positions"),
        (["chandra", "--pos", "1 2", "--radius", "wide"], "radius='wide' is not an angle"),
        (["chandra", "swift", "--obs-id", "123"], "--obs-id needs exactly one mission"),
        (["chandra", "--obs-id", "12ab"], "'12ab' is not a valid Chandra ObsID"),
        (["chandra", "--pos", "1 2", "--instruments", "XRT"], "chandra has no instrument 'XRT'"),
        (["chandra", "--pos", "1 2", "-o", "out.xlsx"], "unknown file type '.xlsx'"),
        (["chandra", "--name", "M87", "--pos", "1 2"], "not both"),
        (["--missions", "chandra,hubble", "--pos", "1 2"], "unknown mission 'hubble'"),
    ],
)
def test_select_validation_messages(filled, tmp_path, monkeypatch, capsys, args, message) -> None:
    """The same command path in-process (fast): every check ends as one ``error:`` line."""
    from daxa.cli import main

    monkeypatch.chdir(tmp_path)
    code = main(["select", *args, "--cache-dir", str(filled)])
    err = capsys.readouterr().err
    assert code == 1, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], err


def test_select_with_sesame_unreachable(filled, tmp_path) -> None:
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    result = daxa("select", "chandra", "--name", "Not In Any Cache", cache_dir=filled, mirror=dead)
    assert result.code == 1
    (line,) = result.error_lines
    assert "sesame" in line and dead in line


def test_select_without_cache_says_how_to_fill_it(tmp_path) -> None:
    result = daxa("select", "--pos", "1 2", cache_dir=tmp_path)
    assert result.code == 1
    assert "no missions are cached" in result.error_lines[0]
    assert "daxa fetch all" in result.error_lines[0]


def test_match_pairs_agree_with_brute_force(filled, tmp_path) -> None:
    chandra = _table(filled, "chandra")
    cat = chandra.head(5).select(ID=pl.format("src{}", pl.int_range(5)), RA="ra", DEC="dec")
    cat_path, out = tmp_path / "cat.csv", tmp_path / "pairs.csv"
    cat.write_csv(cat_path)
    result = daxa(
        "match", str(cat_path), "chandra", "--radius", "0.3", "-o", str(out), cache_dir=filled
    )
    assert result.code == 0, result.err
    pairs = pl.read_csv(out, schema_overrides={"obs_id": pl.String})
    assert set(pairs.columns) >= {"pos_index", "row_id", "mission", "obs_id", "separation_deg"}
    for i, row in enumerate(cat.iter_rows(named=True)):
        inside, edge = _near(chandra, row["RA"], row["DEC"], 0.3)
        got = set(pairs.filter(pl.col("pos_index") == i)["obs_id"])
        assert inside <= got <= inside | edge
        assert set(pairs.filter(pl.col("pos_index") == i)["row_id"]) == {row["ID"]}
    assert f"{pairs.height:,} pairs" in result.out

    summary = tmp_path / "summary.csv"
    result = daxa(
        "match", str(cat_path), "--missions", "chandra", "--radius", "0.3", "--summary",
        "-o", str(summary), cache_dir=filled,
    )  # fmt: skip
    assert result.code == 0, result.err
    table = pl.read_csv(summary).filter(pl.col("instrument").is_null())
    counts = pairs.group_by("pos_index").len()
    merged = table.join(counts, on="pos_index")
    assert (merged["n_obs"] == merged["len"]).all()


def test_match_missing_catalogue(filled, tmp_path) -> None:
    result = daxa("match", "missing.csv", "chandra", cache_dir=filled, cwd=tmp_path)
    assert result.code == 1 and "Traceback" not in result.err
    assert result.error_lines == [
        "error: the catalogue file missing.csv does not exist; give a CSV/TSV, FITS, Parquet, "
        "VOTable or JSON file, a Parquet folder or a HATS folder"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["cat.csv", "chandra", "--ra", "RAJ"], "no column 'RAJ' (given as --ra)"),
        (["nocols.csv", "chandra"], "found no RA column in the catalogue nocols.csv"),
        (["cat.csv", "chandra", "--window", "1", "2"], "--window needs --epoch"),
        (["cat.csv", "chandra", "--summary", "--epoch", "t"], "--summary does not take time"),
        (["cat.csv", "hubble"], "unknown mission 'hubble'"),
    ],
)
def test_match_bad_input(filled, tmp_path, monkeypatch, capsys, args, message) -> None:
    from daxa.cli import main

    (tmp_path / "cat.csv").write_text("ra,dec,t\n10,20,2020-01-01\n")
    (tmp_path / "nocols.csv").write_text("x,y\n10,20\n")
    monkeypatch.chdir(tmp_path)
    code = main(["match", *args, "--cache-dir", str(filled)])
    err = capsys.readouterr().err
    assert code == 1, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], err


def test_download_by_obsid_and_from_a_saved_selection(emulator, filled, tmp_path) -> None:
    obs_id = _table(filled, "chandra").filter(pl.col("public"))["obs_id"][0]
    dest = tmp_path / "data"
    result = daxa(
        "download", "chandra", obs_id, "--dest", str(dest), cache_dir=filled, mirror=emulator.url
    )
    assert result.code == 0, result.err
    files = [p for p in (dest / "chandra" / obs_id).rglob("*") if p.is_file()]
    assert files
    assert re.search(rf"^{obs_id}\s+ok\s", result.out, re.M)

    saved = tmp_path / "sel"
    assert (
        daxa("select", "chandra", "--obs-id", obs_id, "--save", str(saved), cache_dir=filled).code
        == 0
    )
    assert json.loads((saved / "chandra.json").read_text())["mission"] == "chandra"
    again = daxa(
        "download", "--selection", str(saved / "chandra.json"), "--dest", str(dest),
        cache_dir=filled, mirror=emulator.url,
    )  # fmt: skip
    assert again.code == 0, again.err
    assert re.search(rf"^{obs_id}\s+ok\s+\d+\s+[\d,]+\s+0\s", again.out, re.M)  # nothing refetched


def test_download_bad_obsid(filled) -> None:
    result = daxa("download", "chandra", "12ab", cache_dir=filled)
    assert result.code == 1 and "Traceback" not in result.err
    (line,) = result.error_lines
    assert "'12ab' is not a valid Chandra ObsID" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chandra"], "no ObsIDs given for chandra"),
        ([], "name a MISSION and OBS_IDs"),
        (["--selection", "nope.json"], "cannot read a saved selection"),
        (["chandra", "1", "--selection", "x.json"], "not both"),
    ],
)
def test_download_bad_input(filled, capsys, args, message) -> None:
    from daxa.cli import main

    code = main(["download", *args, "--cache-dir", str(filled)])
    err = capsys.readouterr().err
    assert code == 1, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], err


def test_sql_is_wired_in(filled) -> None:
    result = daxa("sql", "SELECT count(*) AS n FROM chandra", "--format", "csv", cache_dir=filled)
    assert result.code == 0, result.err
    assert result.out.split() == ["n", str(_table(filled, "chandra").height)]
    bad = daxa("sql", "SELECT nope FROM chandra", cache_dir=filled)
    assert bad.code == 1 and bad.error_lines and "Traceback" not in bad.err
