"""The emulated TAP services over real HTTP: HEASARC and XSA rules, formats, errors."""

from __future__ import annotations

import datetime as dt
import io
import warnings
from collections.abc import Iterator

import numpy as np
import polars as pl
import pytest
import requests
from astropy.io.votable import parse, parse_single_table

from daxa.testing import ArchiveEmulator

BIG = 120_000  # above HEASARC's 100,000-row cap, still cheap

CHANMASTER = pl.DataFrame(
    {
        "obsid": [2, 62, 1712, 6616, 10004],
        "ra": [83.633, 187.706, None, 266.417, 350.85],
        "dec": [22.0145, 12.3911, -5.5, -29.0078, 58.815],
        "name": ["Crab", "M87", None, "Sgr A*", "Cas A"],
        "status": ["archived", "archived", "observed", "processed", "archived"],
        "exposure": [10.0, 40_000.5, 0.0, 49_578_750.0, 1e6],
        "detector": ["ACIS-S", "ACIS-I", "HRC-I", "ACIS-I", "ACIS-S"],
    }
)


def standin_tables(table: str, n_rows: int | None = None, seed: int = 0) -> pl.DataFrame:
    """Stand-in raw tables with known content."""
    if table == "chanmaster":
        return CHANMASTER
    if table == "swiftmastr":
        n = n_rows or BIG
        return pl.DataFrame({"obsid": np.arange(n, dtype=np.int64), "ra": np.arange(n) % 360.0})
    if table == "v_all_observations":
        n = n_rows or 2_500
        return pl.DataFrame(
            {
                "observation_id": [f"{i:010d}" for i in range(n)],
                "ra": np.linspace(0, 359, n),
                "start_utc": [dt.datetime(2000, 1, 1) + dt.timedelta(days=i) for i in range(n)],
                "with_science": [i % 3 != 0 for i in range(n)],
            }
        )
    raise KeyError(table)


@pytest.fixture(scope="module")
def emu() -> Iterator[ArchiveEmulator]:
    with ArchiveEmulator(tables=standin_tables, samples_dir=None) as emulator:
        yield emulator


def tap(emu: ArchiveEmulator, service: str, query: str, method: str = "POST", **extra: str):
    params = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query, **extra}
    url = emu.service_url(service) + "/sync"
    if method == "POST":
        return requests.post(url, data=params, timeout=60)
    return requests.get(url, params=params, timeout=60)


def votable_of(answer: requests.Response):
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["Content-Type"] == "application/x-votable+xml"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return parse_single_table(io.BytesIO(answer.content)).to_table()


def test_heasarc_select_top_get_and_post(emu: ArchiveEmulator) -> None:
    for method in ("GET", "POST"):
        table = votable_of(tap(emu, "heasarc_tap", "SELECT TOP 3 * FROM chanmaster", method))
        assert table.colnames == CHANMASTER.columns
        assert list(table["obsid"]) == [2, 62, 1712]
        assert list(table["name"]) == ["Crab", "M87", ""]
        assert table["ra"].mask[2] and table["ra"][1] == 187.706
        assert list(table["exposure"]) == [10.0, 40_000.5, 0.0]


def test_answer_is_binary_serialisation_by_default(emu: ArchiveEmulator) -> None:
    body = tap(emu, "heasarc_tap", "SELECT TOP 1 obsid FROM chanmaster").content
    assert b'<BINARY><STREAM encoding="base64">' in body and b"<TABLEDATA>" not in body


@pytest.mark.parametrize(
    "extra",
    [
        {"serialization": "tabledata"},
        {"FORMAT": "votable/td"},
        {"RESPONSEFORMAT": "application/x-votable+xml;serialization=TABLEDATA"},
    ],
)
def test_tabledata_when_asked(emu: ArchiveEmulator, extra: dict[str, str]) -> None:
    answer = tap(emu, "heasarc_tap", "SELECT obsid, name FROM chanmaster", **extra)
    assert b"<TABLEDATA>" in answer.content
    table = votable_of(answer)
    assert list(table["obsid"]) == CHANMASTER["obsid"].to_list()


def test_csv_when_asked(emu: ArchiveEmulator) -> None:
    answer = tap(emu, "heasarc_tap", "SELECT obsid, name FROM chanmaster", FORMAT="csv")
    assert answer.headers["Content-Type"] == "text/csv"
    back = pl.read_csv(io.BytesIO(answer.content))
    assert back["obsid"].to_list() == CHANMASTER["obsid"].to_list()


def test_where_and_order_through_http(emu: ArchiveEmulator) -> None:
    query = (
        "SELECT obsid, detector FROM chanmaster WHERE status IN ('archived', 'processed') "
        "AND detector LIKE 'ACIS%' AND exposure > 100 ORDER BY exposure DESC"
    )
    table = votable_of(tap(emu, "heasarc_tap", query))
    assert list(table["obsid"]) == [6616, 10004, 62]


def test_count(emu: ArchiveEmulator) -> None:
    table = votable_of(tap(emu, "heasarc_tap", "SELECT COUNT(*) AS n FROM swiftmastr"))
    assert table.colnames == ["n"] and int(table["n"][0]) == BIG
    table = votable_of(tap(emu, "heasarc_tap", "SELECT COUNT(*) FROM chanmaster WHERE ra > 100"))
    assert int(table["count"][0]) == 3


def test_heasarc_returns_a_random_100k_subset_without_top(emu: ArchiveEmulator) -> None:
    answers = [tap(emu, "heasarc_tap", "SELECT obsid FROM swiftmastr") for _ in range(2)]
    draws = []
    for answer in answers:
        assert b'<INFO name="QUERY_STATUS" value="OVERFLOW"/>' in answer.content
        obsids = np.asarray(votable_of(answer)["obsid"])
        assert len(obsids) == 100_000 and len(np.unique(obsids)) == 100_000
        assert obsids.min() >= 0 and obsids.max() < BIG
        assert obsids.max() >= 100_000  # not simply the first 100,000 rows
        draws.append(obsids)
    assert not np.array_equal(draws[0], draws[1])  # a fresh random subset each time


def test_heasarc_top_lifts_the_cap(emu: ArchiveEmulator) -> None:
    answer = tap(emu, "heasarc_tap", "SELECT TOP 9999999 obsid FROM swiftmastr")
    assert b"OVERFLOW" not in answer.content
    obsids = np.asarray(votable_of(answer)["obsid"])
    assert np.array_equal(obsids, np.arange(BIG))


def test_xsa_caps_at_2000_first_rows_without_top(emu: ArchiveEmulator) -> None:
    table = votable_of(tap(emu, "xsa_tap", "SELECT observation_id FROM v_all_observations"))
    assert list(table["observation_id"]) == [f"{i:010d}" for i in range(2000)]
    table = votable_of(
        tap(emu, "xsa_tap", "SELECT TOP 9999999 * FROM xsa.v_all_observations", method="GET")
    )
    assert len(table) == 2500
    assert table["start_utc"][31] == "2000-02-01T00:00:00.000"
    assert bool(table["with_science"][0]) is False and bool(table["with_science"][1]) is True


def test_xsa_timestamp_predicate(emu: ArchiveEmulator) -> None:
    query = (
        "SELECT COUNT(*) AS n FROM xsa.v_all_observations "
        "WHERE start_utc >= '2001-01-01' AND with_science = 1"
    )
    n = int(votable_of(tap(emu, "xsa_tap", query))["n"][0])
    first = (dt.date(2001, 1, 1) - dt.date(2000, 1, 1)).days  # 366 (2000 is a leap year)
    assert n == sum(1 for i in range(first, 2500) if i % 3 != 0)


def test_maxrec_caps_and_flags_overflow(emu: ArchiveEmulator) -> None:
    answer = tap(emu, "heasarc_tap", "SELECT TOP 10 obsid FROM chanmaster", MAXREC="2")
    assert b'value="OVERFLOW"' in answer.content
    assert list(votable_of(answer)["obsid"]) == [2, 62]


def test_whole_table_answers_are_cached(emu: ArchiveEmulator) -> None:
    first = tap(emu, "heasarc_tap", "SELECT TOP 9999999 obsid, ra FROM swiftmastr").content
    second = tap(emu, "heasarc_tap", "SELECT TOP 9999999 obsid, ra FROM swiftmastr").content
    assert first == second
    key = ("heasarc_tap", "swiftmastr", ("obsid", "ra"), "binary")
    assert emu.encoded(key, lambda: b"not used") == first


def tap_error(answer: requests.Response) -> str:
    assert answer.status_code == 400
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        doc = parse(io.BytesIO(answer.content))
    (status,) = [i for i in doc.resources[0].infos if i.name == "QUERY_STATUS"]
    assert status.value == "ERROR"
    return str(status.content)


@pytest.mark.parametrize(
    ("query", "extra", "message"),
    [
        ("SELECT obsid FRM chanmaster", {}, "expected a table name after FROM"),
        ("SELECT obsid FROM nosuchtable", {}, "table 'nosuchtable' does not exist"),
        ("SELECT obsid FROM xsa.chanmaster", {}, "table 'xsa.chanmaster' does not exist"),
        ("SELECT nope FROM chanmaster", {}, 'column "nope" not found'),
        ("SELECT obsid FROM chanmaster WHERE name > 3", {}, "Cannot compare values of type"),
        ("SELECT obsid FROM chanmaster", {"LANG": "SQL"}, "query language SQL"),
        ("SELECT obsid FROM chanmaster", {"REQUEST": "getCapabilities"}, "REQUEST="),
        ("SELECT obsid FROM chanmaster", {"FORMAT": "fits"}, "output format 'fits'"),
        ("SELECT obsid FROM chanmaster", {"MAXREC": "many"}, "MAXREC must be a whole number"),
        ("", {}, "the QUERY parameter is required"),
    ],
)
def test_errors_are_tap_error_votables(
    emu: ArchiveEmulator, query: str, extra: dict[str, str], message: str
) -> None:
    assert message in tap_error(tap(emu, "heasarc_tap", query, **extra))


def test_missing_lang_is_an_error(emu: ArchiveEmulator) -> None:
    url = emu.service_url("heasarc_tap") + "/sync"
    answer = requests.post(url, data={"REQUEST": "doQuery", "QUERY": "SELECT 1"}, timeout=30)
    assert "LANG parameter is required" in tap_error(answer)


def test_xsa_does_not_serve_heasarc_tables(emu: ArchiveEmulator) -> None:
    message = tap_error(tap(emu, "xsa_tap", "SELECT TOP 1 * FROM chanmaster"))
    assert "this service has: v_all_observations" in message


def test_a_table_the_source_lacks_is_unknown(emu: ArchiveEmulator) -> None:
    message = tap_error(tap(emu, "heasarc_tap", "SELECT TOP 1 * FROM numaster"))
    assert "table 'numaster' does not exist" in message


def test_only_sync_is_served(emu: ArchiveEmulator) -> None:
    answer = requests.get(emu.service_url("heasarc_tap") + "/async", timeout=30)
    assert answer.status_code == 404 and "<title>404 Not Found</title>" in answer.text


def test_daxa_tap_client_against_the_emulator() -> None:
    """daxa's own TAP client (COUNT check, TOP, VOTable parse) works against the emulator."""
    from daxa.services.http import ArchiveSession
    from daxa.services.tap import fetch_table
    from daxa.testing import emulated_archives

    with (
        emulated_archives(tables=standin_tables, samples_dir=None),
        ArchiveSession(retries=0) as session,
    ):
        rows = fetch_table(
            "heasarc_tap", "chanmaster", ["obsid", "name"], where="ra > 100", session=session
        )
    assert rows["obsid"].to_list() == [62, 6616, 10004]
    assert rows["name"].to_list() == ["M87", "Sgr A*", "Cas A"]


def test_every_generated_table_is_served_as_a_clean_votable() -> None:
    """With the real table generators, each service table parses back to the raw table.

    The array columns (XSA's polygon and 2-D char columns, which astropy refuses) are left
    out, as daxa leaves them out: it names the columns it asks for.
    """
    tables = pytest.importorskip("daxa.testing.tables")
    from daxa.testing.server import HEASARC_TABLES, XSA_TABLES

    with ArchiveEmulator(samples_dir=None) as emulator:
        for name in HEASARC_TABLES + XSA_TABLES:
            service = "xsa_tap" if name in XSA_TABLES else "heasarc_tap"
            raw = tables.generate_table(name)
            raw = raw.select(c for c, t in raw.schema.items() if t.base_type() != pl.List)
            query = f"SELECT TOP 9999999 {', '.join(raw.columns)} FROM {name}"
            table = votable_of(tap(emulator, service, query))
            assert table.colnames == raw.columns, name
            assert len(table) == raw.height, name
            for column in raw.columns:
                dtype = raw.schema[column]
                if dtype.is_float():
                    got = np.asarray(table[column].filled(np.nan), dtype=float)
                    want = raw[column].fill_null(float("nan")).to_numpy()
                    assert np.array_equal(got, want, equal_nan=True), (name, column)
                elif dtype.is_integer():
                    assert np.ma.allequal(table[column], raw[column].to_numpy()), (name, column)
                elif dtype == pl.String:
                    want_text = raw[column].fill_null("").to_list()
                    assert [str(v) for v in table[column]] == want_text, (name, column)
