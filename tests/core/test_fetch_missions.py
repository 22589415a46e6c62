"""Every mission fetched over HTTP from the emulator, normalised, cached and reloaded."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import polars as pl
import pytest

from daxa import cache
from daxa.errors import ServiceError
from daxa.fetch import fetch_mission
from daxa.missions import mission_names
from daxa.schema import validate
from daxa.services import ArchiveSession
from daxa.testing import emulated_archives, shared_data_dir


@pytest.fixture(scope="module")
def emulator():
    with emulated_archives(seed=3) as emu:
        yield emu


@pytest.fixture()
def session():
    with ArchiveSession(backoff=0.01, retries=2) as s:
        yield s


@pytest.mark.parametrize("mission", mission_names())
def test_fetch_normalise_cache_reload(mission, emulator, tmp_path, session):
    table = cache.load(mission, cache_dir=tmp_path, session=session)
    validate(table, mission=mission)
    assert table.height > 0
    assert (table["mission"] == mission).all()
    assert table["_healpix_29"].is_sorted()
    info = cache.info(mission, cache_dir=tmp_path)
    assert info.rows == table.height
    assert info.source_url.startswith(emulator.url)
    # a second load reads the cache: no new request reaches the emulator
    before = emulator.requests()
    again = cache.load(mission, cache_dir=tmp_path, session=session)
    assert emulator.requests() == before
    assert again.equals(table)


def test_xmm_falls_back_to_heasarc_when_xsa_is_down(emulator, session):
    emulator.faults.fail("/xsa_tap", times=None, status=503)
    try:
        fetched = fetch_mission("xmm_pointed", session=session)
    finally:
        emulator.faults.reset()
    assert "xmmmaster" in fetched.source_url
    assert fetched.table.height > 0
    assert not fetched.table["obs_id"].str.starts_with("9").any()


def test_failed_refresh_keeps_the_previous_cache(emulator, tmp_path, session):
    first = cache.refresh("suzaku", cache_dir=tmp_path, session=session)
    emulator.faults.html_error("/heasarc_tap/sync", times=None)
    try:
        with pytest.raises(ServiceError, match="HTML page"):
            cache.refresh("suzaku", cache_dir=tmp_path, session=session)
    finally:
        emulator.faults.reset()
    assert cache.read("suzaku", cache_dir=tmp_path).equals(first)


needs_shared = pytest.mark.skipif(shared_data_dir() is None, reason="../shared/data not present")


@needs_shared
def test_real_erosita_lists_load_with_their_real_values(tmp_path, session):
    with emulated_archives(sizes="real"):
        calpv = cache.load("erosita_calpv", cache_dir=tmp_path, session=session)
        tiles = cache.load("erosita_all_sky_de_dr1", cache_dir=tmp_path, session=session)
    calpv = cache.load("erosita_calpv", cache_dir=tmp_path, session=session)
    assert calpv.height == 170
    row = calpv.filter(pl.col("obs_id") == "300007").row(0, named=True)
    assert (row["ra"], row["dec"]) == (129.55, 1.5)
    assert row["start"] == datetime(2019, 11, 3, 2, 42, 50, tzinfo=UTC)
    assert tiles.height == 2447
    assert tiles.filter(pl.col("obs_id") == "260177")["start"][0] == datetime(
        2020, 3, 25, 16, 41, 0, tzinfo=UTC
    )


NOW = datetime(2025, 2, 3, tzinfo=UTC)


@pytest.fixture(scope="module")
def tabledata_emulator():
    """The same tables (seed 3), every TAP answer in TABLEDATA instead of BINARY/BINARY2."""
    from daxa.testing import ArchiveEmulator

    with ArchiveEmulator(seed=3, serialization="tabledata", files=False) as emu:
        yield emu


@pytest.mark.parametrize("mission", mission_names())
def test_both_votable_serialisations_give_identical_tables(
    mission, emulator, tabledata_emulator, session
):
    """HEASARC's BINARY / XSA's BINARY2 and TABLEDATA of the same rows normalise the same."""
    from daxa.config import mirror

    binary = fetch_mission(mission, session=session, now=NOW).table
    sent = emulator.queries()
    assert not [q for q in sent if re.search(r"SELECT\s+(TOP\s+\d+\s+)?\*", q, re.I)]
    with mirror(tabledata_emulator.url):
        before = tabledata_emulator.requests()
        plain = fetch_mission(mission, session=session, now=NOW).table
        assert tabledata_emulator.requests() > before  # really fetched from the second one
    assert binary.height > 0
    assert plain.schema == binary.schema
    assert plain.equals(binary), mission
