"""daxa's parsers on every real recorded service answer, checked against the document itself.

Each file under the shared ``responses/`` folder is read in place (skipped when the folder is
absent). Values are compared with an independent reading: astropy for BINARY/BINARY2 (which
honours null flags and ``VALUES null``), the cell texts read with the standard library for
TABLEDATA (astropy reads an empty integer cell as 0, the very fault under test), the ``csv``
module for CSV. The documents go through real HTTP (the emulator serving the recorded bytes)
where the HTTP status or the session matter.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from daxa.download.listing import files, folders, parse_listing
from daxa.errors import ServiceError, ServiceUnavailableError
from daxa.services.answers import parse_votable, read_csv
from daxa.services.errordocs import error_message
from daxa.services.http import ArchiveSession
from daxa.services.sesame import parse_sesame_xml
from daxa.services.tap import run_query
from daxa.testing import Request, Response, emulated_archives, shared_data_dir

SHARED = shared_data_dir()
RESPONSES = SHARED / "responses" if SHARED is not None else None
pytestmark = pytest.mark.skipif(
    RESPONSES is None or not RESPONSES.is_dir(), reason="shared recorded responses absent"
)

#: Data VOTables, by serialisation (checked against astropy or against their own cell texts).
BINARY = ["esac_tap/gaia_dr3_source_binary2.vot", "esac_tap/user_table_binary2.vot",
          "votable_other/vizier_b2_votable.xml"]  # fmt: skip
TABLEDATA = [
    "esac_tap/gaia_dr3_source_2rows_binary2.vot",  # TABLEDATA despite its name
    "esac_tap/user_table_tabledata.vot",
    "esac_tap/euclid_sedm_tabledata_timestamp.vot",
    "heasarc_browse/intscw_all_columns_1000rows_votable10.xml",
    "heasarc_browse/rosmaster_all_columns_1000rows_votable10.xml",
    "votable_other/gemini.xml",
]
ERRORS = ["votable_other/irsa-nph-error.xml"]
#: Checked elsewhere: the W3Browse FITS files by tests/missions/test_real_tables.py, the
#: eRODat pages by tests/download/test_listing.py and test_erodat_real.py, the eRODat event
#: list by tests/download/test_products.py.
ELSEWHERE = [
    "heasarc_browse/intscw_627rows_2021.fits",
    "heasarc_browse/intscw_all_columns_1000rows.fits",
    "heasarc_browse/rosmaster_83rows_2024.fits",
    "heasarc_browse/rosmaster_all_columns_1000rows.fits",
    "erodat/134135.html",
    "erodat/134135_det.html",
    "erodat/134135_exp.html",
    "erodat/134135_no_dir.html",
    "erodat/inst_filt.fits",
]
HERE_OTHER = [
    "esac_tap/user_table.csv",
    "sesame/ngc4258_VSNA.xml",
    "sesame/nothing_found_HIP123456_V.xml",
    "heasarc_ftp/nustar_obs_00_8_80002092008.html",
]


def path(name: str) -> Path:
    assert RESPONSES is not None
    return RESPONSES / name


def read(name: str) -> bytes:
    return path(name).read_bytes()


def test_every_recorded_file_is_checked() -> None:
    assert RESPONSES is not None
    present = {
        p.relative_to(RESPONSES).as_posix()
        for p in RESPONSES.rglob("*")
        if p.is_file() and p.name != "SOURCES.md"
    }
    checked = set(BINARY + TABLEDATA + ERRORS + ELSEWHERE + HERE_OTHER)
    assert present <= checked, f"recorded files no test reads: {sorted(present - checked)}"


# -- an independent reading of each document ------------------------------------------------


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def fields_and_rows(document: bytes) -> tuple[list[ET.Element], list[list[str | None]]]:
    root = ET.fromstring(document)
    table = next(el for el in root.iter() if local(el.tag) == "TABLE")
    fields = [el for el in table if local(el.tag) == "FIELD"]
    rows = [
        [td.text for td in tr] for tr in table.iter() if local(tr.tag) == "TR"
    ]  # TABLEDATA only
    return fields, rows


def expected_cell(field: ET.Element, text: str | None) -> Any:
    """What the VOTable standard says a TABLEDATA cell holds, by hand, one cell at a time."""
    datatype, arraysize = field.get("datatype"), field.get("arraysize")
    xtype = (field.get("xtype") or "").lower()
    raw = (text or "").strip()
    if raw == "":
        return None
    null = next((v.get("null") for v in field if local(v.tag) == "VALUES"), None)
    if datatype in ("char", "unicodeChar"):
        if arraysize and "x" in arraysize:
            width = int(arraysize.split("x")[0])
            chunks = [text[i : i + width].strip() for i in range(0, len(text or ""), width)]
            return [c for c in chunks if c]
        if xtype == "timestamp":
            return datetime.fromisoformat(raw.removesuffix("Z")).replace(tzinfo=UTC)
        return None if raw == null else raw
    if arraysize:  # numeric arrays: blank-separated elements
        return [expected_cell(ET.Element("FIELD", datatype=datatype), v) for v in raw.split()]
    if datatype == "boolean":
        return {"t": True, "true": True, "1": True, "f": False, "false": False, "0": False}.get(
            raw.lower()
        )
    if datatype in ("float", "double"):
        value = float(raw)
        if math.isnan(value) or (null is not None and value == float(null)):
            return None
        return value
    value = int(raw, 16) if raw.lower().startswith("0x") else int(raw)
    return None if null is not None and value == int(null) else value


def same(ours: Any, theirs: Any, datatype: str | None) -> bool:
    if datatype == "float" and isinstance(theirs, float):
        return ours is not None and np.float32(ours) == np.float32(theirs)
    if isinstance(theirs, list) and theirs and isinstance(theirs[0], float):
        return ours is not None and np.allclose(ours, theirs, rtol=0, atol=0)
    return bool(ours == theirs)


@pytest.mark.parametrize("name", TABLEDATA)
def test_tabledata_cells_read_as_the_standard_says(name: str) -> None:
    document = read(name)
    fields, rows = fields_and_rows(document)
    ours = parse_votable(document)
    assert ours.height == len(rows) > 0
    assert ours.width == len(fields)
    checked_nulls = 0
    for i, (field, column) in enumerate(zip(fields, ours.columns, strict=True)):
        for r, row in enumerate(rows):
            expected = expected_cell(field, row[i])
            value = ours[column][r]
            value = value.to_list() if isinstance(value, pl.Series) else value
            assert same(value, expected, field.get("datatype")), (name, column, r, value, expected)
            checked_nulls += expected is None
    if "intscw" in name or "euclid" in name:  # documents known to hold empty numeric cells
        assert checked_nulls > 0


def test_empty_integer_cells_are_null_not_zero() -> None:
    document = read("heasarc_browse/intscw_all_columns_1000rows_votable10.xml")
    fields, rows = fields_and_rows(document)
    names = [f.get("name") for f in fields]
    at = names.index("good_isgri")
    empty = [r for r, row in enumerate(rows) if not (row[at] or "").strip()]
    assert empty, "the recorded answer has empty good_isgri cells"
    ours = parse_votable(document)["good_isgri"]
    assert ours.dtype == pl.Int32
    assert ours.null_count() == len(empty)
    assert ours.gather(empty).is_null().all()


def test_euclid_timestamps_booleans_2d_text_and_arrays() -> None:
    document = read("esac_tap/euclid_sedm_tabledata_timestamp.vot")
    fields, rows = fields_and_rows(document)
    texts = dict(zip([f.get("name") for f in fields], rows[0], strict=True))
    ours = parse_votable(document).row(0, named=True)
    stamp = datetime.fromisoformat(texts["creation_date"]).replace(tzinfo=UTC)  # type: ignore[arg-type]
    assert ours["creation_date"] == stamp and stamp.microsecond == 1000  # exact, to the ms
    assert ours["latest"] is (texts["latest"] == "T")
    assert ours["basic_download_data_oid"] == int(texts["basic_download_data_oid"])  # type: ignore[arg-type]
    files_in_cell = (texts["file_name_list"] or "").split()
    assert ours["file_name_list"] == files_in_cell and len(files_in_cell) == 4
    assert ours["checksum_list"] == (texts["checksum_list"] or "").split()
    assert ours["fov"] is None and ours["patch_id_list"] is None  # empty variable arrays: null
    assert ours["xml_file_content"].startswith('<?xml version="1.0"')


def astropy_columns(document: bytes) -> dict[str, Any]:
    from astropy.io.votable import parse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = parse(io.BytesIO(document), verify="ignore").get_first_table()
    return {f.name: table.array[f.ID or f.name] for f in table.fields}


@pytest.mark.parametrize("name", BINARY)
def test_binary_serialisations_match_astropy_value_for_value(name: str) -> None:
    document = read(name)
    ours = parse_votable(document)
    theirs = astropy_columns(document)
    assert ours.columns == list(theirs)
    nulls = 0
    for column, values in theirs.items():
        mask = np.ma.getmaskarray(values)
        data = np.ma.getdata(values)
        if data.dtype.kind == "f":
            mask = mask | np.isnan(data)
        if data.dtype.kind in "fiub":
            assert ours[column].is_null().to_numpy().tolist() == mask.tolist(), column
            kept = ~mask
            assert (ours[column].to_numpy()[kept] == data[kept]).all(), column
            nulls += int(mask.sum())
        else:  # text
            got = ours[column].to_list()
            for i, v in enumerate(data):
                if not mask[i]:
                    text = v.decode() if isinstance(v, bytes) else str(v)
                    assert (got[i] or "") == text.rstrip("\x00 "), (column, i)
    if "gaia_dr3_source" in name:
        assert nulls > 0  # BINARY2 null flags were exercised


def test_64_bit_ids_are_exact_in_every_serialisation() -> None:
    with open(path("esac_tap/user_table.csv"), newline="") as handle:
        ids = [int(row["source_id"]) for row in csv.DictReader(handle)]
    assert all(i > 2**53 for i in ids)  # beyond what a float64 holds exactly
    for name in ("esac_tap/user_table_binary2.vot", "esac_tap/user_table_tabledata.vot"):
        got = parse_votable(read(name))["source_id"]
        assert got.dtype == pl.Int64 and got.to_list() == ids, name
    with open(path("esac_tap/user_table.csv"), "rb") as handle:
        assert read_csv(handle)["source_id"].to_list() == ids


def test_one_query_gives_the_same_rows_in_binary2_tabledata_and_csv() -> None:
    binary2 = parse_votable(read("esac_tap/user_table_binary2.vot"))
    tabledata = parse_votable(read("esac_tap/user_table_tabledata.vot"))
    assert binary2.equals(tabledata)
    with open(path("esac_tap/user_table.csv"), "rb") as handle:
        from_csv = read_csv(handle)
    with open(path("esac_tap/user_table.csv"), newline="") as handle:
        texts = list(csv.DictReader(handle))
    assert from_csv.columns == list(texts[0])
    assert binary2.select(from_csv.columns).equals(from_csv)
    assert from_csv["ra"].to_list() == [float(r["ra"]) for r in texts]


# -- over HTTP: the recorded bytes served by the emulator -------------------------------------


def serve(emu: Any, status: int, body: bytes, content_type: str) -> None:
    def answer(request: Request) -> Response:
        return Response(status, body, content_type)

    emu.mount("/heasarc_tap", answer)


@pytest.fixture()
def emu():  # type: ignore[no-untyped-def]
    with emulated_archives(tables=lambda *a, **k: pl.DataFrame()) as emulator:
        yield emulator


@pytest.fixture()
def session():  # type: ignore[no-untyped-def]
    with ArchiveSession(backoff=0.01, retries=1) as s:
        yield s


@pytest.mark.parametrize("name", ["esac_tap/gaia_dr3_source_binary2.vot", *TABLEDATA[:2]])
def test_recorded_answers_through_http(emu, session, name: str) -> None:  # type: ignore[no-untyped-def]
    serve(emu, 200, read(name), "application/x-votable+xml")
    rows = run_query("heasarc_tap", "SELECT TOP 5 * FROM t", session=session)
    assert rows.equals(parse_votable(read(name)))


def test_recorded_csv_through_http(emu, session) -> None:  # type: ignore[no-untyped-def]
    serve(emu, 200, read("esac_tap/user_table.csv"), "text/csv")
    rows = run_query("heasarc_tap", "SELECT TOP 5 * FROM t", session=session)
    assert rows["source_id"].to_list() == [3834447128563320320, 3834447162923057280]


def info_error_text(document: bytes) -> str:
    """The text of the INFO named ERROR, read with the standard library."""
    root = ET.fromstring(document)
    info = next(el for el in root.iter() if el.get("name") == "ERROR")
    return (info.text or "").strip().strip('"').strip()


@pytest.mark.parametrize("status", [200, 400])
def test_info_named_error_without_query_status(emu, session, status: int) -> None:  # type: ignore[no-untyped-def]
    document = read("votable_other/irsa-nph-error.xml")
    message = info_error_text(document)
    assert error_message(document) == message
    serve(emu, status, document, "text/xml")
    with pytest.raises(ServiceError) as info:
        run_query("heasarc_tap", "SELECT TOP 5 * FROM t", table="t", session=session)
    assert message in str(info.value) and "table t" in str(info.value)


#: The QUERY_STATUS styles of the TAP and DALI standards (no real recording could be found
#: for them: see the provenance notes), each with the message where that style puts it.
STYLES = {
    "text": '<INFO name="QUERY_STATUS" value="ERROR">{msg}</INFO>',
    "value first": '<INFO value="ERROR" name="QUERY_STATUS">{msg}</INFO>',
    "in value": '<INFO name="QUERY_STATUS" value="ERROR: {msg}"/>',
    "sibling INFO value": '<INFO name="QUERY_STATUS" value="ERROR"/><INFO name="ERROR" value="{msg}"/>',
    "single quotes": "<INFO name='QUERY_STATUS' value='ERROR'>\n  {msg}\n</INFO>",
}
MESSAGE = "Column 'exposure_z' does not exist in table numaster &lt;v2&gt;"


def votable_with(info: str) -> bytes:
    return (
        '<?xml version="1.0"?>\n<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">'
        f'<RESOURCE type="results">{info}</RESOURCE></VOTABLE>'
    ).encode()


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("status", [200, 400, 500])
def test_query_status_error_styles(emu, session, style: str, status: int) -> None:  # type: ignore[no-untyped-def]
    serve(emu, status, votable_with(STYLES[style].format(msg=MESSAGE)), "text/xml")
    expected = "Column 'exposure_z' does not exist in table numaster <v2>"
    error = ServiceUnavailableError if status == 500 else ServiceError
    with pytest.raises(error) as info:
        run_query("heasarc_tap", "SELECT TOP 5 * FROM numaster", table="numaster", session=session)
    assert expected in str(info.value)
    if status == 400:
        assert "HTTP 400" in str(info.value)


def test_error_message_of_a_damaged_document_is_still_found() -> None:
    damaged = votable_with(STYLES["value first"].format(msg="no such table"))[:-20]
    assert error_message(damaged) == "no such table"
    with pytest.raises(ServiceError, match="query failed: no such table"):
        parse_votable(damaged)


def test_data_documents_are_not_errors() -> None:
    for name in BINARY + TABLEDATA:
        assert error_message(read(name)) is None, name


# -- Sesame and the HEASARC file tree -------------------------------------------------------


def sesame_positions(document: bytes) -> list[dict[str, tuple[float, float]]]:
    root = ET.fromstring(document)
    out = []
    for target in root.iter("Target"):
        found = {}
        for resolver in target.iter("Resolver"):
            ra, dec = resolver.findtext("jradeg"), resolver.findtext("jdedeg")
            if ra and dec:
                found[(resolver.get("name") or "?")[0]] = (float(ra), float(dec))
        out.append(found)
    return out


def test_sesame_answers_from_all_resolvers_take_simbad_first() -> None:
    document = read("sesame/ngc4258_VSNA.xml")
    truth = sesame_positions(document)
    got = parse_sesame_xml(document, url="recorded")
    assert len(got) == len(truth) == 3
    assert got[0] == truth[0]["S"] and got[2] == truth[2]["S"]  # not VizieR's coarse 184.73
    assert got[1] is None and truth[1] == {}  # "goober": nothing found by any resolver


def test_sesame_nothing_found() -> None:
    document = read("sesame/nothing_found_HIP123456_V.xml")
    assert sesame_positions(document) == [{}]
    assert parse_sesame_xml(document, url="recorded") == [None]


def test_heasarc_file_tree_page() -> None:
    html = read("heasarc_ftp/nustar_obs_00_8_80002092008.html").decode()
    base = "https://heasarc.gsfc.nasa.gov/FTP/nustar/data/obs/00/8/80002092008/"
    entries = parse_listing(html, base)
    hrefs = [h for h in re.findall(r'<a href="([^"]+)"', html) if not h.startswith(("?", "/"))]
    assert folders(entries) == [h.rstrip("/") for h in hrefs if h.endswith("/")]
    assert [e.name for e in files(entries)] == [h for h in hrefs if not h.endswith("/")]
    sizes = {e.name: (e.size, e.size_exact) for e in entries if not e.is_dir}
    assert sizes["pipe.log"][1] is False  # "1.7M" is a rounded size
    assert 1.65e6 <= (sizes["pipe.log"][0] or 0) <= 1.85e6


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (200, b"", "application/x-votable+xml", "empty body"),
        (200, b'{"error": "no such table t"}', "application/json", "JSON.*no such table t"),
        (404, b"Table t not found", "text/plain", "HTTP 404: Table t not found"),
    ],
)
def test_bodies_that_are_not_tables(emu, session, status, body, content_type, expected) -> None:  # type: ignore[no-untyped-def]
    serve(emu, status, body, content_type)
    with pytest.raises(ServiceError, match=expected):
        run_query("heasarc_tap", "SELECT TOP 5 * FROM t", session=session)


def test_recorded_sesame_answers_through_name_resolution(emu, session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from daxa.errors import NameResolutionError
    from daxa.filters.names import Names
    from daxa.services.sesame import resolve_names

    def answer(request: Request) -> Response:
        name = "ngc4258_VSNA.xml" if "4258" in request.path + str(request.form()) else None
        document = read(f"sesame/{name or 'nothing_found_HIP123456_V.xml'}")
        return Response(200, document, "text/xml")

    emu.mount("/sesame", answer)
    truth = sesame_positions(read("sesame/ngc4258_VSNA.xml"))[0]["S"]
    (found,) = resolve_names(["NGC 4258"], session=session, cache_dir=tmp_path)
    assert (found.ra, found.dec, found.source) == (*truth, "sesame")
    with pytest.raises(NameResolutionError, match="HIP123456"):
        Names("HIP123456", session=session, cache_dir=tmp_path)
