"""The emulator speaks like the real services: serialisations, null cells, error documents,
TAP_SCHEMA, the synthetic-data header and the outage/drift faults."""

from __future__ import annotations

import io
from collections.abc import Iterator

import polars as pl
import pytest
import requests
from astropy.io.votable import parse

from daxa.testing import ArchiveEmulator

QUERY = {"REQUEST": "doQuery", "LANG": "ADQL"}


@pytest.fixture(scope="module")
def emu() -> Iterator[ArchiveEmulator]:
    with ArchiveEmulator(seed=2, samples_dir=None, files=False) as emulator:
        yield emulator


def ask(emu: ArchiveEmulator, service: str, adql: str, **extra: str) -> requests.Response:
    return requests.post(
        emu.service_url(service) + "/sync", data={**QUERY, "QUERY": adql, **extra}, timeout=30
    )


def test_every_answer_says_it_is_synthetic(emu) -> None:
    answers = [
        ask(emu, "heasarc_tap", "SELECT TOP 1 obsid FROM chanmaster"),
        ask(emu, "xsa_tap", "SELECT TOP 1 nosuchcolumn FROM v_all_observations"),
        requests.get(emu.url + "/no/such/page", timeout=10),
        requests.get(emu.url + "/erosita_edr/erosita_calpv_info.csv", timeout=10),
    ]
    assert [a.headers.get("X-Daxa-Emulator") for a in answers] == ["synthetic"] * 4


def test_each_service_answers_in_its_own_serialisation(emu) -> None:
    heasarc = ask(emu, "heasarc_tap", "SELECT TOP 3 obsid FROM chanmaster").content
    xsa = ask(emu, "xsa_tap", "SELECT TOP 3 observation_id FROM v_all_observations").content
    assert b"<BINARY>" in heasarc and b"<BINARY2>" not in heasarc
    assert b"<BINARY2>" in xsa
    td = ask(emu, "xsa_tap", "SELECT TOP 3 observation_id FROM v_all_observations",
             RESPONSEFORMAT="votable_plain").content  # fmt: skip
    assert b"<TABLEDATA>" in td


def test_tabledata_leaves_null_integer_cells_empty_and_binary2_flags_them(emu) -> None:
    # chanmaster's public_date is an integer column with nulls
    adql = "SELECT TOP 9999999 obsid, public_date FROM chanmaster WHERE public_date IS NULL"
    td = ask(emu, "heasarc_tap", adql, RESPONSEFORMAT="votable/td").content
    assert b"<TD></TD></TR>" in td and b"<VALUES null=" not in td
    table = parse(io.BytesIO(td)).get_first_table().to_table()
    assert len(table) > 0 and table["public_date"].mask.all()
    b2 = ask(emu, "heasarc_tap", adql, RESPONSEFORMAT="votable/b2").content
    assert b"<BINARY2>" in b2
    again = parse(io.BytesIO(b2)).get_first_table().to_table()
    assert list(again["obsid"]) == list(table["obsid"]) and again["public_date"].mask.all()


def test_tap_schema_lists_every_served_column_with_its_type(emu) -> None:
    adql = ("SELECT table_name, column_name, datatype FROM TAP_SCHEMA.columns "
            "WHERE table_name = 'xsa.v_all_observations'")  # fmt: skip
    table = parse(io.BytesIO(ask(emu, "xsa_tap", adql).content)).get_first_table().to_table()
    served = emu.table("v_all_observations")
    assert list(table["column_name"]) == served.columns
    types = dict(zip(table["column_name"], table["datatype"], strict=True))
    assert types["ra"] == "DOUBLE" and types["observation_id"] == "VARCHAR"
    heasarc = ask(emu, "heasarc_tap", "SELECT column_name, datatype FROM TAP_SCHEMA.columns "
                  "WHERE table_name = 'numaster'").content  # fmt: skip
    rows = parse(io.BytesIO(heasarc)).get_first_table().to_table()
    assert dict(zip(rows["column_name"], rows["datatype"], strict=True))["time"] == "double"


@pytest.mark.parametrize(
    ("style", "status", "marker"),
    [
        ("status_element", 400, b'<INFO name="QUERY_STATUS" value="ERROR">'),
        ("status_value", 200, b'name="Error" value='),
        ("info_error", 500, b'<INFO name="ERROR">'),
    ],
)
def test_error_documents_in_each_real_style(emu, style, status, marker) -> None:
    message = f"table chanmaster is being rebuilt ({style})"
    emu.faults.error_document("/heasarc_tap", style=style, message=message, status=status)
    answer = ask(emu, "heasarc_tap", "SELECT TOP 1 obsid FROM chanmaster")
    assert answer.status_code == status
    assert marker in answer.content and message.encode() in answer.content
    if style == "info_error":
        assert b"QUERY_STATUS" not in answer.content
    # the next request is served normally again
    assert b"<BINARY>" in ask(emu, "heasarc_tap", "SELECT TOP 1 obsid FROM chanmaster").content


def test_unreachable_service_drops_the_connection_and_drift_changes_the_table(emu) -> None:
    emu.faults.unreachable("/xsa_tap", times=1)
    with pytest.raises(requests.ConnectionError):
        ask(emu, "xsa_tap", "SELECT TOP 1 ra FROM v_all_observations")
    assert ask(emu, "xsa_tap", "SELECT TOP 1 ra FROM v_all_observations").status_code == 200
    emu.faults.rename_column("rosmaster", "seq_id", "SEQ_ID")
    emu.faults.drop_column("rosmaster", "exposure")
    try:
        gone = ask(emu, "heasarc_tap", "SELECT TOP 1 exposure FROM rosmaster")
        schema = ask(emu, "heasarc_tap", "SELECT column_name FROM TAP_SCHEMA.columns "
                     "WHERE table_name = 'rosmaster'").content  # fmt: skip
    finally:
        emu.faults.reset()
    assert gone.status_code == 400 and b"exposure" in gone.content
    names = list(parse(io.BytesIO(schema)).get_first_table().to_table()["column_name"])
    assert "SEQ_ID" in names and "seq_id" not in names and "exposure" not in names


def test_real_value_sets(emu) -> None:
    integral = emu.table("intscwpub")
    assert set(integral["status"].unique()) == {"PUBLIC", "PRIVATE"}
    assert integral.filter(pl.col("status") == "PRIVATE")["data_in_heasarc"].n_unique() == 2
    assert (emu.table("numaster")["time"] == 0).any()  # approved, not yet observed
    xsa = emu.table("v_all_observations")
    assert xsa.schema["footprint_fov"] == pl.List(pl.Float64)
    assert xsa["stc_s"].drop_nulls().str.starts_with("Polygon ICRS").all()


def test_new_faults_work_from_another_process_through_the_control_endpoint(emu) -> None:
    from daxa.testing import RemoteFaults

    remote = RemoteFaults(emu.url)
    try:
        remote.drop_column("xrismmastr", "exposure")
        remote.rename_column("xrismmastr", "obsid", "OBSID")
        remote.retype_column("xrismmastr", "ra")
        remote.error_document("/xsa_tap", style="info_error", message="down for repair", status=500)
        remote.unreachable("/sesame", times=2)
        assert emu.faults.drift("xrismmastr") == [
            ("drop", "exposure", ""), ("rename", "obsid", "OBSID"), ("retype", "ra", ""),
        ]  # fmt: skip
        kinds = {(r["kind"], r["path"], r["times"]) for r in remote.rules()}
        assert kinds == {("error_document", "/xsa_tap", 1), ("unreachable", "/sesame", 2)}
        with pytest.raises(Exception, match="unknown error style"):
            remote.error_document("/xsa_tap", style="shouting")
    finally:
        remote.reset()
    assert emu.faults.drift("xrismmastr") == [] and remote.rules() == []
