"""Column discovery and mapping: pure planning, then through the emulator's TAP_SCHEMA."""

from __future__ import annotations

import logging

import polars as pl
import pytest

from daxa.errors import SchemaDriftError
from daxa.services import ArchiveSession, fetch_table, run_query
from daxa.services.columns import (
    ServiceColumn,
    apply_plan,
    columns_from_schema,
    discover_columns,
    plan_columns,
)
from daxa.testing import emulated_archives


def test_plan_maps_case_and_alternates_and_sorts_out_missing() -> None:
    available = [ServiceColumn("OBSID", "char"), ServiceColumn("ra", "double"),
                 ServiceColumn("object", "char")]  # fmt: skip
    plan = plan_columns(
        available, ["obsid", "ra", "name", "roll", "time"], optional=["roll"],
        alternates={"name": ("target_name", "object")},
    )  # fmt: skip
    assert plan.select == {"obsid": "OBSID", "ra": "ra", "name": "object"}
    assert plan.renamed == {"obsid": "OBSID", "name": "object"}
    assert plan.missing_optional == ("roll",)
    assert plan.missing_required == ("time",)


def test_apply_plan_renames_back_and_adds_null_optional_columns() -> None:
    plan = plan_columns([ServiceColumn("OBSID"), ServiceColumn("Ra")], ["obsid", "ra", "roll"],
                        optional=["roll"])  # fmt: skip
    answer = pl.DataFrame({"obsid": ["1", "2"], "RA": [1.0, 2.0]})  # echoed in another case
    out = apply_plan(answer, plan)
    assert out.columns == ["obsid", "ra", "roll"]
    assert out["ra"].to_list() == [1.0, 2.0]
    assert out["roll"].null_count() == 2


def test_schema_rows_match_with_or_without_schema_and_in_any_case() -> None:
    rows = pl.DataFrame(
        {
            "table_name": ["xsa.V_ALL_OBSERVATIONS", "xsa.V_ALL_OBSERVATIONS", "other.t", "t2"],
            "column_name": ["ra", "dec", "x", "y"],
            "datatype": ["DOUBLE", "DOUBLE", "INTEGER", "INTEGER"],
        }
    )
    found = columns_from_schema(rows, "v_all_observations")
    assert [c.name for c in found] == ["ra", "dec"]
    assert {c.kind for c in found} == {"number"}
    assert columns_from_schema(rows, "missing") == []


@pytest.fixture(scope="module")
def emu():
    with emulated_archives(seed=5) as emulator:
        yield emulator


@pytest.fixture()
def session():
    with ArchiveSession(retries=0, backoff=0.01) as s:
        yield s


def test_discovery_reads_tap_schema_of_both_services(emu, session) -> None:
    for service, table in (("heasarc_tap", "chanmaster"), ("xsa_tap", "v_all_observations")):
        found, method = discover_columns(service, table, session=session)
        assert method == "tap_schema"
        served = emu.table(table)
        assert [c.name for c in found] == served.columns  # the emulator's real table, in order


def test_discovery_falls_back_to_top0_probes_when_tap_schema_fails(emu, session) -> None:
    emu.faults.error_document("/heasarc_tap/sync", style="status_element", times=1)
    try:
        found, method = discover_columns(
            "heasarc_tap", "chanmaster", ["obsid", "ra", "not_a_column"], session=session
        )
    finally:
        emu.faults.reset()
    assert method == "probe"
    assert [c.name.lower() for c in found] == ["obsid", "ra"]
    assert [c.kind for c in found] == ["number", "number"]  # learnt from the TOP 0 answer


def test_fetch_never_asks_for_star_and_maps_renamed_columns(emu, session, caplog) -> None:
    emu.faults.rename_column("suzamaster", "obsid", "OBSID")
    emu.faults.rename_column("suzamaster", "name", "object")
    try:
        with caplog.at_level(logging.INFO, logger="daxa.services"):
            rows = fetch_table(
                "heasarc_tap", "suzamaster", ["obsid", "name", "ra", "roll"],
                optional=["roll"], alternates={"name": ("object",)}, session=session,
            )  # fmt: skip
    finally:
        emu.faults.reset()
    served = emu.table("suzamaster")
    assert rows.columns == ["obsid", "name", "ra", "roll"]
    assert sorted(rows["obsid"].to_list()) == sorted(served["obsid"].to_list())
    assert rows["roll"].null_count() == rows.height
    assert "name is now called object" in caplog.text
    assert "has no column roll" in caplog.text


def test_a_dropped_required_column_is_one_error_naming_everything(emu, session) -> None:
    emu.faults.drop_column("ascamaster", "sequence_number")
    try:
        with pytest.raises(SchemaDriftError) as caught:
            fetch_table("heasarc_tap", "ascamaster", ["sequence_number", "ra"], session=session)
    finally:
        emu.faults.reset()
    err = caught.value
    assert err.columns == ("sequence_number",)
    assert err.service == "heasarc_tap" and err.table == "ascamaster"
    assert "daxa doctor" in str(err) and "report" in str(err)


def test_select_star_trips_on_the_xsa_array_columns(emu, session) -> None:
    """Why daxa never asks for ``*``: v_all_observations has polygon and 2-D text columns."""
    schema = run_query(
        "xsa_tap",
        "SELECT column_name, datatype, arraysize, xtype FROM TAP_SCHEMA.columns "
        "WHERE table_name = 'xsa.v_all_observations'",
        session=session,
    )
    arrays = schema.filter(pl.col("arraysize").str.contains("x"))
    assert arrays.height >= 1  # a 2-D char column
    assert (schema["xtype"] == "polygon").any()
    # astropy refuses the whole answer over the 2-D text column ("Invalid size specifier"); our
    # reader keeps it as lists of strings, but daxa still never asks for columns it does not use
    import io
    import warnings

    import requests
    from astropy.io import votable

    answer = requests.post(
        emu.service_url("xsa_tap") + "/sync",
        data={
            "REQUEST": "doQuery",
            "LANG": "ADQL",
            "QUERY": "SELECT TOP 5 * FROM v_all_observations",
        },
        timeout=60,
    )
    with pytest.raises(Exception, match="size specifier"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        votable.parse(io.BytesIO(answer.content), verify="ignore").get_first_table()
    every = run_query("xsa_tap", "SELECT TOP 5 * FROM v_all_observations", session=session)
    width = int(arrays["arraysize"][0].split("x")[0])
    texts = every[arrays["column_name"][0]].explode().drop_nulls()
    assert texts.len() > 0 and (texts.str.len_chars() <= width).all()
