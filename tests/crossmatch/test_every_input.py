"""Every input kind through every entry point gives the same pairs; every bad input our error.

The inputs layer (:mod:`daxa.inputs`) is shared by the Selection filters, ``daxa.search``,
``match_observations``, ``match_catalogues``, ``coverage_summary``,
``daxa.sql.connect().match_positions`` and the CLI, so one table of input kinds is fed to all
of them and each answer is checked against pairs computed independently with astropy's
separations (rule: within the radius and observed by a chosen instrument).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
import pandas as pd
import polars as pl
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import QTable, Table

import daxa
from daxa import cache
from daxa.crossmatch import coverage_summary, match_catalogues, match_observations
from daxa.errors import InputError
from daxa.missions.coverage import chosen_instruments, observed_active

MISSIONS = ("xmm_pointed", "chandra", "swift")
INSTRUMENTS = {"swift": ["XRT"]}
RADIUS = 0.5
N = 40


@pytest.fixture(scope="module")
def three(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    return {m: tables[m] for m in MISSIONS}


@pytest.fixture(scope="module")
def base(three: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Positions 0.3° from pointings of each mission (so pairs exist), and random ones."""
    rng = np.random.default_rng(7)
    ra, dec = [], []
    for m in MISSIONS:
        t = three[m].filter(pl.col("dec").abs() < 80).head(N // 4)
        ra.append(t["ra"].to_numpy() + 0.3 / np.cos(np.radians(t["dec"].to_numpy())))
        dec.append(t["dec"].to_numpy())
    k = N - sum(a.size for a in ra)
    ra.append(rng.uniform(0, 360, k))
    dec.append(np.degrees(np.arcsin(rng.uniform(-1, 1, k))))
    r, d = np.mod(np.concatenate(ra), 360.0), np.concatenate(dec)
    return pl.DataFrame({"ra": r, "dec": d, "name": [f"src{i:02d}" for i in range(r.size)]})


@pytest.fixture(scope="module")
def expected(base: pl.DataFrame, three: dict[str, pl.DataFrame]) -> set[tuple[int, str, str]]:
    """(pos_index, mission, obs_id) within RADIUS where a chosen instrument observed."""
    pos = SkyCoord(base["ra"].to_numpy() * u.deg, base["dec"].to_numpy() * u.deg)
    out = set()
    for m, table in three.items():
        seen = observed_active(table, m, chosen_instruments(m, INSTRUMENTS.get(m))).any(axis=1)
        obs = SkyCoord(table["ra"].to_numpy() * u.deg, table["dec"].to_numpy() * u.deg)
        for i in range(len(pos)):
            hit = np.flatnonzero((pos[i].separation(obs).deg <= RADIUS) & seen)
            out |= {(i, m, table["obs_id"][int(j)]) for j in hit}
    return out


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, three: dict[str, pl.DataFrame]) -> Path:
    root = tmp_path_factory.mktemp("every_input")
    for m, table in three.items():
        cache.write(table, m, source_url="test", cache_dir=root / "cache")
    return root


class PyvoLike:
    """Duck-typed pyvo result: only ``to_table()``, columns found by their UCDs."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def to_table(self) -> Table:
        return self._table

    def __repr__(self) -> str:  # a real result's repr can be huge
        return "<PyvoLike " + "x" * 10_000 + ">"


def _astropy(base: pl.DataFrame) -> Table:
    t = Table({"RAJ2000": base["ra"].to_numpy(), "DEJ2000": base["dec"].to_numpy()})
    t["RAJ2000"].unit = t["DEJ2000"].unit = u.deg
    t["Name"] = base["name"].to_list()
    return t


def make_input(kind: str, base: pl.DataFrame, root: Path) -> Any:
    ra, dec = base["ra"].to_numpy(), base["dec"].to_numpy()
    if kind == "csv":
        path = root / "pos.csv"
        base.rename({"ra": "RA", "dec": "Dec"}).write_csv(path)
        return path
    if kind == "fits":
        path = root / "pos.fits"
        _astropy(base).write(path, overwrite=True)
        return path
    if kind == "parquet":
        path = root / "pos.parquet"
        base.write_parquet(path)
        return path
    if kind == "votable":
        path = root / "pos.vot"
        t = Table({"c1": ra, "c2": dec}, meta={})
        t["c1"].unit = t["c2"].unit = u.deg
        t["c1"].meta["ucd"], t["c2"].meta["ucd"] = "pos.eq.ra;meta.main", "pos.eq.dec;meta.main"
        t.write(path, format="votable", overwrite=True)
        return path
    if kind == "skycoord_icrs":
        return SkyCoord(ra * u.deg, dec * u.deg, frame="icrs")
    if kind == "skycoord_galactic":
        return SkyCoord(ra * u.deg, dec * u.deg, frame="icrs").galactic
    if kind == "astropy":
        return _astropy(base)
    if kind == "qtable":  # angles in radians and hours: converted by their units
        return QTable({"ra": (ra * u.deg).to(u.hourangle), "dec": (dec * u.deg).to(u.rad)})
    if kind == "pandas":
        return base.rename({"ra": "RA_ICRS", "dec": "DE_ICRS"}).to_pandas()
    if kind == "polars":
        return base
    if kind == "arrow":
        return base.to_arrow()
    if kind == "pyvo":
        t = Table({"a": ra, "b": dec})
        t["a"].meta["ucd"], t["b"].meta["ucd"] = "pos.eq.ra", "pos.eq.dec"
        return PyvoLike(t)
    if kind == "pairs":
        return [[float(r), float(d)] for r, d in zip(ra, dec, strict=True)]
    raise AssertionError(kind)


KINDS = [
    "csv",
    "fits",
    "parquet",
    "votable",
    "skycoord_icrs",
    "skycoord_galactic",
    "astropy",
    "qtable",
    "pandas",
    "polars",
    "arrow",
    "pyvo",
    "pairs",
]
PATHS = {"csv", "fits", "parquet", "votable"}


def triples(frame: pl.DataFrame) -> set[tuple[int, str, str]]:
    return set(frame.select("pos_index", "mission", "obs_id").iter_rows())


def via_search(pos: Any, three: dict[str, pl.DataFrame], folder: Path) -> set:
    return triples(daxa.search(pos, radius="30arcmin", tables=three, instruments=INSTRUMENTS))


def via_match(pos: Any, three: dict[str, pl.DataFrame], folder: Path) -> set:
    found = match_observations(
        pos,
        list(three),
        radius=RADIUS * u.deg,
        tables=three,
        instruments=INSTRUMENTS,
        progress=False,
    )
    assert isinstance(found, pl.DataFrame)
    return triples(found)


def via_sql(pos: Any, three: dict[str, pl.DataFrame], folder: Path) -> set:
    with daxa.sql.connect(folder / "cache") as db:
        return triples(db.match_positions(pos, radius=RADIUS, instruments=INSTRUMENTS))


def via_filters(pos: Any, three: dict[str, pl.DataFrame], folder: Path) -> set:
    out = set()
    for m, table in three.items():
        sel = daxa.Selection(m, table, instruments=INSTRUMENTS.get(m))
        out |= triples(sel.filter_on_positions(pos, radius=RADIUS).associations)
    return out


ENTRY_POINTS: dict[str, Callable[..., set]] = {
    "search": via_search,
    "match_observations": via_match,
    "sql.match_positions": via_sql,
    "Selection.filter_on_positions": via_filters,
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_every_input_kind_gives_the_same_pairs(entry, base, three, folder, expected, tmp_path):
    assert expected, "the fixture must make pairs"
    for kind in KINDS:
        got = ENTRY_POINTS[entry](make_input(kind, base, tmp_path), three, folder)
        assert got == expected, f"{entry} with {kind}"


def test_coverage_summary_and_catalogues_take_every_input_kind(base, three, tmp_path, expected):
    counts: dict[tuple[int, str], int] = {}
    for i, m, _ in expected:
        counts[(i, m)] = counts.get((i, m), 0) + 1
    right = three["xmm_pointed"].select("ra", "dec", "obs_id")
    want = {(i, o) for i, m, o in expected if m == "xmm_pointed"}
    for kind in KINDS:
        pos = make_input(kind, base, tmp_path)
        summary = coverage_summary(
            pos,
            list(three),
            radius="0.5deg",
            tables=three,
            instruments=INSTRUMENTS,
            by_instrument=False,
            progress=False,
        )
        assert isinstance(summary, pl.DataFrame)
        got = {
            (i, m): n
            for i, m, n in summary.select("pos_index", "mission", "n_obs").iter_rows()
            if n
        }
        assert got == counts, kind
        pairs = match_catalogues(pos, right, "30 arcmin", progress=False)
        assert isinstance(pairs, pl.DataFrame)
        # every xmm pointing observed with a default instrument in these tables, or not:
        # the catalogue match knows nothing of instruments, so compare where xmm observed
        seen = set(three["xmm_pointed"]["obs_id"].to_list())
        got_pairs = {(i, o) for i, o in pairs.select("left_index", "obs_id").iter_rows()}
        assert want <= got_pairs and {p for p in got_pairs if p[1] in seen} >= want, kind


def test_cli_match_reads_every_file_kind(base, folder, expected, tmp_path, capsys):
    from daxa.cli import main

    for kind in sorted(PATHS):
        path = make_input(kind, base, tmp_path)
        out = tmp_path / f"{kind}.parquet"
        code = main(
            [
                "match",
                str(path),
                *MISSIONS,
                "--radius",
                "30arcmin",
                "--instruments",
                "swift=XRT",
                "-o",
                str(out),
                "--cache-dir",
                str(folder / "cache"),
                "-q",
            ]
        )
        assert code == 0, capsys.readouterr().err
        assert triples(pl.read_parquet(out)) == expected, kind
        printed = capsys.readouterr().out
        assert f"wrote {len(expected):,} rows" in printed
        # the per-mission totals, tallied from the streamed file batch by batch
        rows = {line.split()[0]: line.split()[1:4] for line in printed.splitlines() if line}
        for m in MISSIONS:
            mine = [(i, o) for i, mm, o in expected if mm == m]
            want = [
                f"{len(mine):,}",
                f"{len({i for i, _ in mine}):,}",
                f"{len({o for _, o in mine}):,}",
            ]
            assert rows.get(m) == want or not mine, (kind, m, printed)


def test_the_users_id_rides_along(base, three, folder, tmp_path):
    pos = make_input("csv", base, tmp_path)  # its 'name' column is found as the id
    names = dict(enumerate(base["name"].to_list()))
    found = daxa.search(pos, radius=RADIUS, tables=three, instruments=INSTRUMENTS)
    assert found.height and all(
        names[i] == r for i, r in found.select("pos_index", "row_id").iter_rows()
    )
    with daxa.sql.connect(folder / "cache") as db:
        pairs = db.match_positions(pos, radius=RADIUS, instruments=INSTRUMENTS)
    assert all(names[i] == r for i, r in pairs.select("pos_index", "row_id").iter_rows())
    matched = match_observations(
        pos, list(three), id="NAME", keep=["dec"], tables=three, radius=RADIUS, progress=False
    )
    assert isinstance(matched, pl.DataFrame)
    assert all(names[i] == r for i, r in matched.select("pos_index", "row_id").iter_rows())
    assert "Dec" in matched.columns or "dec" in matched.columns


def test_sql_and_python_agree_on_chosen_instruments(folder, three, base):
    """An explicit radius with chosen instruments: rows where none observed match nothing."""
    swift = three["swift"]
    xrt = swift["exposure_xrt"].fill_null(0).to_numpy() > 0
    assert (~xrt).any() and xrt.any(), "the fixture needs Swift rows with and without XRT"
    pos = swift.select("ra", "dec")  # every Swift pointing, so BAT-only rows are in reach
    with daxa.sql.connect(folder / "cache") as db:
        sql = triples(
            db.match_positions(pos, radius=0.1, missions=["swift"], instruments=INSTRUMENTS)
        )
    python = triples(
        daxa.Selection("swift", swift, instruments=["XRT"])
        .filter_on_positions(pos, radius=0.1)
        .associations
    )
    assert sql == python
    matched_obs = {o for _, _, o in python}
    assert matched_obs and matched_obs <= set(swift.filter(pl.Series(xrt))["obs_id"].to_list())


# ------------------------------------------------------------------------------ bad inputs

FORMS = "give a path (CSV, FITS, Parquet, VOTable"
BAD_POSITIONS = [
    (42, "42", FORMS),
    ("no/such/file.csv", "no/such/file.csv", "does not exist"),
    (pl.DataFrame({"x": [1.0], "y": [2.0]}), "found no RA column", "its columns are: x, y"),
    ([[1.0, 2.0, 3.0]], "shape (1, 3)", FORMS),
    ([["a", "b"]], "'a'", "pairs of numbers"),
    ([[10.0, 95.0]], "Dec=95", "|Dec| <= 90"),
    (PyvoLike(Table({"x": [1.0]})), "found no RA column", "Name it with"),
    (object(), "object", FORMS),
]
CATALOGUE_MATCHERS = ("match_observations", "coverage_summary", "match_catalogues")
BAD_RADII = [
    ("10 parsecs", "'10 parsecs'", "'10arcmin'"),
    (5 * u.s, "radius=<Quantity 5. s>", "Quantity or Angle"),
    ("wide", "'wide'", "not an angle"),
]


def _calls(folder: Path, three: dict[str, pl.DataFrame]) -> dict[str, Callable[..., Any]]:
    def sql(pos: Any, radius: Any = RADIUS) -> Any:
        with daxa.sql.connect(folder / "cache") as db:
            return db.match_positions(pos, radius=radius)

    return {
        "Positions": lambda pos, radius=RADIUS: daxa.filters.Positions(pos, radius),
        "search": lambda pos, radius=RADIUS: daxa.search(pos, radius=radius, tables=three),
        "match_observations": lambda pos, radius=RADIUS: match_observations(
            pos, tables=three, radius=radius, progress=False
        ),
        "coverage_summary": lambda pos, radius=RADIUS: coverage_summary(
            pos, tables=three, radius=radius, progress=False
        ),
        "match_catalogues": lambda pos, radius=RADIUS: match_catalogues(
            pos, [[1.0, 1.0]], radius, progress=False
        ),
        "sql.match_positions": sql,
    }


@pytest.mark.parametrize(("value", "named", "hint"), BAD_POSITIONS)
def test_bad_positions_get_our_error_naming_them(value, named, hint, folder, three):
    for entry, call in _calls(folder, three).items():
        if named == "Dec=95" and entry in CATALOGUE_MATCHERS:
            # catalogues may hold a few bad rows: they are skipped, with a warning naming them
            with pytest.warns(daxa.crossmatch.CrossmatchWarning, match=r"skipped \(rows 0\)"):
                call(value)
            continue
        with pytest.raises(InputError) as err:
            call(value)
        message = str(err.value)
        assert named in message and hint in message, (entry, message)
        assert len(message) < 700, (entry, message)  # never a huge repr


@pytest.mark.parametrize(("radius", "named", "hint"), BAD_RADII)
def test_bad_radii_get_our_error_naming_them(radius, named, hint, folder, three):
    for entry, call in _calls(folder, three).items():
        with pytest.raises(InputError) as err:
            call([[10.0, 1.0]], radius)
        assert named in str(err.value) and hint in str(err.value), (entry, str(err.value))


def test_times_every_form_and_a_bare_number_gets_a_hint(three):
    from daxa.filters import TimeWindow

    forms = [
        "2015-01-01T00:00:00",
        pd.Timestamp("2015-01-01"),
        np.datetime64("2015-01-01"),
        __import__("datetime").datetime(2015, 1, 1),
        __import__("astropy.time", fromlist=["Time"]).Time("2015-01-01", scale="utc"),
    ]
    starts = {TimeWindow(f, "2020-01-01").start_us for f in forms}
    assert starts == {TimeWindow(57023.0, "2020-01-01", time_format="mjd").start_us}
    with pytest.raises(InputError, match=r"start=57023\.0 is a bare number .*time_format='mjd'"):
        TimeWindow(57023.0, "2020-01-01")
    found = daxa.search(
        start=pd.Timestamp("2015-01-01"), end=pd.Timestamp("2015-02-01"), tables=three
    )
    assert found.height == three["xmm_pointed"].filter(
        (pl.col("start") <= pd.Timestamp("2015-02-01", tz="UTC"))
        & (pl.col("end") >= pd.Timestamp("2015-01-01", tz="UTC"))
    ).height + sum(
        t.filter(
            (pl.col("start") <= pd.Timestamp("2015-02-01", tz="UTC"))
            & (pl.col("end") >= pd.Timestamp("2015-01-01", tz="UTC"))
        ).height
        for m, t in three.items()
        if m != "xmm_pointed"
    )


def test_missing_values_in_text_files_are_nulls(tmp_path, three):
    path = tmp_path / "gaps.csv"
    path.write_text("ra,dec\n10.0,1.0\nnan,2.0\n,3.0\nNaN,--\n20.0,-5.0\n")
    with pytest.warns(daxa.crossmatch.CrossmatchWarning, match="3 of 5 catalogue rows"):
        found = match_observations(path, tables=three, radius=180.0, progress=False)
    assert isinstance(found, pl.DataFrame)
    assert set(found["pos_index"].unique().to_list()) == {0, 4}
    with pytest.raises(InputError, match=r"position 1 \(RA=nan, Dec=2\)"):
        daxa.filters.Positions(path)


def test_names_from_a_table_or_file(tmp_path):
    """The names filter reads the name column of any table kind (J-names resolve offline)."""
    names = ["J123049.42+122328.0", "J053431.9+220052"]
    path = tmp_path / "names.csv"
    pl.DataFrame({"ra_guess": [0.0, 0.0], "Object": names}).write_csv(path)
    for given in (names, pl.DataFrame({"MAIN_ID": names}), path, Table({"name": names})):
        flt = daxa.filters.Names(given)
        assert flt.resolved_names == tuple(names)
    with pytest.raises(InputError, match="found no id column"):
        daxa.filters.Names(pl.DataFrame({"x": names}))


def test_selection_associations_carry_the_id(base, three, tmp_path):
    pos = make_input("astropy", base, tmp_path)  # its 'Name' column is found as the id
    found = daxa.Selection("xmm_pointed", three["xmm_pointed"]).filter_on_positions(pos, RADIUS)
    names = dict(enumerate(base["name"].to_list()))
    rows = found.associations.select("pos_index", "row_id").rows()
    assert rows and all(names[i] == r for i, r in rows)


@pytest.mark.parametrize(
    "start",
    [
        pd.Timestamp("2000-01-01"),
        pd.Series(pd.to_datetime(["2000-01-01"])),
        pd.DatetimeIndex(["2000-01-01"]),
        np.datetime64("2000-01-01"),
        51544.0,
    ],
    ids=["Timestamp", "pandas Series", "DatetimeIndex", "datetime64", "mjd"],
)
def test_search_with_positions_and_any_time_form(start, three, base):
    """A window of any time form (pd.Timestamp used to leak a polars TypeError)."""
    fmt = "mjd" if isinstance(start, float) else None
    got = daxa.search(
        base,
        radius=RADIUS,
        start=start,
        end=pd.Timestamp("2100-01-01"),
        tables=three,
        instruments=INSTRUMENTS,
        time_format=fmt,
    )
    plain = daxa.search(
        base,
        radius=RADIUS,
        start="2000-01-01",
        end="2100-01-01",
        tables=three,
        instruments=INSTRUMENTS,
    )
    assert got.height and got.equals(plain)
