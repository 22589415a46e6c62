"""The HTTP session and the TAP client, over real HTTP to the emulator with injected faults."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from daxa.errors import SchemaDriftError, ServiceError, ServiceUnavailableError
from daxa.services import ArchiveSession, fetch_table, run_query
from daxa.testing import emulated_archives


def small_tables(table: str, n_rows: int | None = None, seed: int = 0) -> pl.DataFrame:
    """A 250-row swiftmastr-like table and a 2,500-row XSA-like one (over XSA's 2,000 cap)."""
    n = {"swiftmastr": 250, "v_all_observations": 2500}.get(table)
    if n is None:
        raise KeyError(table)
    rng = np.random.default_rng(7)
    return pl.DataFrame(
        {
            "obsid": [f"{i:011d}" for i in range(n)],
            "ra": rng.uniform(0, 360, n),
            "dec": rng.uniform(-90, 90, n),
            "xrt_exposure": np.arange(n, dtype=np.float64),
        }
    )


@pytest.fixture()
def emulator():
    with emulated_archives(tables=small_tables) as emu:
        yield emu


@pytest.fixture()
def session():
    with ArchiveSession(backoff=0.01, retries=3) as s:
        yield s


def test_fetch_table_gets_every_row_with_values(emulator, session):
    rows = fetch_table("heasarc_tap", "swiftmastr", ["obsid", "xrt_exposure"], session=session)
    assert rows.columns == ["obsid", "xrt_exposure"]
    assert rows.height == 250
    assert rows["obsid"][0] == "00000000000"
    assert rows["xrt_exposure"].sum() == pytest.approx(sum(range(250)))


def test_xsa_whole_table_beats_the_2000_row_cap(emulator, session):
    capped = run_query("xsa_tap", "SELECT * FROM v_all_observations", session=session)
    assert capped.height == 2000
    full = fetch_table("xsa_tap", "v_all_observations", session=session)
    assert full.height == 2500


def test_where_clause_and_count(emulator, session):
    rows = fetch_table("heasarc_tap", "swiftmastr", where="xrt_exposure < 10", session=session)
    assert sorted(rows["xrt_exposure"].to_list()) == [float(i) for i in range(10)]


def test_retried_5xx_succeeds(emulator, session):
    emulator.faults.fail("/heasarc_tap/sync", times=2, status=503)
    rows = run_query("heasarc_tap", "SELECT TOP 5 obsid FROM swiftmastr", session=session)
    assert rows.height == 5
    assert emulator.requests("/heasarc_tap/sync") == 3


def test_truncated_body_is_retried(emulator, session):
    emulator.faults.truncate("/heasarc_tap/sync", times=1, fraction=0.4)
    rows = run_query("heasarc_tap", "SELECT TOP 250 * FROM swiftmastr", session=session)
    assert rows.height == 250
    assert emulator.requests("/heasarc_tap/sync") == 2


def test_permanent_failure_gives_our_error_naming_service_and_url(emulator, session):
    emulator.faults.fail("/heasarc_tap/sync", times=None, status=502)
    with pytest.raises(ServiceUnavailableError) as info:
        run_query(
            "heasarc_tap", "SELECT TOP 5 obsid FROM swiftmastr", table="swiftmastr", session=session
        )
    message = str(info.value)
    assert "gave up after 4 attempts" in message and "HTTP 502" in message
    assert "heasarc_tap" in message and "swiftmastr" in message and emulator.url in message


def test_html_page_where_data_expected(emulator, session):
    emulator.faults.html_error("/heasarc_tap/sync", times=1)
    with pytest.raises(ServiceError, match=r"HTML page.*table swiftmastr"):
        run_query(
            "heasarc_tap", "SELECT TOP 5 obsid FROM swiftmastr", table="swiftmastr", session=session
        )


def test_error_votable_carries_the_server_message(emulator, session):
    with pytest.raises(ServiceError, match=r"query failed: .*nosuchtable"):
        run_query("heasarc_tap", "SELECT TOP 5 * FROM nosuchtable", session=session)


def test_unreachable_service_is_a_clear_error(session):
    from daxa.config import mirror

    with (
        mirror("http://127.0.0.1:9"),
        pytest.raises(ServiceUnavailableError, match="connection failed"),
    ):
        run_query("heasarc_tap", "SELECT TOP 1 * FROM swiftmastr", session=session)


def test_missing_optional_column_is_null_and_missing_required_is_named(emulator, session):
    rows = fetch_table(
        "heasarc_tap",
        "swiftmastr",
        ["obsid", "ra", "roll_angle"],
        optional=["roll_angle"],
        session=session,
    )
    assert rows.columns == ["obsid", "ra", "roll_angle"]
    assert rows["roll_angle"].null_count() == rows.height > 0
    with pytest.raises(SchemaDriftError, match=r"no longer has the column daxa needs: roll_angle"):
        fetch_table("heasarc_tap", "swiftmastr", ["obsid", "roll_angle"], session=session)
